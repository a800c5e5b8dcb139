package dev.privport.nft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privport.core.Command;
import dev.privport.core.ConfigFile;
import dev.privport.core.RedirectPlan;
import dev.privport.testkit.fixtures.NftFixtures;
import dev.privport.testkit.lab.Kernel;
import dev.privport.testkit.lab.Netns;
import dev.privport.testkit.process.Cmd;
import dev.privport.testkit.process.UnitFiles;
import dev.privport.testkit.traffic.Echo;
import dev.privport.testkit.traffic.Flows;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The persistent unit: its {@code ExecStart}, {@code ExecReload} and {@code ExecStop} lines run
 * exactly as written (paths mapped into a staging root) in a namespace, across {@code nft flush
 * ruleset} (what every nftables.service reload does first), proven with real TCP and UDP traffic;
 * and the unit passes {@code systemd-analyze verify}.
 */
class NftServiceUnitTest {
  @TempDir Path root;

  private static final RedirectPlan PLAN =
      RedirectPlan.builder().tcp(80, 8080).udp(514, 5514).build();

  /** Writes the unit's files below the staging root, at their conventional paths. */
  private NftServiceUnit stage(RedirectPlan plan) throws IOException {
    NftServiceUnit unit = NftServiceUnit.of(plan);
    for (ConfigFile f : List.of(unit.unit(), unit.rules())) {
      Path p = root.resolve(f.path().substring(1));
      Files.createDirectories(p.getParent());
      Files.writeString(p, f.content(), StandardCharsets.UTF_8);
    }
    return unit;
  }

  /** Runs the unit's {@code key=} line from the installed file, as written, inside {@code ns}. */
  private Cmd.Result exec(Netns ns, NftServiceUnit unit, String key) throws IOException {
    String text = Files.readString(root.resolve(unit.unit().path().substring(1)));
    List<String> words = UnitFiles.mappedInto(root, UnitFiles.words(UnitFiles.value(text, key)));
    return ns.exec(words.toArray(String[]::new));
  }

  private static String tcp80(Netns ns) {
    return ns.call(() -> Echo.tcp("127.0.0.1", 80));
  }

  private static String udp514(Netns ns) {
    Flows.forget(ns); // each probe starts a new flow, translated by the rules of now
    return ns.call(() -> Echo.udp("::1", 514));
  }

  @Test
  void theUnitLinesLoadReloadAfterAFlushAndStop() throws IOException {
    Kernel.requireRoot();
    Kernel.requireCommand("nft", "conntrack");
    Kernel.require(
        Files.isExecutable(Path.of(NftServiceUnit.NFT_BINARY)),
        NftServiceUnit.NFT_BINARY + " is not installed");
    NftServiceUnit unit = stage(PLAN);
    NftServiceUnit other = stage(RedirectPlan.builder().name("other").tcp(81, 8081).build());
    try (Netns ns = Netns.create("install");
        Echo.Servers servers = ns.call(() -> new Echo.Servers(80, 81, 514, 5514, 8080, 8081))) {
      assertThat(tcp80(ns)).as("no rules yet").isEqualTo("port=80");
      assertThat(udp514(ns)).isEqualTo("port=514");

      assertThat(exec(ns, unit, "ExecStart").exitCode()).isZero();
      assertThat(exec(ns, other, "ExecStart").exitCode()).isZero();
      assertThat(tcp80(ns)).isEqualTo("port=8080");
      assertThat(udp514(ns)).isEqualTo("port=5514");
      assertThat(ns.call(() -> Echo.tcp("127.0.0.1", 81))).isEqualTo("port=8081");

      // What a reload of nftables.service does (Debian: nft -f /etc/nftables.conf, which begins
      // with "flush ruleset"; Fedora: "flush ruleset; include ..."), then propagated reloads.
      ns.execWithInput("flush ruleset\n" + NftFixtures.FOREIGN_TABLES, "nft", "-f", "-").orThrow();
      assertThat(tcp80(ns)).as("the flush deleted the table").isEqualTo("port=80");
      assertThat(exec(ns, unit, "ExecReload").exitCode()).isZero();
      assertThat(exec(ns, other, "ExecReload").exitCode()).isZero();
      assertThat(tcp80(ns)).isEqualTo("port=8080");
      assertThat(udp514(ns)).isEqualTo("port=5514");
      assertThat(ns.sh("nft", "list", "tables")).contains("table ip nat", "table inet foreign");
      String reloaded = ns.sh("nft", "-s", "list", "table", "inet", "privport");

      // A reload over a live table replaces it: applying twice equals applying once.
      assertThat(exec(ns, unit, "ExecReload").exitCode()).isZero();
      assertThat(ns.sh("nft", "-s", "list", "table", "inet", "privport")).isEqualTo(reloaded);
      assertThat(ns.sh("nft", "list", "tables")).containsOnlyOnce("table inet privport\n");

      assertThat(exec(ns, unit, "ExecStop").exitCode()).isZero();
      assertThat(tcp80(ns)).isEqualTo("port=80");
      assertThat(udp514(ns)).isEqualTo("port=514");
      assertThat(ns.sh("nft", "list", "tables"))
          .as("stop deletes its own table only")
          .contains("table inet privport-other", "table ip nat", "table inet foreign")
          .doesNotContain("table inet privport\n");
      Cmd.Result again = exec(ns, unit, "ExecStop");
      assertThat(again.exitCode()).as("stop when already gone: " + again.stderr()).isZero();
      assertThat(ns.call(() -> Echo.tcp("127.0.0.1", 81))).isEqualTo("port=8081");
    }
  }

