package dev.privport.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.testkit.lab.Kernel;
import dev.privport.testkit.lab.Netns;
import dev.privport.testkit.process.CliProcess;
import dev.privport.testkit.process.Cmd;
import dev.privport.testkit.process.TempDirs;
import dev.privport.testkit.traffic.Echo;
import dev.privport.testkit.traffic.Flows;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code apply --try} as real processes in a namespace of the test's own: real signals, a real
 * {@code kill -9}, two privport processes at once, and a previous state that cannot be put back.
 * Each process keeps its saved state in a directory of this test's own ({@code
 * -Dprivport.state.dir}), never in the host's {@code /run/privport}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TrialProcessTest {
  private Netns ns;
  private Echo.Servers listeners;
  private Path state;
  private final List<CliProcess.Running> started = new ArrayList<>();

  /** privport in the test's namespace, its state in the test's own directory. */
  private CliProcess cli() {
    return CliProcess.java().in(ns).stateIn(state);
  }

  private CliProcess.Running start(List<String> jvmOptions, String... args) {
    CliProcess.Running r = cli().withJvmOptions(jvmOptions).start(args);
    started.add(r);
    return r;
  }

  /** Runs privport to its end with stdin closed. */
  private Cmd.Result privport(String... args) {
    return cli().run(args);
  }

  @BeforeAll
  void createNamespace() {
    Kernel.requireRoot();
    Kernel.requireCommand("nft", "kill");
    ns = Netns.create("nfttrial");
    listeners = ns.call(() -> new Echo.Servers(80, 8080, 8081, 8082));
  }

  @AfterAll
  void deleteNamespace() {
    if (listeners != null) listeners.close();
    if (ns != null) ns.close();
  }

  @BeforeEach
  void empty() throws IOException {
    ns.sh("nft", "flush", "ruleset");
    Flows.forget(ns);
    state = TempDirs.create("nfttrial-state");
  }

  @AfterEach
  void killAndClean() {
    started.forEach(CliProcess.Running::close);
    started.clear();
    TempDirs.delete(state);
  }

  private String local80() {
    return ns.call(() -> Echo.tcp("127.0.0.1", 80));
  }

  /** The ruleset without counter values, which the test's own traffic moves. */
  private String rules() {
    return ns.sh("nft", "-s", "list", "ruleset");
  }

  private List<String> stateFiles() throws IOException {
    try (Stream<Path> files = Files.list(state)) {
      return files.map(f -> f.getFileName().toString()).filter(f -> !f.equals("lock")).toList();
    }
  }

  /** Starts {@code apply --try 60 80:TO} and waits until it asks for confirmation. */
  private CliProcess.Running trial(String to) throws Exception {
    CliProcess.Running t = start(List.of(), "apply", "--try", "60", "80:" + to);
    t.awaitOutput(o -> o.contains("Type 'yes'"), "its confirmation prompt");
    return t;
  }

  @ParameterizedTest
  @ValueSource(strings = {"INT", "TERM", "HUP"})
  void aSignalWhileWaitingRollsBackAndExitsWithTheDocumentedCode(String signal) throws Exception {
    assertThat(privport("apply", "80:8080").exitCode()).isZero();
    String before = rules();
    CliProcess.Running t = trial("8081");
    assertThat(local80()).as("the trial's plan is live").isEqualTo("port=8081");
    Cmd.run("kill", "-s", signal, Long.toString(t.pid())).orThrow();
    Cmd.Result r = t.finish();
    assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isEqualTo(Privport.INTERRUPTED);
    assertThat(r.stdout()).contains("SIG" + signal).contains("rolled back");
    assertThat(rules()).isEqualTo(before);
    assertThat(local80()).isEqualTo("port=8080");
    assertThat(stateFiles()).as("nothing left to recover").isEmpty();
  }

  @Test
  void afterKill9TheNextCallRollsTheTrialBack() throws Exception {
    assertThat(privport("apply", "80:8080").exitCode()).isZero();
    String before = rules();
    CliProcess.Running t = trial("8081");
    Cmd.run("kill", "-9", Long.toString(t.pid())).orThrow();
    t.finish();
    assertThat(local80()).as("nobody rolled it back yet").isEqualTo("port=8081");
    assertThat(stateFiles()).as("the saved previous state").isNotEmpty();

    Cmd.Result status = privport("status", "80:8080");
    assertThat(status.stderr())
        .contains("rolled back an unconfirmed trial")
        .contains("process " + t.pid());
    assertThat(status.exitCode()).as(status.stdout()).isZero();
    assertThat(rules()).isEqualTo(before);
    assertThat(local80()).isEqualTo("port=8080");
    assertThat(stateFiles()).isEmpty();
  }

  @Test
  void afterKill9OfATrialOnAnEmptyTableTheNextApplyRemovesTheTrialsTableFirst() throws Exception {
    CliProcess.Running t = trial("8081");
    Cmd.run("kill", "-9", Long.toString(t.pid())).orThrow();
    t.finish();
    Cmd.Result remove = privport("remove", "80:8081");
    assertThat(remove.exitCode()).as(remove.stderr()).isZero();
    assertThat(remove.stderr()).contains("rolled back an unconfirmed trial");
    assertThat(ns.sh("nft", "list", "tables")).doesNotContain("privport");
    assertThat(stateFiles()).isEmpty();
  }

  @Test
  void aRollbackLeavesAnApplyAnotherProcessMadeDuringTheTrial() throws Exception {
    assertThat(privport("apply", "80:8080").exitCode()).isZero();
    CliProcess.Running t = trial("8081");
    Cmd.Result other = privport("apply", "80:8082");
    assertThat(other.exitCode()).as(other.stderr()).isZero();
    assertThat(local80()).isEqualTo("port=8082");
    String others = rules();

    Cmd.Result second = privport("apply", "--backend", "nft", "--try", "5", "80:8081");
    assertThat(second.exitCode()).as("one trial of a table at a time").isEqualTo(3);
    assertThat(second.stderr()).contains("waiting for confirmation").hasLineCount(1);

    t.type("no\n");
    Cmd.Result r = t.finish();
    assertThat(r.exitCode()).as(r.stderr()).isEqualTo(Privport.ROLLED_BACK);
    assertThat(r.stdout()).contains("changed since the trial applied it").contains("left as it is");
    assertThat(rules()).isEqualTo(others);
    assertThat(local80()).isEqualTo("port=8082");
    assertThat(stateFiles()).isEmpty();
  }

  @Test
  void anApplyOfTheSamePlanDuringATrialIsWrittenAndOutlivesItsRollback() throws Exception {
    CliProcess.Running t = trial("8081"); // the table did not exist before the trial
    // The table already holds this plan, but the trial's rollback would take it away: the apply
    // writes it, so that the rollback finds it changed and leaves it.
    Cmd.Result same = privport("apply", "80:8081");
    assertThat(same.exitCode()).as(same.stderr()).isZero();
    assertThat(same.stdout()).startsWith("applied: ");
    t.type("no\n");
    Cmd.Result r = t.finish();
    assertThat(r.exitCode()).as(r.stderr()).isEqualTo(Privport.ROLLED_BACK);
    assertThat(r.stdout()).contains("changed since the trial applied it").contains("left as it is");
    assertThat(local80()).isEqualTo("port=8081");
    assertThat(stateFiles()).isEmpty();
    // With no trial pending, an apply of the plan the table holds writes nothing.
    Cmd.Result again = privport("apply", "80:8081");
    assertThat(again.stdout()).startsWith("unchanged: ");
  }

  @Test
  void aPreviousStateThatCannotBeReadBackIsRefusedBeforeAnythingChanges() throws Exception {
    assertThat(privport("apply", "80:8080").exitCode()).isZero();
    // Behind privport's back: a rule whose comment holds quotes (only JSON can say so). nft lists
    // it as comment "say "hi"", which no nft parser reads back.
    ns.execWithInput(
            "{\"nftables\":[{\"add\":{\"rule\":{\"family\":\"inet\",\"table\":\"privport\","
                + "\"chain\":\"local\",\"comment\":\"say \\\"hi\\\"\",\"expr\":[{\"match\":"
                + "{\"op\":\"==\",\"left\":{\"payload\":{\"protocol\":\"tcp\",\"field\":\"dport\"}},"
                + "\"right\":22}},{\"accept\":null}]}}}]}",
            "nft",
            "-j",
            "-f",
            "-")
        .orThrow();
    String before = rules();
    Cmd.Result r = privport("apply", "--backend", "nft", "--try", "5", "80:8081");
    assertThat(r.exitCode()).as(r.stdout()).isEqualTo(3);
    assertThat(r.stderr())
        .hasLineCount(1)
        .contains("table inet privport")
        .contains("could not be put back")
        .contains("nothing was changed");
    assertThat(rules()).isEqualTo(before);
    assertThat(local80()).isEqualTo("port=8080");
    assertThat(stateFiles()).isEmpty();
  }

  @Test
  void theSavedStateIsOwnerOnly() throws Exception {
    CliProcess.Running t = trial("8081");
    List<String> files = stateFiles();
    assertThat(files).isNotEmpty();
    for (String f : files) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state.resolve(f))))
          .as(f)
          .isEqualTo("rw-------");
    }
    t.type("yes\n");
    assertThat(t.finish().exitCode()).isZero();
    assertThat(stateFiles()).isEmpty();
    assertThat(local80()).isEqualTo("port=8081");
  }

  @Test
  void withoutAWritableTempDirectoryApplyStatusAndRemoveWork() throws Exception {
    List<String> noTmp = List.of("-Djava.io.tmpdir=/nonexistent");
    CliProcess.Running absent = start(noTmp, "status", "80:8080");
    absent.closeInput();
    Cmd.Result a = absent.finish();
    assertThat(a.exitCode()).as(a.stderr()).isEqualTo(1);
    assertThat(a.stdout()).contains("table inet privport: absent");
    for (String[] args :
        List.of(
            new String[] {"apply", "80:8080"},
            new String[] {"status", "80:8080"},
            new String[] {"remove", "80:8080"})) {
      CliProcess.Running r = start(noTmp, args);
      r.closeInput();
      Cmd.Result done = r.finish();
      assertThat(done.exitCode()).as(String.join(" ", args) + ": " + done.stderr()).isZero();
    }
    assertThat(local80()).isEqualTo("port=80");
  }

  @Test
  void aLibraryThatDoesNotLoadIsOneLineAndExit3AndDoctorSaysSo() throws Exception {
    Path garbage = state.resolve("libnftables.so.1");
    Files.write(garbage, "not an ELF file\n".repeat(200).getBytes(StandardCharsets.US_ASCII));
    List<String> broken = List.of("-Dprivport.libnftables=" + garbage);
    for (String command : List.of("status", "apply", "remove")) {
      CliProcess.Running r = start(broken, command, "--backend", "nft", "80:8080");
      r.closeInput();
      Cmd.Result done = r.finish();
      assertThat(done.exitCode()).as(command + ": " + done.stderr()).isEqualTo(3);
      assertThat(done.stderr())
          .as(command)
          .hasLineCount(1)
          .contains(garbage.toString())
          .contains("cannot be loaded")
          .doesNotContain("apt-get install")
          .doesNotContain("Exception");
    }
    CliProcess.Running doctor = start(broken, "doctor", "80:8080");
    doctor.closeInput();
    Cmd.Result d = doctor.finish();
    assertThat(d.exitCode()).as(d.stderr()).isZero();
    assertThat(d.stdout()).contains("libnftables=no (").doesNotContain("libnftables=yes");
  }

  /** A truncated copy would be mapped and kill the JVM with SIGBUS; it is refused first. */
  @Test
  void aTruncatedLibraryIsRefusedBeforeItIsMapped() throws Exception {
    Path real =
        List.of(
                "/usr/lib/x86_64-linux-gnu/libnftables.so.1",
                "/usr/lib64/libnftables.so.1",
                "/usr/lib/libnftables.so.1")
            .stream()
            .map(Path::of)
            .filter(Files::exists)
            .findFirst()
            .orElseThrow();
    byte[] whole = Files.readAllBytes(real);
    Path truncated = state.resolve("libnftables.so.1");
    Files.write(truncated, java.util.Arrays.copyOf(whole, whole.length / 4));
    List<String> broken = List.of("-Dprivport.libnftables=" + truncated);
    CliProcess.Running r = start(broken, "status", "--backend", "nft", "80:8080");
    r.closeInput();
    Cmd.Result done = r.finish();
    assertThat(done.exitCode()).as(done.stdout() + done.stderr()).isEqualTo(3);
    assertThat(done.stderr())
        .hasLineCount(1)
        .contains(truncated + " exists but cannot be loaded (truncated: ");
    CliProcess.Running doctor = start(broken, "doctor", "80:8080");
    doctor.closeInput();
    Cmd.Result d = doctor.finish();
    assertThat(d.exitCode()).as(d.stderr()).isZero();
    assertThat(d.stdout()).contains("libnftables=no (").contains("truncated");
  }

  @Test
  void doctorReportsAWorkingLibraryAsLoadable() throws Exception {
    Cmd.Result d = privport("doctor", "80:8080");
    assertThat(d.exitCode()).as(d.stderr()).isZero();
    assertThat(d.stdout()).contains("libnftables=yes");
  }

  @Test
  void aTrialIsRefusedWhenItsStateCannotBeSavedAndNothingChanges() throws Exception {
    Kernel.requireCommand("unshare", "mount", "dd");
    assertThat(privport("apply", "80:8080").exitCode()).isZero();
    String before = rules();
    // A private mount namespace where the state directory is a full 16 KiB tmpfs.
    Cmd.Result r =
        cli()
            .wrappedBy(
                "unshare",
                "-m",
                "sh",
                "-c",
                "mount -t tmpfs -o size=16k,mode=0700 tmpfs \"$0\""
                    + " && { dd if=/dev/zero of=\"$0/fill\" bs=4k 2>/dev/null; exec \"$@\"; }",
                state.toString())
            .runWithInput("yes\n", "apply", "--backend", "nft", "--try", "5", "80:8081");
    assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isEqualTo(3);
    assertThat(r.stderr()).hasLineCount(1).contains("No space left on device");
    assertThat(rules()).isEqualTo(before);
    assertThat(local80()).isEqualTo("port=8080");
  }

  @Test
  void withNowhereToUnpackJnrFfisStubTheErrorIsOneLineNamingIt() throws Exception {
    Kernel.requireCommand("unshare", "mount");
    // A private mount namespace: /tmp read-only (a bind mount, so a build or class path that lives
    // under /tmp stays readable), java.io.tmpdir missing, and the current directory /proc, so jffi
    // finds nowhere to unpack its native stub.
    Cmd.Result r =
        cli()
            .wrappedBy(
                "unshare",
                "-m",
                "sh",
                "-c",
                "mount --bind /tmp /tmp && mount -o remount,bind,ro /tmp && cd /proc && exec \"$@\"",
                "sh")
            .withJvmOptions("-Djava.io.tmpdir=/nonexistent")
            .run("status", "--backend", "nft", "80:8080");
    assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isEqualTo(3);
    assertThat(r.stderr())
        .hasLineCount(1)
        .contains("jnr-ffi cannot start its native stub (jffi)")
        .contains("java.io.tmpdir=/nonexistent")
        .contains("-Djffi.extract.dir")
        .doesNotContain("apt-get install");
  }

  /**
   * Under tight descriptor limits, each run that reaches privport either works or fails on one line
   * that names the limit; the limits tried include ones too tight for jnr-ffi itself. The class
   * path is packed into one jar first, as privport.jar is: read from directories, every class
   * loaded costs a descriptor, and the JVM would fail before privport runs.
   */
  @Test
  void aFileDescriptorLimitIsNamedAsSuch() throws Exception {
    Kernel.requireCommand("prlimit");
    Path jar = state.resolve("privport-test.jar");
    packClassPath(jar);
    int failures = 0;
    for (int limit = 6; limit <= 20; limit++) {
      Cmd.Result r =
          cli()
              .wrappedBy("prlimit", "--nofile=" + limit + ":" + limit)
              .withClassPath(jar.toString())
              .run("status", "--backend", "nft", "80:8080");
      if (r.exitCode() == 1 && r.stdout().contains("absent")) {
        continue;
      }
      if (r.stderr().contains("A JNI error has occurred")
          || r.stderr().contains("Error occurred during initialization of VM")) {
        continue; // the JVM itself could not start: privport never ran
      }
      failures++;
      assertThat(r.exitCode()).as(limit + ": " + r.stdout() + r.stderr()).isEqualTo(3);
      assertThat(r.stderr())
          .as("limit " + limit)
          .hasLineCount(1)
          .contains("too many open files")
          .contains("ulimit -n")
          .doesNotContain("install libnftables");
    }
    assertThat(failures).as("some limit was too tight to work").isPositive();
  }

  /** Packs this JVM's class path (directories and jars) into one jar, first entry winning. */
  private static void packClassPath(Path jar) throws IOException {
    java.util.Set<String> seen = new java.util.HashSet<>();
    try (java.util.jar.JarOutputStream out =
        new java.util.jar.JarOutputStream(Files.newOutputStream(jar))) {
      for (String element : System.getProperty("java.class.path").split(":")) {
        Path source = Path.of(element);
        if (Files.isDirectory(source)) {
          try (Stream<Path> files = Files.walk(source)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
              String name = source.relativize(f).toString();
              if (seen.add(name)) {
                out.putNextEntry(new java.util.jar.JarEntry(name));
                Files.copy(f, out);
                out.closeEntry();
              }
            }
          }
        } else if (element.endsWith(".jar") && Files.isRegularFile(source)) {
          try (java.util.jar.JarFile in = new java.util.jar.JarFile(source.toFile())) {
            for (var e : java.util.Collections.list(in.entries())) {
              if (e.isDirectory()
                  || e.getName().startsWith("META-INF/")
                  || !seen.add(e.getName())) {
                continue;
              }
              out.putNextEntry(new java.util.jar.JarEntry(e.getName()));
              try (InputStream data = in.getInputStream(e)) {
                data.transferTo(out);
              }
              out.closeEntry();
            }
          }
        }
      }
    }
  }
}
