package dev.privport.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privport.core.ConfigFile;
import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import dev.privport.core.Step;
import dev.privport.core.remedy.Remedies;
import dev.privport.core.remedy.Remedy;
import dev.privport.core.spi.Backend;
import dev.privport.core.spi.PlanRenderer;
import dev.privport.core.spi.PlanRenderers;
import dev.privport.core.spi.RenderOptions;
import dev.privport.core.spi.RenderedFile;
import dev.privport.core.spi.Rendering;
import dev.privport.firewalld.FirewalldDirectRules;
import dev.privport.firewalld.FirewalldPolicies;
import dev.privport.firewalld.FirewalldRenderer;
import dev.privport.firewalld.HostAddresses;
import dev.privport.iptables.IptablesRenderer;
import dev.privport.iptables.IptablesRendering;
import dev.privport.nft.NftRenderer;
import dev.privport.nft.NftServiceUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Every backend and remedy through {@link PlanRenderers} gives what its own API gives: the same
 * apply and remove steps, the same file bytes, at the one path layout of {@link RenderedFile}.
 */
class RenderingThroughSpiTest {
  private static final RedirectPlan WEB =
      RedirectPlan.builder().name("web").tcp(80, 8080).tcp(443, 8443).build();
  private static final RedirectPlan MIXED =
      RedirectPlan.builder()
          .name("mix")
          .tcp(80, 8080)
          .add(Redirect.udp(514, 5514).ipv4Only().incomingOnly().onInterface("eth0"))
          .build();
  private static final List<String> HOSTS = List.of("192.0.2.10", "2001:db8::10");

  private static Rendering spi(Backend b, RedirectPlan plan) {
    return PlanRenderers.rendering(b, plan, RenderOptions.NONE);
  }

  private static Map<String, String> files(Rendering r) {
    return r.files().stream()
        .collect(
            Collectors.toMap(
                RenderedFile::path, RenderedFile::content, (a, b) -> a, LinkedHashMap::new));
  }

  @Test
  void nftGivesItsScriptAndUnitAndRemovesItsTableOnly() {
    for (RedirectPlan plan : List.of(WEB, MIXED)) {
      Rendering r = spi(Backend.NFT, plan);
      String q = plan.qualifiedName();
      assertThat(files(r))
          .containsExactly(
              Map.entry("nftables/" + q + ".nft", new NftRenderer().render(plan)),
              Map.entry("systemd/" + q + ".service", NftServiceUnit.of(plan).unit().content()));
      assertThat(r.apply())
          .extracting(Step::toShell)
          .containsExactly("/usr/sbin/nft -f /etc/privport/" + q + ".nft");
      assertThat(r.remove())
          .extracting(Step::toShell)
          .containsExactly("/usr/sbin/nft 'add table inet " + q + "; delete table inet " + q + "'");
    }
  }

  @Test
  void iptablesGivesItsStepsAndFiles() {
    for (RedirectPlan plan : List.of(WEB, MIXED)) {
      Rendering r = spi(Backend.IPTABLES, plan);
      IptablesRendering own = new IptablesRenderer().renderAll(plan);
      String q = plan.qualifiedName();
      assertThat(r.apply()).isEqualTo(own.apply());
      assertThat(r.remove()).isEqualTo(own.remove());
      assertThat(files(r))
          .containsExactly(
              Map.entry("iptables/" + q + ".sh", plan.toIptables()),
              Map.entry("iptables/" + q + ".rules.v4", own.restoreIpv4().orElseThrow()),
              Map.entry("iptables/" + q + ".rules.v6", own.restoreIpv6().orElseThrow()));
    }
    // An IPv4-only plan has no IPv6 restore file.
    assertThat(files(spi(Backend.IPTABLES, RedirectPlan.of(Redirect.tcp(80, 8080).ipv4Only()))))
        .containsOnlyKeys("iptables/privport.sh", "iptables/privport.rules.v4");
  }

