package dev.privport.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.core.Command;
import dev.privport.core.RedirectPlan;
import dev.privport.firewalld.FirewalldDirectRules;
import dev.privport.firewalld.FirewalldRenderer;
import dev.privport.iptables.IptablesRenderer;
import dev.privport.nft.NftServiceUnit;
import dev.privport.testkit.fixtures.FirewalldDaemon;
import dev.privport.testkit.lab.Kernel;
import dev.privport.testkit.lab.Netns;
import dev.privport.testkit.traffic.Echo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Which route survives what, measured with real traffic in a namespace where firewalld runs (with
 * its nftables backend): {@code firewall-cmd --reload}, and {@code nft flush ruleset}, which is
 * what a reload or restart of nftables.service does first. The README's table is these results.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SurvivalKernelTest {
  private static final RedirectPlan PLAN = RedirectPlan.of(80, 8080);
  private Netns ns;
  private FirewalldDaemon firewalld;
  private Echo.Servers servers;

  @BeforeAll
  void start() {
    Kernel.requireRoot();
    Kernel.requireCommand("nft", "iptables");
    ns = Netns.create("install");
    firewalld = FirewalldDaemon.start(ns);
    servers = ns.call(() -> new Echo.Servers(80, 8080));
  }

  @AfterAll
  void stop() {
    if (servers != null) servers.close();
    if (firewalld != null) firewalld.close();
    if (ns != null) ns.close();
  }

  @BeforeEach
  void clean() {
    // Nothing of privport's left, and firewalld's runtime rebuilt from an empty permanent config.
    ns.execWithInput(new dev.privport.nft.NftRenderer().renderRemoval(PLAN), "nft", "-f", "-")
        .orThrow();
    new IptablesRenderer().renderAll(PLAN).executeUndo(this::inNs);
    FirewalldDirectRules direct = new FirewalldRenderer().renderDirect(PLAN);
    direct.permanentRemove().forEach(c -> firewalld.runner().run(c));
    reloadFirewalld();
    assertThat(local80()).isEqualTo("port=80");
  }

  private int inNs(Command c) {
    return ns.exec(c.argv().toArray(String[]::new)).exitCode();
  }

  private String local80() {
    return ns.call(() -> Echo.tcp("127.0.0.1", 80));
  }

  private void reloadFirewalld() {
    firewalld.cmd("--reload").orThrow();
  }

  /**
   * {@code nft flush ruleset} deletes firewalld's own table too. A {@code firewall-cmd --reload}
   * then fails (firewalld first deletes its table: "No such file or directory", exit 13) and, as
   * seen here, leaves local traffic timing out; only a restart of firewalld brings its rules back.
   */
  private void flushRuleset() {
    ns.sh("nft", "flush", "ruleset");
  }

  private void restartFirewalld() {
    firewalld.close();
    firewalld = FirewalldDaemon.start(ns);
  }

  @Test
  void nftTable() {
    NftServiceUnit unit = NftServiceUnit.of(PLAN);
    ns.execWithInput(unit.rules().content(), "nft", "-f", "-").orThrow();
    assertThat(local80()).isEqualTo("port=8080");
    reloadFirewalld();
    assertThat(local80())
        .as("firewall-cmd --reload leaves other tables alone")
        .isEqualTo("port=8080");
    flushRuleset();
    assertThat(local80()).as("nft flush ruleset").isEqualTo("port=80");
    // The unit's ExecReload (propagated from nftables.service) loads it again.
    ns.execWithInput(unit.rules().content(), "nft", "-f", "-").orThrow();
    assertThat(local80()).isEqualTo("port=8080");
    restartFirewalld(); // firewalld's own table back for the next test
    assertThat(local80()).as("a firewalld start leaves other tables alone").isEqualTo("port=8080");
  }

  @Test
  void iptablesChains() {
    new IptablesRenderer().renderAll(PLAN).executeApply(this::inNs);
    assertThat(local80()).isEqualTo("port=8080");
    reloadFirewalld();
    assertThat(local80())
        .as("firewall-cmd --reload flushes the iptables nat table (its direct rules live there)")
        .isEqualTo("port=80");
    new IptablesRenderer().renderAll(PLAN).executeApply(this::inNs);
    assertThat(local80()).isEqualTo("port=8080");
    flushRuleset();
    assertThat(local80()).as("iptables-nft rules live in nf_tables: flushed").isEqualTo("port=80");
    restartFirewalld();
  }

  @Test
  void firewalldDirectRules() {
    FirewalldDirectRules direct = new FirewalldRenderer().renderDirect(PLAN);
    direct.runtimeAdd().forEach(c -> assertThat(firewalld.runner().run(c)).isZero());
    assertThat(local80()).isEqualTo("port=8080");
    reloadFirewalld();
    assertThat(local80()).as("runtime rules are dropped by --reload").isEqualTo("port=80");

    direct.permanentAdd().forEach(c -> assertThat(firewalld.runner().run(c)).isZero());
    assertThat(local80()).isEqualTo("port=8080");
    reloadFirewalld();
    assertThat(local80()).as("permanent rules come back with --reload").isEqualTo("port=8080");
    flushRuleset();
    assertThat(local80()).as("nft flush ruleset takes firewalld's rules too").isEqualTo("port=80");
    // A restart reads the permanent configuration again; the test kit starts firewalld with a
    // fresh configuration directory, so that part is not measured here.
    restartFirewalld();
  }
}
