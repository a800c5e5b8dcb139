package dev.privport.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.testkit.Cmd;
import dev.privport.testkit.Echo;
import dev.privport.testkit.Fixtures;
import dev.privport.testkit.Kernel;
import dev.privport.testkit.Netns;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
  private static final Path STATE =
      Path.of(
          System.getProperty("java.io.tmpdir"), "privport-cli-" + ProcessHandle.current().pid());

  private Netns ns;
  private Echo.Servers listeners;

  /** A finished privport process. */
  record Run(int exitCode, String stdout, String stderr) {}

  /**
   * Runs privport; {@code input} is written to stdin, which stays open unless {@code closeInput}.
   */
  private static Run privport(Netns in, String input, boolean closeInput, String... args)
      throws Exception {
    return privport(in, List.of(), input, closeInput, args);
  }

  /** As above, with {@code wrapper} words (a command that execs the rest) before the JVM. */
  private static Run privport(
      Netns in, List<String> wrapper, String input, boolean closeInput, String... args)
      throws Exception {
    List<String> argv = new ArrayList<>();
    if (in != null) {
      argv.addAll(List.of("ip", "netns", "exec", in.name()));
    }
    argv.addAll(wrapper);
    argv.addAll(
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            // The lock and saved trials go to a directory of the test's own, not the host's /run.
            "-Dprivport.state.dir=" + STATE,
            "-cp",
            System.getProperty("java.class.path"),
            Privport.class.getName()));
    argv.addAll(List.of(args));
    Process p = new ProcessBuilder(argv).start();
    OutputStream stdin = p.getOutputStream();
    stdin.write(input.getBytes(StandardCharsets.UTF_8));
    stdin.flush();
    if (closeInput) {
      stdin.close();
    }
    var out = Cmd.drain(p.getInputStream());
    var err = Cmd.drain(p.getErrorStream());
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException("privport did not finish: " + argv);
      }
      return new Run(p.exitValue(), out.join(), err.join());
    } finally {
      p.destroyForcibly();
      stdin.close();
    }
  }

  @BeforeAll
  void start() {
    Kernel.requireRoot();
    Kernel.requireCommand("nft", "conntrack");
    ns = Netns.create();
    listeners = ns.call(() -> new Echo.Servers(80, 81, 8080, 8081));
  }

  @AfterAll
  void stop() throws java.io.IOException {
    if (listeners != null) listeners.close();
    if (ns != null) ns.close();
    java.nio.file.Files.deleteIfExists(STATE.resolve("lock"));
    java.nio.file.Files.deleteIfExists(STATE);
  }

  @BeforeEach
  void empty() {
    ns.sh("nft", "flush", "ruleset");
    Fixtures.forgetFlows(ns);
  }

  private String local80() {
    return ns.call(() -> Echo.tcp("127.0.0.1", 80));
  }

  @Test
  void renderPrintsTheRulesAndBadInputExits2() throws Exception {
    Run ok = privport(null, "", true, "render", "80:8080");
    assertThat(ok.exitCode()).isZero();
    assertThat(ok.stdout()).contains("table inet privport {");
    Run bad = privport(null, "", true, "render", "80:99999");
    assertThat(bad.exitCode()).isEqualTo(2);
    assertThat(bad.stderr()).isEqualTo("privport: toPort must be a port in 1..65535, got 99999\n");
  }

  @Test
  void applyStatusRemove() throws Exception {
    assertThat(privport(ns, "", true, "status", "80:8080").exitCode()).as("absent").isEqualTo(1);
    Run apply = privport(ns, "", true, "apply", "80:8080");
    assertThat(apply.exitCode()).as(apply.stderr()).isZero();
    assertThat(local80()).isEqualTo("port=8080");
    Run status = privport(ns, "", true, "status", "80:8080");
    assertThat(status.exitCode()).isZero();
    assertThat(status.stdout())
        .contains("local     *          tcp 80 -> 8080         yes")
        .contains("in sync with the plan");
    ns.sh("nft", "flush", "chain", "inet", "privport", "local");
    Run drifted = privport(ns, "", true, "status", "80:8080");
    assertThat(drifted.exitCode()).isEqualTo(1);
    assertThat(drifted.stdout()).contains("NOT in sync");
    assertThat(privport(ns, "", true, "remove", "80:8080").exitCode()).isZero();
    assertThat(local80()).isEqualTo("port=80");
  }

  @Test
  void applyTryKeepsTheRulesWhenConfirmed() throws Exception {
    Run r = privport(ns, "yes\n", false, "apply", "--try", "10", "80:8080");
    assertThat(r.exitCode()).as(r.stderr()).isZero();
    assertThat(r.stdout()).contains("Type 'yes' within 10 seconds").contains("kept.");
    assertThat(local80()).isEqualTo("port=8080");
  }

  @Test
  void applyTryRollsBackToThePreviousStateWhenNotConfirmedInTime() throws Exception {
    assertThat(privport(ns, "", true, "apply", "80:8080").exitCode()).isZero();
    String before = ns.sh("nft", "list", "ruleset");
    long start = System.nanoTime();
    Run r = privport(ns, "", false, "apply", "--try", "2", "80:8081"); // stdin open, nobody types
    assertThat(System.nanoTime() - start).as("it waited").isGreaterThan(2_000_000_000L);
    assertThat(r.exitCode()).as(r.stderr()).isEqualTo(4);
    assertThat(r.stdout()).contains("rolled back");
    assertThat(ns.sh("nft", "list", "ruleset")).isEqualTo(before);
    assertThat(local80()).isEqualTo("port=8080");
  }

  @Test
  void applyTryOnAHostWithoutThePlanRollsBackToNothing() throws Exception {
    Run r = privport(ns, "no\n", false, "apply", "--try", "5", "80:8081");
    assertThat(r.exitCode()).isEqualTo(4);
    assertThat(ns.sh("nft", "list", "tables")).doesNotContain("privport");
    assertThat(local80()).isEqualTo("port=80");
  }

  /**
   * A UDP sender that never pauses, as a switch sending syslog does, on a host that tracks flows.
   */
  @Test
  void applyAndRemoveMoveAUdpSenderThatNeverPauses() throws Exception {
    Fixtures.statefulHost(ns);
    try (Echo.UdpFlow to80 = ns.call(() -> new Echo.UdpFlow("127.0.0.1", 80, 5140));
        Echo.UdpFlow to81 = ns.call(() -> new Echo.UdpFlow("127.0.0.1", 81, 5141))) {
      assertThat(to80.exchange()).isEqualTo("port=80");
      assertThat(to81.exchange()).isEqualTo("port=81");

      Run keep = privport(ns, "", true, "apply", "--keep-flows", "80:8080/udp");
      assertThat(keep.exitCode()).as(keep.stderr()).isZero();
      assertThat(to80.exchange())
          .as("--keep-flows: the flow keeps its first path")
          .isEqualTo("port=80");

      Run apply = privport(ns, "", true, "apply", "80:8080/udp", "81:8081/udp");
      assertThat(apply.exitCode()).as(apply.stderr()).isZero();
      assertThat(apply.stdout()).contains("cleared tracked UDP flows to 80 81");
      assertThat(to80.exchange()).isEqualTo("port=8080");
      assertThat(to81.exchange()).isEqualTo("port=8081");

      Run narrower = privport(ns, "", true, "apply", "80:8080/udp");
      assertThat(narrower.exitCode()).as(narrower.stderr()).isZero();
      assertThat(to81.exchange()).as("the port the new plan dropped").isEqualTo("port=81");
      assertThat(to80.exchange()).isEqualTo("port=8080");

      Run remove = privport(ns, "", true, "remove", "80:8080/udp");
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
    Run r =
        privport(
            ns,
            withoutConntrack,
            "",
            true,
            "apply",
            "--backend",
            "nft",
            "80:8080/udp",
            "514:5514/udp");
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
