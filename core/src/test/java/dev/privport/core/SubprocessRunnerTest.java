package dev.privport.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Program lookup and process running of {@link SubprocessRunner}, with real child processes. */
class SubprocessRunnerTest {
  private static final SubprocessRunner RUNNER =
      SubprocessRunner.create().withTimeout(Duration.ofSeconds(30));

  @Test
  void programsAreFoundOnThePathAndInTheSbinDirectories() {
    assertThat(SubprocessRunner.locate("sh"))
        .hasValueSatisfying(p -> assertThat(p.getFileName()).isEqualTo(Path.of("sh")));
    assertThat(SubprocessRunner.locate("/bin/sh")).contains(Path.of("/bin/sh"));
    // sysctl lives in /usr/sbin or /sbin, which a user's PATH often lacks: it is found there
    // anyway.
    assertThat(SubprocessRunner.locate("sysctl")).isPresent();
    assertThat(SubprocessRunner.locate("privport-no-such-program-x")).isEmpty();
    assertThat(SubprocessRunner.locate("/nonexistent/sh")).isEmpty();
    assertThat(SubprocessRunner.locate("")).isEmpty();
  }

  @Test
  void theExitStatusAndBothOutputsAreCapturedApart() {
    CommandRunner.Outcome o =
        RUNNER.run(Command.of("sh", "-c", "printf 'out\\n'; printf 'err\\n' >&2; exit 3"));
    assertThat(o.exitStatus()).isEqualTo(3);
    assertThat(o.ok()).isFalse();
    assertThat(o.stdout()).isEqualTo("out\n");
    assertThat(o.stderr()).isEqualTo("err\n");
    assertThat(o.output()).isEqualTo("out\nerr\n");
    assertThat(RUNNER.run(Command.of("true")).ok()).isTrue();
  }

  @Test
  void outputIsDecodedAsUtf8() {
    assertThat(RUNNER.run(Command.of("printf", "caf\\303\\251")).stdout()).isEqualTo("café");
  }

  @Test
  void bytesThatAreNotUtf8BecomeReplacementCharacters() {
    assertThat(RUNNER.run(Command.of("printf", "a\\377b")).stdout()).isEqualTo("a\uFFFDb");
  }

  @Test
  void anInterruptKillsTheChildAndKeepsTheInterruptFlag() throws Exception {
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    AtomicBoolean flagKept = new AtomicBoolean();
    Thread caller =
        new Thread(
            () -> {
              try {
                RUNNER.run(Command.of("sleep", "30"));
              } catch (RuntimeException e) {
                thrown.set(e);
                flagKept.set(Thread.currentThread().isInterrupted());
              }
            });
    caller.start();
    // Bounded wait until the child is running, then interrupt the caller.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    Optional<ProcessHandle> child = Optional.empty();
    while (child.isEmpty() && System.nanoTime() < deadline) {
      child =
          ProcessHandle.current()
              .children()
              .filter(h -> h.info().commandLine().orElse("").contains("sleep 30"))
              .findFirst();
      Thread.sleep(10);
    }
    assertThat(child).as("the child started").isPresent();
    caller.interrupt();
    caller.join(20_000);
    assertThat(thrown.get())
        .isInstanceOf(CommandException.class)
        .hasMessage("interrupted while running sleep 30");
    assertThat(flagKept).isTrue();
    assertThat(child.get().onExit().get(20, TimeUnit.SECONDS).isAlive()).isFalse();
  }

