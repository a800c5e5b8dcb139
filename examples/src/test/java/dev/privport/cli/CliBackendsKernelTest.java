package dev.privport.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.testkit.fixtures.FirewalldDaemon;
import dev.privport.testkit.fixtures.IptablesFixtures;
import dev.privport.testkit.lab.Kernel;
import dev.privport.testkit.lab.Netns;
import dev.privport.testkit.process.CliProcess;
import dev.privport.testkit.process.Cmd;
import dev.privport.testkit.traffic.Echo;
import dev.privport.testkit.traffic.Flows;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code privport apply|remove|status --backend nft|iptables|firewalld} as real processes in
 * namespaces of the test's own, proven with real TCP and UDP traffic: redirected after apply, the
 * same state after a second apply, status 0 in sync and 1 after tampering, foreign rules untouched
 * by remove, {@code --try} rolled back, bad input refused before anything is touched. nft and
 * iptables act in one namespace; firewalld in another, where a private firewalld runs on a private
 * bus that the privport processes reach through {@code DBUS_SYSTEM_BUS_ADDRESS}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CliBackendsKernelTest {
  private Netns plain;
  private Netns fwns;
  private FirewalldDaemon firewalld;
  private Echo.Servers plainListeners;
  private Echo.Servers fwListeners;
  private Path state;

  @BeforeAll
  void start() throws IOException {
    Kernel.requireRoot();
    Kernel.requireCommand(
        "nft", "iptables", "ip6tables", "iptables-restore", "iptables-save", "conntrack");
    state =
        Files.createTempDirectory(
            "clibackends-state",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    plain = Netns.create("clibackends");
    plainListeners = plain.call(() -> new Echo.Servers(80, 514, 8080, 5514));
    fwns = Netns.create("clibackends");
    firewalld = FirewalldDaemon.start(fwns);
    fwListeners = fwns.call(() -> new Echo.Servers(80, 514, 8080, 5514));
  }

  @AfterAll
  void stop() throws IOException {
    if (plainListeners != null) plainListeners.close();
    if (fwListeners != null) fwListeners.close();
    if (firewalld != null) firewalld.close();
    if (fwns != null) fwns.close();
    if (plain != null) plain.close();
    if (state != null) {
      try (Stream<Path> files = Files.walk(state)) {
        for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(f);
        }
      }
    }
  }

  @BeforeEach
  void empty() {
    plain.sh("nft", "flush", "ruleset"); // iptables-nft's tables too
    Flows.forget(plain);
    Flows.forget(fwns);
    for (String ipv : List.of("ipv4", "ipv6")) {
      for (String line :
          firewalld
              .cmd("--permanent", "--direct", "--get-all-rules")
              .stdout()
              .lines()
              .filter(l -> l.startsWith(ipv + " "))
              .toList()) {
        firewalld.cmd(argv("--permanent --direct --remove-rule", line));
      }
    }
    firewalld.cmd("--reload");
  }

  /**
   * firewall-cmd's argument words for {@code prefix} and a rule as {@code --get-all-rules} lists
   * it.
   */
  private static String[] argv(String prefix, String rule) {
    List<String> out = new ArrayList<>(List.of(prefix.split(" ")));
    out.addAll(ShellWordsLite.split(rule));
    return out.toArray(String[]::new);
  }

  private Netns ns(String backend) {
    return backend.equals("firewalld") ? fwns : plain;
  }

  /** A finished privport process. */
  record Run(int exitCode, String stdout, String stderr) {}

  /** Runs privport in {@code ns} to its end; stdin stays open for {@code openFor} seconds. */
  private Run privport(Netns ns, Map<String, String> env, String... args) throws Exception {
    List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", ns.name()));
    argv.addAll(
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Dprivport.state.dir=" + state,
            "-cp",
            System.getProperty("java.class.path"),
            Privport.class.getName()));
    argv.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(argv);
    pb.environment().remove("DBUS_SYSTEM_BUS_ADDRESS");
    if (ns == fwns) {
      pb.environment().put("DBUS_SYSTEM_BUS_ADDRESS", firewalld.busAddress());
    }
    pb.environment().putAll(env);
    Process p = pb.start();
    OutputStream stdin = p.getOutputStream(); // open: --try waits for its deadline, not for EOF
    var out = Cmd.drain(p.getInputStream());
    var err = Cmd.drain(p.getErrorStream());
    try {
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        throw new IllegalStateException("privport did not finish: " + argv);
      }
      return new Run(p.exitValue(), out.join(), err.join());
    } finally {
      p.destroyForcibly();
      stdin.close();
    }
  }

  private Run privport(String backend, String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of(args[0], "--backend", backend));
    all.addAll(Arrays.asList(args).subList(1, args.length));
    return privport(ns(backend), Map.of(), all.toArray(String[]::new));
  }

  /** What the backend holds, without counters or timestamps: equal means nothing changed. */
  private String live(String backend) {
    return switch (backend) {
      case "nft" -> plain.sh("nft", "-s", "list", "ruleset");
      case "iptables" -> IptablesFixtures.natState(plain).replaceAll("\\[\\d+:\\d+\\]", "[]");
      default ->
          firewalld.cmd("--direct", "--get-all-rules").stdout()
              + "--permanent--\n"
              + firewalld.cmd("--permanent", "--direct", "--get-all-rules").stdout()
              // Direct rules live in iptables' nat chains. iptables-save shows an absent nat table
              // as an empty one: firewalld's reload leaves the tables it once created, empty.
              + IptablesFixtures.natState(fwns).replaceAll("\\[\\d+:\\d+\\]", "[]");
    };
  }

  /** Adds a rule that belongs to no plan of privport's. */
  private void foreignRule(String backend) {
    switch (backend) {
      case "nft" -> {
        plain.sh("nft", "add", "table", "inet", "foreign");
        plain.sh("sh", "-c", "nft 'add chain inet foreign c { type nat hook output priority 0; }'");
        plain.sh("sh", "-c", "nft add rule inet foreign c tcp dport 9999 redirect to :80");
      }
      case "iptables" -> IptablesFixtures.foreignChains(plain);
      default ->
          assertThat(
                  firewalld
                      .cmd(
                          "--permanent",
                          "--direct",
                          "--add-rule",
                          "ipv4",
                          "nat",
                          "OUTPUT",
                          "0",
                          "-p",
                          "tcp",
                          "--dport",
                          "9999",
                          "-m",
                          "comment",
                          "--comment",
                          "someone else",
                          "-j",
                          "REDIRECT",
                          "--to-ports",
                          "80")
                      .exitCode())
              .isZero();
    }
    if (backend.equals("firewalld")) firewalld.cmd("--reload");
  }

  /** Changes the plan's own state behind privport's back. */
  private void tamper(String backend) {
    switch (backend) {
      case "nft" ->
          plain.sh("sh", "-c", "nft add rule inet privport local tcp dport 22 redirect to :2222");
      case "iptables" ->
          plain.sh(
              "iptables -w -t nat -A PRIVPORT-LOCAL -p tcp --dport 22 -j REDIRECT --to-ports 2222"
                  .split(" "));
      default -> {
        // The runtime loses one of the plan's rules; the permanent configuration still has it.
        String rule =
            firewalld
                .cmd("--direct", "--get-all-rules")
                .stdout()
                .lines()
                .filter(l -> l.contains("privport: tcp 80 -> 8080") && l.contains(" OUTPUT "))
                .findFirst()
                .orElseThrow();
        assertThat(firewalld.cmd(argv("--direct --remove-rule", rule)).exitCode()).isZero();
      }
    }
  }

  private String tcp80(String backend) {
    return ns(backend).call(() -> Echo.tcp("127.0.0.1", 80));
  }

  private String udp514(String backend) {
    return ns(backend).call(() -> Echo.udp("127.0.0.1", 514));
  }

  @ParameterizedTest
  @ValueSource(strings = {"nft", "iptables", "firewalld"})
  void applyTwiceStatusTamperAndExactRemove(String backend) throws Exception {
    assertThat(tcp80(backend)).as("not redirected before").isEqualTo("port=80");
    foreignRule(backend);
    String foreign = live(backend);
    Run absent = privport(backend, "status", "80:8080", "514:5514/udp");
    assertThat(absent.exitCode()).as(absent.stdout() + absent.stderr()).isEqualTo(1);
    assertThat(absent.stdout()).contains("NOT in sync with the plan");

    Run apply = privport(backend, "apply", "80:8080", "514:5514/udp");
    assertThat(apply.exitCode()).as(apply.stderr()).isZero();
    assertThat(apply.stderr()).as("no noise (SLF4J, libraries)").isEmpty();
    assertThat(tcp80(backend)).isEqualTo("port=8080");
    assertThat(udp514(backend)).isEqualTo("port=5514");
    String applied = live(backend);

    Run again = privport(backend, "apply", "80:8080", "514:5514/udp");
    assertThat(again.exitCode()).as(again.stderr()).isZero();
    assertThat(live(backend)).as("a second apply changes nothing").isEqualTo(applied);
    assertThat(again.stdout()).startsWith("unchanged: ");

    Run status = privport(backend, "status", "80:8080", "514:5514/udp");
    assertThat(status.exitCode()).as(status.stdout() + status.stderr()).isZero();
    assertThat(status.stdout())
        .contains("local     *          tcp 80 -> 8080         yes")
        .contains("in sync with the plan");

    tamper(backend);
    Run drift = privport(backend, "status", "80:8080", "514:5514/udp");
    assertThat(drift.exitCode()).as(drift.stdout() + drift.stderr()).isEqualTo(1);
    assertThat(drift.stdout())
        .contains("drift: ")
        .contains("NOT in sync with the plan: 1 difference");

    Run mend = privport(backend, "apply", "80:8080", "514:5514/udp");
    assertThat(mend.exitCode()).as(mend.stderr()).isZero();
    assertThat(mend.stdout()).startsWith("applied: ");
    assertThat(privport(backend, "status", "80:8080", "514:5514/udp").exitCode()).isZero();

    Run remove = privport(backend, "remove", "80:8080", "514:5514/udp");
    assertThat(remove.exitCode()).as(remove.stderr()).isZero();
    assertThat(remove.stdout()).startsWith("removed: ");
    assertThat(tcp80(backend)).as("not redirected after remove").isEqualTo("port=80");
    assertThat(udp514(backend)).isEqualTo("port=514");
    assertThat(live(backend)).as("exactly what the plan added is gone").isEqualTo(foreign);
    Run twice = privport(backend, "remove", "80:8080", "514:5514/udp");
    assertThat(twice.exitCode()).as(twice.stderr()).isZero();
    assertThat(live(backend)).isEqualTo(foreign);
  }

  @ParameterizedTest
  @ValueSource(strings = {"nft", "iptables", "firewalld"})
  void aTrialNotConfirmedIsRolledBack(String backend) throws Exception {
    String before = live(backend);
    Run r = privport(backend, "apply", "--try", "2", "80:8080");
    assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isEqualTo(Privport.ROLLED_BACK);
    assertThat(r.stdout()).contains("not confirmed: rolled back");
    assertThat(tcp80(backend)).isEqualTo("port=80");
    assertThat(live(backend)).isEqualTo(before);
  }

  @ParameterizedTest
  @ValueSource(strings = {"nft", "iptables", "firewalld"})
  void aTrialOverAnEarlierVersionPutsItBackOrIsRefused(String backend) throws Exception {
    assertThat(privport(backend, "apply", "80:8081").exitCode()).isZero();
    String before = live(backend);
    Run r = privport(backend, "apply", "--try", "2", "80:8080");
    if (backend.equals("firewalld")) {
      // firewalld keeps no earlier version to put back: refused before anything changes.
      assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isEqualTo(Privport.FAILED);
      assertThat(r.stderr()).hasLineCount(1).contains("--try").contains("remove it first");
    } else {
      assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isEqualTo(Privport.ROLLED_BACK);
    }
    assertThat(live(backend)).isEqualTo(before);
    assertThat(privport(backend, "remove", "80:8081").exitCode()).isZero();
  }

  @ParameterizedTest
  @ValueSource(strings = {"nft", "iptables", "firewalld"})
  void badInputIsRefusedBeforeAnythingIsTouched(String backend) throws Exception {
    foreignRule(backend);
    String before = live(backend);
    for (String[] args :
        List.of(
            new String[] {"apply", "80:99999"},
            new String[] {"apply", "--try", "0", "80:8080"},
            new String[] {"remove", "80:80"},
            new String[] {"status", "--json", "80:8080"})) {
      if (backend.equals("nft") && args[1].equals("--json")) continue; // nft has --json
      Run r = privport(backend, args);
      assertThat(r.exitCode()).as(String.join(" ", args) + ": " + r.stderr()).isEqualTo(2);
      assertThat(r.stderr()).hasLineCount(1).startsWith("privport: ");
      assertThat(live(backend)).isEqualTo(before);
    }
    Run wrong = privport(ns(backend), Map.of(), "apply", "--backend", "redir", "80:8080");
    assertThat(wrong.exitCode()).isEqualTo(2);
    assertThat(wrong.stderr()).hasLineCount(1).contains("--backend");
    if (!backend.equals("nft")) {
      Run daemon =
          privport(
              ns(backend),
              Map.of(),
              "apply",
              "--backend",
              backend,
              "--socket",
              "/nonexistent",
              "80:8080");
      assertThat(daemon.exitCode()).as(daemon.stderr()).isEqualTo(2);
      assertThat(daemon.stderr()).hasLineCount(1).contains("nft only");
    }
    assertThat(live(backend)).isEqualTo(before);
  }

  @ParameterizedTest
  @ValueSource(strings = {"iptables", "firewalld"})
  void aSignalWhileATrialWaitsRollsItBack(String backend) throws Exception {
    String before = live(backend);
    // The bus of the namespace's private firewalld, as privport(...) passes it; the iptables route
    // never reads it.
    try (CliProcess.Running t =
        CliProcess.java()
            .in(ns(backend))
            .wrappedBy("env", "DBUS_SYSTEM_BUS_ADDRESS=" + firewalld.busAddress())
            .stateIn(state)
            .start("apply", "--backend", backend, "--try", "60", "80:8080")) {
      t.awaitOutput(o -> o.contains("Type 'yes'"), "its confirmation prompt");
      assertThat(tcp80(backend)).isEqualTo("port=8080");
      Cmd.run("kill", "-TERM", Long.toString(t.pid())).orThrow();
      Cmd.Result r = t.finish();
      assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isEqualTo(Privport.INTERRUPTED);
      assertThat(r.stdout()).contains("interrupted by SIGTERM: rolled back");
    }
    assertThat(tcp80(backend)).isEqualTo("port=80");
    assertThat(live(backend)).isEqualTo(before);
  }

  @Test
  void iptablesLeavesAJumpItDidNotAddAndRefusesToDeleteItsTarget() throws Exception {
    assertThat(privport("iptables", "apply", "80:8080").exitCode()).isZero();
    plain.sh("iptables", "-w", "-t", "nat", "-I", "OUTPUT", "-p", "udp", "-j", "PRIVPORT-LOCAL");
    String before = live("iptables");
    assertThat(privport("iptables", "apply", "80:8080").exitCode()).isZero();
    assertThat(live("iptables")).as("someone else's jump stays where it is").isEqualTo(before);
    Run remove = privport("iptables", "remove", "80:8080");
    assertThat(remove.exitCode()).as(remove.stderr()).isEqualTo(Privport.FAILED);
    assertThat(remove.stderr())
        .hasLineCount(1)
        .contains("cannot delete chain PRIVPORT-LOCAL")
        .contains("-A OUTPUT -p udp -j PRIVPORT-LOCAL");
    assertThat(live("iptables")).as("nothing changed").isEqualTo(before);
    plain.sh("iptables", "-w", "-t", "nat", "-D", "OUTPUT", "-p", "udp", "-j", "PRIVPORT-LOCAL");
    assertThat(privport("iptables", "remove", "80:8080").exitCode()).isZero();
    assertThat(plain.sh("iptables-save", "-t", "nat")).doesNotContain("PRIVPORT");
  }

  @Test
  void concurrentIptablesAppliesOfOnePlanAddOneJump() throws Exception {
    List<CompletableFuture<Run>> runs = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      runs.add(
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return privport("iptables", "apply", "80:8080");
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              }));
    }
    for (var r : runs) {
      assertThat(r.get().exitCode()).as(r.get().stderr()).isZero();
    }
    Run status = privport("iptables", "status", "80:8080");
    assertThat(status.exitCode()).as(status.stdout()).isZero();
    assertThat(
            plain.sh("iptables-save", "-t", "nat").lines().filter(l -> l.contains("-j PRIVPORT")))
        .hasSize(2);
    assertThat(privport("iptables", "remove", "80:8080").exitCode()).isZero();
  }

  @Test
  void anUnreachableFirewalldFailsWithOneLine() throws Exception {
    for (String command : List.of("apply", "remove", "status")) {
      Run r =
          privport(
              plain,
              Map.of("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=" + state.resolve("no-bus.sock")),
              command,
              "--backend",
              "firewalld",
              "80:8080");
      assertThat(r.exitCode()).as(command + ": " + r.stderr()).isEqualTo(Privport.FAILED);
      assertThat(r.stderr()).hasLineCount(1).contains("no-bus.sock");
    }
  }

  @Test
  void theDefaultIsTheDoctorsChoiceAndSaysSo() throws Exception {
    Run nft = privport(plain, Map.of(), "status", "80:8080");
    assertThat(nft.stderr()).startsWith("privport: backend nft: ").hasLineCount(1);
    Run fw = privport(fwns, Map.of(), "apply", "80:8080");
    assertThat(fw.exitCode()).as(fw.stderr()).isZero();
    assertThat(fw.stderr())
        .isEqualTo(
            "privport: backend firewalld: firewalld manages this network namespace"
                + " (--backend to choose)\n");
    assertThat(tcp80("firewalld")).isEqualTo("port=8080");
    assertThat(privport(fwns, Map.of(), "remove", "80:8080").exitCode()).isZero();
    assertThat(tcp80("firewalld")).isEqualTo("port=80");
  }

  /**
   * Splits firewall-cmd's listing of a rule into words ({@code '...'} and {@code "..."} quoted).
   */
  static final class ShellWordsLite {
    static List<String> split(String line) {
      List<String> out = new ArrayList<>();
      StringBuilder w = new StringBuilder();
      boolean in = false;
      char quote = 0;
      for (char c : line.toCharArray()) {
        if (quote != 0) {
          if (c == quote) quote = 0;
          else w.append(c);
        } else if (c == '\'' || c == '"') {
          quote = c;
          in = true;
        } else if (c == ' ') {
          if (in) out.add(w.toString());
          w.setLength(0);
          in = false;
        } else {
          w.append(c);
          in = true;
        }
      }
      if (in) out.add(w.toString());
      return out;
    }
  }
}