  @Test
  void aBrokenScriptFailsStartAndChangesNothing() throws IOException {
    Kernel.requireRoot();
    Kernel.requireCommand("nft");
    NftServiceUnit unit = stage(PLAN);
    try (Netns ns = Netns.create("install")) {
      assertThat(exec(ns, unit, "ExecStart").exitCode()).isZero();
      String before = ns.sh("nft", "list", "ruleset");
      Path rules = root.resolve(unit.rules().path().substring(1));
      Files.writeString(rules, unit.rules().content().replace(":8080", ":8080 bogus"));
      assertThat(exec(ns, unit, "ExecReload").exitCode()).isNotZero();
      assertThat(ns.sh("nft", "list", "ruleset")).isEqualTo(before);
    }
  }

  @Test
  void theUnitPassesSystemdAnalyzeVerify() throws IOException {
    Kernel.requireCommand("systemd-analyze");
    Kernel.require(
        Files.isExecutable(Path.of(NftServiceUnit.NFT_BINARY)),
        NftServiceUnit.NFT_BINARY + " is not installed (systemd-analyze checks the Exec lines)");
    for (RedirectPlan plan :
        List.of(PLAN, RedirectPlan.builder().name("web-2").tcp(443, 8443).build())) {
      Path unit = root.resolve(NftServiceUnit.unitName(plan));
      Files.writeString(unit, NftServiceUnit.of(plan).unit().content());
      Cmd.Result r = Cmd.run("systemd-analyze", "verify", "--man=no", unit.toString());
      assertThat(r.exitCode()).as(r.stderr()).isZero();
      assertThat(r.stderr()).as("systemd-analyze prints mistakes even when it exits 0").isEmpty();
    }
    // The check can fail: a misspelt key is reported.
    Path broken = root.resolve("broken.service");
    Files.writeString(
        broken, NftServiceUnit.of(PLAN).unit().content().replace("ProtectClock", "ProtectClok"));
    assertThat(Cmd.run("systemd-analyze", "verify", "--man=no", broken.toString()).stderr())
        .contains("ProtectClok");
  }

  @Test
  void pathsNamesAndTheMarker() {
    RedirectPlan web = RedirectPlan.builder().name("web").tcp(80, 8080).build();
    NftServiceUnit unit = NftServiceUnit.of(web);
    assertThat(unit.unit().path()).isEqualTo("/etc/systemd/system/privport-web.service");
    assertThat(unit.rules().path()).isEqualTo("/etc/privport/privport-web.nft");
    assertThat(unit.rules().content()).isEqualTo(new NftRenderer().render(web));
    String marker = NftServiceUnit.marker(web);
    assertThat(marker).isEqualTo("# privport plan \"privport-web\"");
    assertThat(unit.unit().content()).startsWith(marker + ":");
    assertThat(unit.rules().content()).startsWith(marker + ":");
    assertThat(NftServiceUnit.of(RedirectPlan.of(80, 8080)).unit().content())
        .as("another plan's marker is not a prefix of this one's")
        .doesNotStartWith(marker);
    String text = unit.unit().content();
    assertThat(UnitFiles.value(text, "ExecStart"))
        .isEqualTo("/usr/sbin/nft -f /etc/privport/privport-web.nft");
    assertThat(UnitFiles.value(text, "ExecReload")).isEqualTo(UnitFiles.value(text, "ExecStart"));
    assertThat(UnitFiles.words(UnitFiles.value(text, "ExecStop")))
        .containsExactly(
            "/usr/sbin/nft", "add table inet privport-web; delete table inet privport-web");
    assertThat(unit.lifecycle().get(2))
        .isEqualTo(
            Command.of(
                "/usr/sbin/nft", "add table inet privport-web; delete table inet privport-web"));
    assertThat(UnitFiles.value(text, "After")).isEqualTo("nftables.service");
    assertThat(UnitFiles.value(text, "PartOf")).isEqualTo("nftables.service");
    assertThat(UnitFiles.value(text, "ReloadPropagatedFrom")).isEqualTo("nftables.service");
    assertThat(UnitFiles.value(text, "WantedBy")).isEqualTo("multi-user.target");
    assertThat(UnitFiles.values(text, "Wants")).containsExactly("network-pre.target");
  }

  @Test
  void wordsThatSystemdWouldReadOtherwiseAreRefused() {
    for (String bad : List.of("100%", "$HOME", "a\"b", "a\\b", "it's", "new\nline")) {
      assertThatThrownBy(() -> NftServiceUnit.execLine(Command.of("/usr/sbin/nft", bad)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("cannot go in a unit file");
    }
  }
}
