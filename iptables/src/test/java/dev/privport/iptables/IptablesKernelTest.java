package dev.privport.iptables;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.core.Command;
import dev.privport.core.Family;
import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import dev.privport.core.Step;
import dev.privport.testkit.contract.RedirectContract;
import dev.privport.testkit.fixtures.IptablesFixtures;
import dev.privport.testkit.fixtures.PlanFixtures;
import dev.privport.testkit.lab.Kernel;
import dev.privport.testkit.lab.Lab;
import dev.privport.testkit.lab.Netns;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The backend contract with real traffic, for both ways of applying iptables rules: argv steps run
 * one by one, and restore files loaded with {@code iptables-restore --noflush}.
 */
class IptablesKernelTest {
  private static final IptablesRenderer IPTABLES = new IptablesRenderer();

  /** Runs argv inside a namespace and returns its exit status. */
  static Step.Runner runnerIn(Netns ns) {
    return (Command c) -> ns.exec(c.argv().toArray(String[]::new)).exitCode();
  }

  abstract static class Base extends RedirectContract {
    @Override
    protected void requireTools() {
      Kernel.requireCommand(
          "iptables", "ip6tables", "iptables-restore", "ip6tables-restore", "iptables-save");
    }

    @Override
    protected void remove(RedirectPlan plan) {
      IPTABLES.renderAll(plan).executeUndo(runnerIn(lab.host));
    }

    @Override
    protected void reset() {
      IptablesFixtures.emptyNat(lab.host);
    }
  }

  /** Apply by running the argv steps. */
  @Nested
  class WithArgvSteps extends Base {
    @Override
    protected void apply(RedirectPlan plan) {
      IPTABLES.renderAll(plan).executeApply(runnerIn(lab.host));
    }

    @Test
    void applyTwiceKeepsOneCopyAndUndoRestoresForeignRulesExactly() {
      IptablesFixtures.foreignChains(
          lab.host); // a pre-existing foreign chain, rule and jump, shaped like Docker's
      String before = IptablesFixtures.natState(lab.host);

      RedirectPlan plan = RedirectPlan.builder().tcp(80, 8080).udp(514, 5514).build();
      apply(plan);
      String once = IptablesFixtures.natState(lab.host);
      apply(plan);
      assertThat(IptablesFixtures.natState(lab.host)).isEqualTo(once);
      assertThat(once.split("\n"))
          .filteredOn(l -> l.contains("-j PRIVPORT-IN"))
          .hasSize(2); // one per family
      assertThat(once.split("\n")).filteredOn(l -> l.contains("-j PRIVPORT-LOCAL")).hasSize(2);
      assertThat(once.split("\n")).filteredOn(l -> l.contains("--to-ports 8080")).hasSize(4);

      remove(plan);
      assertThat(IptablesFixtures.natState(lab.host)).isEqualTo(before);
      remove(plan);
      assertThat(IptablesFixtures.natState(lab.host)).isEqualTo(before);
    }

    @Test
    void onAMixedHostAPlanAppliedWithLegacyIsFoundAndRemovedThere() {
      Kernel.requireCommand("iptables-legacy", "ip6tables-legacy", "iptables-nft", "ip6tables-nft");
      RedirectPlan plan = RedirectPlan.of(80, 8080);
      Step.Runner host = runnerIn(lab.host);
      try {
        IPTABLES.renderAll(plan, IptablesRenderer.Flavour.LEGACY).executeApply(host);
        assertThat(fromClient("tcp", Lab.HOST_V4, 80)).isEqualTo("port=8080");
        // Removing with the other flavour reports success and leaves the legacy redirect live.
        IPTABLES.renderAll(plan, IptablesRenderer.Flavour.NFT).executeUndo(host);
        assertThat(fromClient("tcp", Lab.HOST_V4, 80)).isEqualTo("port=8080");
        assertThat(IptablesRenderer.holding(plan, host))
            .containsExactly(IptablesRenderer.Flavour.LEGACY);
        assertThat(IPTABLES.removeEverywhere(plan, host))
            .containsExactly(IptablesRenderer.Flavour.LEGACY);
        assertThat(fromClient("tcp", Lab.HOST_V4, 80)).isEqualTo("port=80");
        assertThat(fromClient("tcp", Lab.HOST_V6, 80)).isEqualTo("port=80");
        assertThat(fromHost("tcp", "127.0.0.1", 80)).isEqualTo("port=80");
        assertThat(IptablesRenderer.holding(plan, host)).isEmpty();
        // And the reverse: applied with iptables-nft, found there.
        IPTABLES.renderAll(plan, IptablesRenderer.Flavour.NFT).executeApply(host);
        assertThat(IPTABLES.removeEverywhere(plan, host))
            .containsExactly(IptablesRenderer.Flavour.NFT);
        assertThat(fromClient("tcp", Lab.HOST_V4, 80)).isEqualTo("port=80");
      } finally {
        IPTABLES.removeEverywhere(plan, host);
      }
    }

