package dev.privport.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.core.RedirectPlan;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The command line in-process: output, errors, exit codes, golden files and the staleness check.
 */
class PrivportCliTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return Privport.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
  }

  static Path golden(String name) {
    try {
      return Path.of(PrivportCliTest.class.getResource("/golden/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void rendersTheDefaultPlanAsNft() {
    assertThat(run("render", "80:8080")).isZero();
    assertThat(out.toString()).isEqualTo(RedirectPlan.of(80, 8080).toNft());
    assertThat(err.toString()).isEmpty();
  }

  @Test
  void badInputIsOneLineOnStderrAndExitCode2() {
    assertThat(run("render", "80:80")).isEqualTo(2);
    assertThat(err.toString())
        .isEqualTo(
            "privport: toPort must differ from fromPort 80, got 80" + System.lineSeparator());
    assertThat(out.toString()).isEmpty();
  }

  @Test
  void anArgumentStartingWithAtIsAValueNotAFileToRead() throws Exception {
    // picocli reads "@FILE" as a file of arguments by default: "@/" was a stack trace and exit 1,
    // and "@/etc/shadow" would have read a file the user never named as a plan.
    assertThat(run("render", "--interface", "@/", "80:8080")).isEqualTo(2);
    assertThat(err.toString().lines()).singleElement().asString().startsWith("privport: interface");
    err.getBuffer().setLength(0);
    java.nio.file.Path args = java.nio.file.Files.createTempFile("privport-args", ".txt");
    try {
      java.nio.file.Files.writeString(args, "80:8080\n");
      assertThat(run("render", "@" + args)).isEqualTo(2);
      assertThat(out.toString()).isEmpty();
      assertThat(err.toString().lines()).singleElement().asString().startsWith("privport: ");
    } finally {
      java.nio.file.Files.delete(args);
    }
  }

  @Test
  void unknownOptionsAndConflictsAreOneLineToo() {
    assertThat(run("render", "--bogus", "80:8080")).isEqualTo(2);
    assertThat(err.toString().lines())
        .singleElement()
        .asString()
        .startsWith("privport: Unknown option: '--bogus'");
    err.getBuffer().setLength(0);
    assertThat(run("render", "--ipv4-only", "--ipv6-only", "80:8080")).isEqualTo(2);
    assertThat(err.toString()).contains("--ipv4-only and --ipv6-only exclude each other");
    err.getBuffer().setLength(0);
    assertThat(run("render", "--backend", "redir", "514:5514/udp")).isEqualTo(2);
    assertThat(err.toString()).contains("redir forwards TCP only");
    err.getBuffer().setLength(0);
    assertThat(run()).isEqualTo(2);
    assertThat(err.toString()).contains("a command is needed");
  }

  @ParameterizedTest
  @ValueSource(strings = {"render", "check", "apply", "remove", "status", "doctor"})
  void everyCommandHasHelp(String command) {
    assertThat(run(command, "--help")).isZero();
    assertThat(out.toString()).startsWith("Usage: privport " + command);
  }

  @Test
  void optionsShapeTheRedirects() {
    assertThat(
            run(
                "render",
                "--name",
                "syslog",
                "--ipv4-only",
                "--incoming-only",
                "--interface",
                "eth0",
                "514:5514/udp"))
        .isZero();
    assertThat(out.toString())
        .contains("table inet privport-syslog {")
        .contains(
            "iifname \"eth0\" meta nfproto ipv4 fib daddr type local udp dport 514 counter redirect to :5514");
  }

  @ParameterizedTest
  @ValueSource(strings = {"edge", "web"})
  void renderOutWritesExactlyTheGoldenFiles(String name, @TempDir Path dir) throws IOException {
    Path plan = golden(name).resolve("privport.plan");
    assertThat(
            run(
                "render",
                "--plan",
                plan.toString(),
                "--backend",
                "all",
                "--host-address",
                "192.0.2.1",
                "--host-address",
                "2001:db8::1",
                "--out",
                dir.toString()))
        .isZero();
    assertThat(tree(dir)).isEqualTo(tree(golden(name).resolve("rules")));
    for (String file : tree(dir)) {
      assertThat(Files.readString(dir.resolve(file)))
          .as(file)
          .isEqualTo(Files.readString(golden(name).resolve("rules").resolve(file)));
    }
  }

  @Test
  void checkPassesOnFreshFilesAndFailsWithADiffOnStaleOnes(@TempDir Path dir) throws IOException {
    Path plan = dir.resolve("privport.plan");
    Files.writeString(plan, "name web\n80:8080\n443:8443\n");
    Path rules = dir.resolve("rules");
    assertThat(
            run("render", "--plan", plan.toString(), "--backend", "all", "--out", rules.toString()))
        .isZero();
    assertThat(run("check", "--plan", plan.toString(), rules.toString())).isZero();
    assertThat(out.toString()).contains("fresh: 9 files match");

    // The intent changes, the rules were not re-rendered: stale.
    Files.writeString(plan, "name web\n80:8081\n443:8443\n");
    out.getBuffer().setLength(0);
    assertThat(run("check", "--plan", plan.toString(), rules.toString())).isEqualTo(1);
    assertThat(out.toString())
        .contains("--- " + rules.resolve("nftables/privport-web.nft") + " (checked in)")
        .contains(
            "-\t\tfib daddr type local tcp dport 80 counter redirect to :8080 comment \"tcp 80 -> 8080\"")
        .contains(
            "+\t\tfib daddr type local tcp dport 80 counter redirect to :8081 comment \"tcp 80 -> 8081\"")
        .contains("6 of 9 files are stale (6 changed, 0 missing, 0 obsolete)");

    // Re-rendered: fresh again. A file deleted by hand: stale.
    assertThat(
            run("render", "--plan", plan.toString(), "--backend", "all", "--out", rules.toString()))
        .isZero();
    assertThat(run("check", "--plan", plan.toString(), rules.toString())).isZero();
    Files.delete(rules.resolve("iptables/privport-web.rules.v6"));
    out.getBuffer().setLength(0);
    assertThat(run("check", "--plan", plan.toString(), rules.toString())).isEqualTo(1);
    assertThat(out.toString())
        .contains("missing: " + rules.resolve("iptables/privport-web.rules.v6"));
  }

  @Test
  void renderingIsDeterministic(@TempDir Path dir) throws IOException {
    Path plan = golden("edge").resolve("privport.plan");
    run(
        "render",
        "--plan",
        plan.toString(),
        "--backend",
        "all",
        "--out",
        dir.resolve("a").toString());
    run(
        "render",
        "--plan",
        plan.toString(),
        "--backend",
        "all",
        "--out",
        dir.resolve("b").toString());
    for (String file : tree(dir.resolve("a"))) {
      assertThat(Files.readAllBytes(dir.resolve("b").resolve(file)))
          .isEqualTo(Files.readAllBytes(dir.resolve("a").resolve(file)));
    }
  }

  @Test
  void doctorTurnsAnErrorIntoAPlanAndAdvice() {
    assertThat(
            run(
                "doctor",
                "--error",
                "Error: rootlessport cannot expose privileged port 443, you can add"
                    + " 'net.ipv4.ip_unprivileged_port_start=443' to /etc/sysctl.conf (currently 1024)"))
        .isZero();
    assertThat(out.toString())
        .contains("The error implies: tcp 443 -> 8443")
        .contains("Port 443/tcp: use ");
  }

  private static List<String> tree(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files
          .filter(Files::isRegularFile)
          .map(p -> dir.relativize(p).toString())
          .sorted()
          .toList();
    }
  }
}
