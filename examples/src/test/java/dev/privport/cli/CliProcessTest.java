package dev.privport.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.testkit.fixtures.NftFixtures;
import dev.privport.testkit.lab.Kernel;
import dev.privport.testkit.lab.Netns;
import dev.privport.testkit.process.CliProcess;
import dev.privport.testkit.process.Cmd;
import dev.privport.testkit.process.TempDirs;
import dev.privport.testkit.traffic.Echo;
import dev.privport.testkit.traffic.Flows;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The command line as a separate process, as operators run it: render anywhere; apply, status,
 * remove and apply --try (confirmed, and timed out) through libnftables inside a namespace of the
 * test's own, checked with real traffic.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CliProcessTest {
  private Path state;
  private Netns ns;
  private Echo.Servers listeners;

  /** privport in {@code in} (on this host when null), its state in the test's own directory. */
  private CliProcess cli(Netns in) {
    CliProcess cli = CliProcess.java().stateIn(state);
    return in == null ? cli : cli.in(in);
  }

  /** Runs privport with {@code input} on stdin, left open: a terminal whose user typed it. */
  private Cmd.Result typing(Netns in, String input, String... args) throws Exception {
    try (CliProcess.Running r = cli(in).start(args)) {
      r.type(input);
      return r.finish();
    }
  }

  @BeforeAll
  void start() {
    Kernel.requireRoot();
    Kernel.requireCommand("nft", "conntrack");
    state = TempDirs.create("privport-cli-");
    ns = Netns.create();
    listeners = ns.call(() -> new Echo.Servers(80, 81, 8080, 8081));
  }

  @AfterAll
  void stop() {
    if (listeners != null) listeners.close();
    if (ns != null) ns.close();
    TempDirs.delete(state);
  }

  @BeforeEach
  void empty() {
    ns.sh("nft", "flush", "ruleset");
    Flows.forget(ns);
  }

  private String local80() {
    return ns.call(() -> Echo.tcp("127.0.0.1", 80));
  }

  @Test
  void renderPrintsTheRulesAndBadInputExits2() throws Exception {
    Cmd.Result ok = cli(null).run("render", "80:8080");
    assertThat(ok.exitCode()).isZero();
    assertThat(ok.stdout()).contains("table inet privport {");
    Cmd.Result bad = cli(null).run("render", "80:99999");
    assertThat(bad.exitCode()).isEqualTo(2);
    assertThat(bad.stderr()).isEqualTo("privport: toPort must be a port in 1..65535, got 99999\n");
  }

  @Test
  void applyStatusRemove() throws Exception {
    assertThat(cli(ns).run("status", "80:8080").exitCode()).as("absent").isEqualTo(1);
    Cmd.Result apply = cli(ns).run("apply", "80:8080");
    assertThat(apply.exitCode()).as(apply.stderr()).isZero();
    assertThat(local80()).isEqualTo("port=8080");
    Cmd.Result status = cli(ns).run("status", "80:8080");
    assertThat(status.exitCode()).isZero();
    assertThat(status.stdout())
        .contains("local     *          tcp 80 -> 8080         yes")
        .contains("in sync with the plan");
    ns.sh("nft", "flush", "chain", "inet", "privport", "local");
    Cmd.Result drifted = cli(ns).run("status", "80:8080");
    assertThat(drifted.exitCode()).isEqualTo(1);
    assertThat(drifted.stdout()).contains("NOT in sync");
    assertThat(cli(ns).run("remove", "80:8080").exitCode()).isZero();
    assertThat(local80()).isEqualTo("port=80");
  }

  @Test
  void applyTryKeepsTheRulesWhenConfirmed() throws Exception {
    Cmd.Result r = typing(ns, "yes\n", "apply", "--try", "10", "80:8080");
    assertThat(r.exitCode()).as(r.stderr()).isZero();
    assertThat(r.stdout()).contains("Type 'yes' within 10 seconds").contains("kept.");
    assertThat(local80()).isEqualTo("port=8080");
  }

  @Test
  void applyTryRollsBackToThePreviousStateWhenNotConfirmedInTime() throws Exception {
    assertThat(cli(ns).run("apply", "80:8080").exitCode()).isZero();
    String before = ns.sh("nft", "list", "ruleset");
    long start = System.nanoTime();
    Cmd.Result r = typing(ns, "", "apply", "--try", "2", "80:8081"); // stdin open, nobody types
    assertThat(System.nanoTime() - start).as("it waited").isGreaterThan(2_000_000_000L);
    assertThat(r.exitCode()).as(r.stderr()).isEqualTo(4);
    assertThat(r.stdout()).contains("rolled back");
    assertThat(ns.sh("nft", "list", "ruleset")).isEqualTo(before);
    assertThat(local80()).isEqualTo("port=8080");
  }

  @Test
  void applyTryOnAHostWithoutThePlanRollsBackToNothing() throws Exception {
    Cmd.Result r = typing(ns, "no\n", "apply", "--try", "5", "80:8081");
    assertThat(r.exitCode()).isEqualTo(4);
    assertThat(ns.sh("nft", "list", "tables")).doesNotContain("privport");
    assertThat(local80()).isEqualTo("port=80");
  }

  /**
   * A UDP sender that never pauses, as a switch sending syslog does, on a host that tracks flows.
   */
  @Test
  void applyAndRemoveMoveAUdpSenderThatNeverPauses() throws Exception {
    NftFixtures.statefulHost(ns);
    try (Echo.UdpFlow to80 = ns.call(() -> new Echo.UdpFlow("127.0.0.1", 80, 5140));
        Echo.UdpFlow to81 = ns.call(() -> new Echo.UdpFlow("127.0.0.1", 81, 5141))) {
      assertThat(to80.exchange()).isEqualTo("port=80");
      assertThat(to81.exchange()).isEqualTo("port=81");

      Cmd.Result keep = cli(ns).run("apply", "--keep-flows", "80:8080/udp");
      assertThat(keep.exitCode()).as(keep.stderr()).isZero();
      assertThat(to80.exchange())
          .as("--keep-flows: the flow keeps its first path")
          .isEqualTo("port=80");

      Cmd.Result apply = cli(ns).run("apply", "80:8080/udp", "81:8081/udp");
      assertThat(apply.exitCode()).as(apply.stderr()).isZero();
      assertThat(apply.stdout()).contains("cleared tracked UDP flows to 80 81");
      assertThat(to80.exchange()).isEqualTo("port=8080");
      assertThat(to81.exchange()).isEqualTo("port=8081");

      Cmd.Result narrower = cli(ns).run("apply", "80:8080/udp");
      assertThat(narrower.exitCode()).as(narrower.stderr()).isZero();
      assertThat(to81.exchange()).as("the port the new plan dropped").isEqualTo("port=81");
      assertThat(to80.exchange()).isEqualTo("port=8080");

      Cmd.Result remove = cli(ns).run("remove", "80:8080/udp");
      assertThat(remove.exitCode()).as(remove.stderr()).isZero();
      assertThat(to80.exchange()).isEqualTo("port=80");
    }
  }

  @Test
  void withoutConntrackTheRulesAreAppliedAndTheOperatorIsWarned() throws Exception {
    // A private mount namespace where /dev/null covers the conntrack binary: as if not installed.
    List<String> withoutConntrack =
        List.of(
            "unshare",
            "-m",
            "sh",
            "-c",
            "c=$(PATH=$PATH:/usr/sbin:/sbin command -v conntrack) && mount --bind /dev/null \"$c\" && exec \"$@\"",
            "sh");
    Cmd.Result r = cli(ns).wrappedBy(withoutConntrack).run("apply", "80:8080/udp", "514:5514/udp");
    assertThat(r.exitCode()).as(r.stderr()).isZero();
    assertThat(r.stdout()).startsWith("applied: table inet privport (2 redirects)");
    assertThat(r.stderr())
        .isEqualTo(
            "privport: warning: UDP flows to 80 514 that began earlier keep their old path"
                + " while they keep sending: conntrack is not installed (Debian, Ubuntu: apt-get install conntrack;"
                + " Fedora: dnf install conntrack-tools)\n");
    assertThat(ns.call(() -> Echo.udp("127.0.0.1", 80)))
        .as("a new flow is redirected")
        .isEqualTo("port=8080");
  }
}