    @Test
    void reApplyingASmallerPlanRemovesWhatItNoLongerNeeds() {
      apply(RedirectPlan.builder().tcp(80, 8080).add(Redirect.tcp(81, 8081).localOnly()).build());
      apply(RedirectPlan.of(Redirect.tcp(80, 8080).incomingOnly().ipv4Only()));
      String state = IptablesFixtures.natState(lab.host);
      assertThat(state).contains("-A PRIVPORT-IN").doesNotContain("PRIVPORT-LOCAL");
      assertThat(fromHost("tcp", "127.0.0.1", 81)).isEqualTo("port=81");
      assertThat(fromClient("tcp", "2001:db8:1::1", 80)).isEqualTo("port=80");
      assertThat(fromClient("tcp", "192.0.2.1", 80)).isEqualTo("port=8080");
    }

    @Test
    void theShellTextRunsUnderShDashE() {
      RedirectPlan plan =
          RedirectPlan.builder()
              .name("web")
              .tcp(80, 8080)
              .add(Redirect.udp(514, 5514).onInterface("h+"))
              .build();
      for (int i = 0; i < 2; i++) {
        lab.host.execWithInput(plan.toIptables(), "sh", "-e").orThrow();
      }
      assertThat(IptablesFixtures.natState(lab.host).split("\n"))
          .filteredOn(l -> l.contains("-j PRIVPORT-WEB-IN"))
          .hasSize(2);
      assertThat(fromClient("tcp", "192.0.2.1", 80)).isEqualTo("port=8080");
    }
  }

  /** Apply by loading the restore files with --noflush, after the unhook steps. */
  @Nested
  class WithRestoreFiles extends Base {
    @Override
    protected void apply(RedirectPlan plan) {
      IptablesRendering r = IPTABLES.renderAll(plan);
      Step.executeAll(r.unhook(), runnerIn(lab.host));
      r.restoreIpv4()
          .ifPresent(f -> lab.host.execWithInput(f, "iptables-restore", "--noflush").orThrow());
      r.restoreIpv6()
          .ifPresent(f -> lab.host.execWithInput(f, "ip6tables-restore", "--noflush").orThrow());
    }

    @Test
    void everyRestoreFilePassesTheTestModeAndLoadingTwiceKeepsOneCopy() {
      for (RedirectPlan plan : PlanFixtures.ofEveryShape()) {
        IptablesRendering r = IPTABLES.renderAll(plan);
        for (Family family : Family.values()) {
          String file = (family == Family.IPV4 ? r.restoreIpv4() : r.restoreIpv6()).orElseThrow();
          String tool = IptablesRenderer.program(family) + "-restore";
          var check = lab.host.execWithInput(file, tool, "--test", "--noflush");
          assertThat(check.exitCode()).as(tool + " --test: " + check.stderr()).isZero();
        }
        apply(plan);
        String once = IptablesFixtures.natState(lab.host);
        apply(plan);
        assertThat(IptablesFixtures.natState(lab.host)).isEqualTo(once);
        remove(plan);
      }
    }
  }
}