  @Test
  void firewalldGivesTheDirectRouteWithoutAddressesAndThePolicyRouteWithThem() {
    FirewalldRenderer fw = new FirewalldRenderer();
    Rendering direct = spi(Backend.FIREWALLD, MIXED);
    FirewalldDirectRules own = fw.renderDirect(MIXED);
    assertThat(direct.apply()).isEqualTo(own.runtimeAdd().stream().map(Step::always).toList());
    assertThat(direct.remove()).isEqualTo(own.runtimeRemove().stream().map(Step::always).toList());
    assertThat(files(direct))
        .containsExactly(Map.entry("firewalld/privport-mix.direct.xml", own.directXml().content()));

    Rendering policies = PlanRenderers.rendering(Backend.FIREWALLD, WEB, new RenderOptions(HOSTS));
    FirewalldPolicies ownPolicies =
        fw.renderPolicies(WEB, HostAddresses.of(HOSTS.toArray(String[]::new)));
    assertThat(policies.apply()).isEqualTo(ownPolicies.apply());
    assertThat(policies.remove()).isEqualTo(ownPolicies.remove());
    assertThat(policies.files()).hasSize(1 + ownPolicies.policyFiles().size());
    assertThat(files(policies))
        .containsEntry(
            "firewalld/privport-web.direct.xml", fw.renderDirect(WEB).directXml().content());
    for (ConfigFile f : ownPolicies.policyFiles()) {
      assertThat(files(policies)).containsEntry("firewalld/policies/" + f.fileName(), f.content());
    }
    // The policy route cannot match an interface: a one-line error naming it.
    assertThatThrownBy(
            () -> PlanRenderers.rendering(Backend.FIREWALLD, MIXED, new RenderOptions(HOSTS)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("interface cannot be matched by firewalld policies");
  }

  @Test
  void redirGivesItsUnitsStepsAndCaveats() {
    Rendering r = spi(Backend.REDIR, WEB);
    Remedy own = Remedies.redir(WEB);
    assertThat(r.apply()).isEqualTo(own.apply());
    assertThat(r.remove()).isEqualTo(own.remove());
    assertThat(r.notes()).isEqualTo(own.caveats());
    assertThat(files(r))
        .containsExactly(
            Map.entry("systemd/privport-web-redir-80.service", own.files().get(0).content()),
            Map.entry("systemd/privport-web-redir-443.service", own.files().get(1).content()));
    assertThatThrownBy(() -> spi(Backend.REDIR, MIXED))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("redir forwards TCP only");
  }

  @Test
  void theUnprivilegedPortStartGivesOneDropInPerPlan() {
    Rendering r = spi(Backend.UNPRIVILEGED_PORT_START, WEB);
    Remedy own = Remedies.unprivilegedPortStart(WEB);
    assertThat(r.apply()).isEqualTo(own.apply());
    assertThat(r.remove()).isEqualTo(own.remove());
    assertThat(r.notes()).isEqualTo(own.caveats());
    assertThat(files(r))
        .containsExactly(
            Map.entry(
                "sysctl.d/90-privport-web-unprivileged-port-start.conf",
                own.files().get(0).content()));
    Rendering high = spi(Backend.UNPRIVILEGED_PORT_START, RedirectPlan.of(2000, 8080));
    assertThat(high.files()).isEmpty();
    assertThat(high.apply()).isEmpty();
    assertThat(high.notes())
        .containsExactly("every port of the plan is already unprivileged (>= 1024)");
  }

  private static final List<Backend> FROM_A_PLAN =
      List.of(
          Backend.NFT,
          Backend.IPTABLES,
          Backend.FIREWALLD,
          Backend.REDIR,
          Backend.UNPRIVILEGED_PORT_START);

  @Test
  void eachBackendOwnsExactlyItsOwnFilesOfItsOwnPlan() {
    RedirectPlan other = RedirectPlan.builder().name("other").tcp(80, 8080).build();
    for (Backend b : FROM_A_PLAN) {
      PlanRenderer renderer = PlanRenderers.find(b);
      RenderOptions options =
          b == Backend.FIREWALLD ? new RenderOptions(HOSTS) : RenderOptions.NONE;
      for (RenderedFile f : renderer.rendering(WEB, options).files()) {
        assertThat(renderer.owns(WEB, f.path())).as(b + " owns " + f.path()).isTrue();
        assertThat(renderer.owns(other, f.path())).as(b + " of another plan").isFalse();
        assertThat(renderer.directories()).contains(f.directory());
        for (Backend c : FROM_A_PLAN) {
          if (c != b) {
            assertThat(PlanRenderers.find(c).owns(WEB, f.path())).as(c + " " + f.path()).isFalse();
          }
        }
      }
    }
  }

  @Test
  void remediesThatTakeNoPlanAreNotFoundAndFilesStayBelowTheirDirectory() {
    assertThatThrownBy(() -> PlanRenderers.find(Backend.CAPABILITY))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("backend is not rendered from a plan (see Remedies), got \"capability\"");
    for (String bad : List.of("../x", "/etc/x", "a//b", "a/./b", "a/..", "", "a/", "a b", "a\nb")) {
      assertThatThrownBy(() -> new RenderedFile(bad, "x"))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("path must be relative");
    }
    assertThat(new RenderedFile("a..b/.c", "x").directory()).isEqualTo("a..b");
  }
}