  @Test
  void aMissingProgramThrowsOneLineNamingIt() {
    assertThatThrownBy(() -> RUNNER.run(Command.of("privport-no-such-program-x", "a")))
        .isInstanceOf(CommandException.class)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "cannot start privport-no-such-program-x a: privport-no-such-program-x is not on the"
                + " PATH, nor in /usr/sbin or /sbin")
        .satisfies(
            e ->
                assertThat(((CommandException) e).command())
                    .isEqualTo(Command.of("privport-no-such-program-x", "a")));
    assertThatThrownBy(() -> RUNNER.run(Command.of("/nonexistent/sh")))
        .isInstanceOf(CommandException.class)
        .hasMessage("cannot start /nonexistent/sh: no executable file /nonexistent/sh");
  }

  @Test
  void aProgramTheKernelRefusesThrowsWithTheReason(@TempDir Path dir) throws Exception {
    // Executable, but its interpreter does not exist: execve fails with ENOENT.
    Path script = dir.resolve("script");
    Files.writeString(script, "#!/nonexistent/interpreter\n");
    assertThat(script.toFile().setExecutable(true)).isTrue();
    assertThatThrownBy(() -> RUNNER.run(Command.of(script.toString(), "a")))
        .isInstanceOf(CommandException.class)
        .hasMessage("cannot start " + script + " a: error=2, No such file or directory");
  }

  @Test
  void aDirectoryIsNoProgram(@TempDir Path dir) throws Exception {
    Files.createDirectory(dir.resolve("sh"));
    assertThat(SubprocessRunner.locate(dir.resolve("sh").toString())).isEmpty();
    assertThatThrownBy(() -> RUNNER.run(Command.of(dir.toString())))
        .isInstanceOf(CommandException.class)
        .hasMessage("cannot start " + dir + ": no executable file " + dir);
  }

  @Test
  void aChildThatOutlivesTheTimeoutIsKilledAndThrows() {
    // It keeps its output open: the timeout must still apply (reading first would wait for it).
    assertThatThrownBy(
            () ->
                SubprocessRunner.create()
                    .withTimeout(Duration.ofMillis(200))
                    .run(Command.of("sh", "-c", "exec sleep 30")))
        .isInstanceOf(CommandException.class)
        .hasMessage("sh -c 'exec sleep 30' did not finish within 0.200 s and was killed");
  }

  @Test
  void theTimeoutKillsWhatTheChildStartedToo() throws Exception {
    Path pidFile = Files.createTempFile("privport-runner-", ".pid");
    try {
      assertThatThrownBy(
              () ->
                  SubprocessRunner.create()
                      .withTimeout(Duration.ofMillis(300))
                      .run(
                          Command.of(
                              "sh", "-c", "sleep 30 & echo $! > \"$0\"; wait", pidFile.toString())))
          .isInstanceOf(CommandException.class);
      long pid = Long.parseLong(Files.readString(pidFile).strip());
      Optional<ProcessHandle> grandchild = ProcessHandle.of(pid);
      if (grandchild.isPresent()) {
        assertThat(grandchild.get().onExit().get(10, TimeUnit.SECONDS).isAlive())
            .as("the sleep the child started")
            .isFalse();
      }
    } finally {
      Files.deleteIfExists(pidFile);
    }
  }

  @Test
  void inputIsFedAndTheEnvironmentAdded() {
    assertThat(RUNNER.withInput("hello\nworld\n").run(Command.of("wc", "-l")).stdout().strip())
        .isEqualTo("2");
    assertThat(
            RUNNER
                .withEnvironment("PRIVPORT_TEST_X", "a b")
                .run(Command.of("sh", "-c", "printf %s \"$PRIVPORT_TEST_X\""))
                .stdout())
        .isEqualTo("a b");
    // Without input, stdin is closed: a reader sees its end at once instead of waiting.
    assertThat(RUNNER.run(Command.of("cat")).stdout()).isEmpty();
  }

  @Test
  void aChildThatNeverReadsItsInputStillMeetsTheTimeout() {
    // 4 MiB fill the pipe long before the end: written here, the runner would wait for the child.
    assertThatThrownBy(
            () ->
                SubprocessRunner.create()
                    .withTimeout(Duration.ofMillis(300))
                    .withInput("x".repeat(4 << 20))
                    .run(Command.of("sleep", "30")))
        .isInstanceOf(CommandException.class)
        .hasMessage("sleep 30 did not finish within 0.300 s and was killed");
  }

  @Test
  void outputBeyondTheLimitIsReadAndDropped() {
    CommandRunner.Outcome o =
        RUNNER
            .withOutputLimit(10)
            .run(Command.of("sh", "-c", "head -c 1000000 /dev/zero | tr '\\0' y; echo done >&2"));
    assertThat(o.exitStatus()).isZero();
    assertThat(o.stdout()).isEqualTo("yyyyyyyyyy");
    assertThat(o.stderr()).isEqualTo("done\n");
  }

  @Test
  void badSettingsAreRefusedNamingTheField() {
    assertThatThrownBy(() -> RUNNER.withTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("timeout ");
    assertThatThrownBy(() -> RUNNER.withEnvironment("A=B", "c"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("environment name ");
    assertThatThrownBy(() -> RUNNER.withOutputLimit(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("output limit ");
  }
}
