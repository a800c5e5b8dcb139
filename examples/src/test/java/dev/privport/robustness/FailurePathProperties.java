package dev.privport.robustness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privport.core.RedirectPlan;
import dev.privport.iptables.IptablesRenderer;
import dev.privport.nft.LibnftablesExecutor;
import dev.privport.nft.NftRenderer;
import dev.privport.nft.Nftables;
import dev.privport.nft.NftablesException;
import dev.privport.nft.StateDirectory;
import dev.privport.testkit.fixtures.IptablesFixtures;
import dev.privport.testkit.fixtures.NftFixtures;
import dev.privport.testkit.lab.Netns;
import dev.privport.testkit.process.TempDirs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Failure paths: a broken script run through the executor leaves the ruleset byte-identical, and
 * applying and removing plans on a host whose nat tables hold foreign rules and chains never
 * changes them.
 */
@AddLifecycleHook(NeedsKernel.class)
class FailurePathProperties {
  static final int TRIES = 50;
  private static Netns nftNs;
  private static Netns iptablesNs;
  private static LibnftablesExecutor nft;
  private static Path stateDir;

  static final String FOREIGN_NFT = NftFixtures.FOREIGN_TABLES;

  @BeforeContainer
  static void start() throws IOException {
    nftNs = Netns.create();
    // a state directory of the test's own: never the host's /run/privport
    stateDir = Files.createTempDirectory("privport-failure-");
    nft = nftNs.call(() -> Nftables.open(StateDirectory.at(stateDir.resolve("state"))));
    iptablesNs = Netns.create();
  }

  @AfterContainer
  static void stop() {
    if (nft != null) nft.close();
    if (nftNs != null) nftNs.close();
    if (iptablesNs != null) iptablesNs.close();
    TempDirs.delete(stateDir);
  }

  @Provide
  Arbitrary<RedirectPlan> plans() {
    return Plans.plans(20);
  }

  @Provide
  Arbitrary<String> garbage() {
    return Arbitraries.of(
        "bogus",
        "redirect to :",
        "{",
        "}",
        "tcp dport 99999",
        "table",
        "add rule inet nope c accept",
        "chain x { type nat hook input priority 0; tcp dport 1 redirect to :2; }");
  }

  @Property(tries = TRIES)
  void aBrokenScriptThroughTheExecutorChangesNothing(
      @ForAll("plans") RedirectPlan live,
      @ForAll("plans") RedirectPlan next,
      @ForAll("garbage") String garbage,
      @ForAll @IntRange(min = 0, max = 1000) int where) {
    nftNs.sh("nft", "flush", "ruleset");
    nftNs.execWithInput(FOREIGN_NFT, "nft", "-f", "-").orThrow();
    nft.apply(live);
    String before = nftNs.sh("nft", "list", "ruleset");
    List<String> lines = new ArrayList<>(Arrays.asList(new NftRenderer().render(next).split("\n")));
    lines.add(Math.min(where % (lines.size() + 1), lines.size() - 1), garbage);
    String broken = String.join("\n", lines) + "\n";
    assertThatThrownBy(() -> nft.run(broken)).isInstanceOf(NftablesException.class);
    assertThat(nftNs.sh("nft", "list", "ruleset")).isEqualTo(before);
  }

  @Property(tries = TRIES)
  void foreignNftTablesSurviveApplyAndRemove(@ForAll("plans") RedirectPlan plan) {
    nftNs.sh("nft", "flush", "ruleset");
    nftNs.execWithInput(FOREIGN_NFT, "nft", "-f", "-").orThrow();
    String natBefore = nftNs.sh("nft", "list", "table", "ip", "nat");
    String foreignBefore = nftNs.sh("nft", "list", "table", "inet", "foreign");
    String before = nftNs.sh("nft", "list", "ruleset");
    nft.apply(plan);
    assertThat(nftNs.sh("nft", "list", "table", "ip", "nat")).isEqualTo(natBefore);
    assertThat(nftNs.sh("nft", "list", "table", "inet", "foreign")).isEqualTo(foreignBefore);
    nft.remove(plan);
    assertThat(nftNs.sh("nft", "list", "ruleset")).isEqualTo(before);
  }

  @Property(tries = TRIES)
  void foreignIptablesChainsSurviveApplyAndUndo(@ForAll("plans") RedirectPlan plan) {
    IptablesFixtures.emptyNat(iptablesNs);
    for (String tool : List.of("iptables", "ip6tables")) {
      iptablesNs.sh(
          tool, "-w", "-t", "nat", "-A", "OUTPUT", "-p", "udp", "--dport", "53", "-j", "ACCEPT");
    }
    IptablesFixtures.foreignChains(iptablesNs);
    String before = IptablesFixtures.natState(iptablesNs);
    var rendering = new IptablesRenderer().renderAll(plan);
    rendering.executeApply(c -> iptablesNs.exec(c.argv().toArray(String[]::new)).exitCode());
    assertThat(withoutPrivport(IptablesFixtures.natState(iptablesNs))).isEqualTo(before);
    assertThat(IptablesFixtures.natState(iptablesNs)).contains("PRIVPORT");
    rendering.executeUndo(c -> iptablesNs.exec(c.argv().toArray(String[]::new)).exitCode());
    assertThat(IptablesFixtures.natState(iptablesNs)).isEqualTo(before);
  }

  private static String withoutPrivport(String state) {
    return Arrays.stream(state.split("\n"))
        .filter(l -> !l.contains("PRIVPORT"))
        .collect(Collectors.joining("\n"));
  }
}
