package dev.privport.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.core.Command;
import dev.privport.core.RedirectPlan;
import dev.privport.core.Step;
import dev.privport.iptables.IptablesRenderer;
import dev.privport.testkit.fixtures.FirewalldDaemon;
import dev.privport.testkit.lab.Kernel;
import dev.privport.testkit.lab.Lab;
import dev.privport.testkit.process.Cmd;
import dev.privport.testkit.traffic.Echo;
import org.junit.jupiter.api.Test;

/**
 * What doctor's advice says about firewalld, measured against a real firewalld (nftables backend)
 * in the lab's host namespace, with traffic from the client: privport's own nft table survives
 * firewalld's start, {@code --reload} and {@code --complete-reload}; the iptables backend's chains
 * are deleted by a plain {@code --reload}.
 */
class FirewalldCoexistenceKernelTest {
  private static final RedirectPlan NFT_PLAN =
      RedirectPlan.builder().name("keep").tcp(80, 8080).build();
  private static final RedirectPlan IPTABLES_PLAN =
      RedirectPlan.builder().name("ipt").tcp(81, 8081).build();

  private static boolean nftTable(Lab lab) {
    return lab.host.exec("nft", "list", "table", "inet", "privport-keep").ok();
  }

  private static boolean iptablesChain(Lab lab) {
    return lab.host.exec("iptables", "-w", "-t", "nat", "-L", "PRIVPORT-IPT-IN", "-n").ok();
  }

  private static String from(Lab lab, int port) {
    return lab.client.call(() -> Echo.exchange("tcp", Lab.HOST_V4, port));
  }

  private static void applyIptables(Lab lab) {
    Step.Runner host = (Command c) -> lab.host.exec(c.argv().toArray(String[]::new)).exitCode();
    new IptablesRenderer().renderAll(IPTABLES_PLAN).executeApply(host);
  }

  /** The iptables backend's shell text under {@code sh -e}, on the lab host's firewalld bus. */
  private static Cmd.Result runShell(Lab lab, FirewalldDaemon firewalld) {
    String bus = firewalld == null ? "unix:path=/nonexistent/bus.sock" : firewalld.busAddress();
    return lab.host
        .execWithInput(
            IPTABLES_PLAN.toIptables(), "env", "DBUS_SYSTEM_BUS_ADDRESS=" + bus, "sh", "-e")
        .orThrow();
  }

  @Test
  void theNftTableSurvivesFirewalldWhileIptablesChainsDoNotSurviveAReload() {
    Kernel.requireRoot();
    Kernel.requireCommand("nft", "iptables", "firewalld", "firewall-cmd", "dbus-daemon");
    try (Lab lab = Lab.create();
        Echo.Servers servers = lab.host.call(() -> new Echo.Servers(80, 81, 8080, 8081))) {
      lab.host.execWithInput(NFT_PLAN.toNft(), "nft", "-f", "-").orThrow();
      applyIptables(lab);
      assertThat(from(lab, 80)).isEqualTo("port=8080");
      assertThat(from(lab, 81)).isEqualTo("port=8081");
      assertThat(runShell(lab, null).stderr()).as("no firewalld, no warning").isEmpty();
      try (FirewalldDaemon firewalld = FirewalldDaemon.start(lab.host)) {
        assertThat(runShell(lab, firewalld).stderr())
            .isEqualTo(
                "privport: warning: firewalld runs here and its next firewall-cmd --reload deletes"
                    + " these chains; use the firewalld backend\n");
        assertThat(nftTable(lab)).as("nft table after firewalld's start").isTrue();
        assertThat(from(lab, 80)).as("after start").isEqualTo("port=8080");
        applyIptables(lab); // measure --reload on its own, whatever the start did
        assertThat(iptablesChain(lab)).isTrue();

        firewalld.cmd("--reload").orThrow();
        assertThat(nftTable(lab)).as("nft table after --reload").isTrue();
        assertThat(from(lab, 80)).as("after --reload").isEqualTo("port=8080");
        assertThat(iptablesChain(lab)).as("iptables chain after --reload").isFalse();
        assertThat(from(lab, 81)).as("iptables redirect after --reload").isNotEqualTo("port=8081");

        firewalld.cmd("--complete-reload").orThrow();
        assertThat(nftTable(lab)).as("nft table after --complete-reload").isTrue();
        assertThat(from(lab, 80)).as("after --complete-reload").isEqualTo("port=8080");
      }
    }
  }
}
