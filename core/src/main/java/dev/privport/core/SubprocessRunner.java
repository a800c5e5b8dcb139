package dev.privport.core;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Runs commands as child processes of this JVM, in its network namespace: the program found by
 * {@link #locate}, standard input given or closed at once, both outputs read on threads of their
 * own so a child that hangs still meets the timeout, and killed (with what it started) when the
 * timeout passes. Immutable: each wither returns a new runner.
 */
public final class SubprocessRunner implements CommandRunner {
  /** How long a command may run unless told otherwise. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(1);

  /**
   * How many bytes of each output are kept unless told otherwise; the rest is read and dropped, so
   * a child that prints without end neither blocks on a full pipe nor fills the heap.
   */
  public static final int DEFAULT_OUTPUT_LIMIT = 4 << 20;

  /** Where programs are looked for after {@code PATH}: firewall tools live there. */
  private static final String SBIN = ":/usr/sbin:/sbin";

  private final Duration timeout;
  private final ImmutableMap<String, String> environment;
  private final Optional<String> input;
  private final int outputLimit;

  private SubprocessRunner(
      Duration timeout, Map<String, String> environment, Optional<String> input, int outputLimit) {
    this.timeout = timeout;
    this.environment = ImmutableMap.copyOf(environment);
    this.input = input;
    this.outputLimit = outputLimit;
  }

  /** A runner with {@link #DEFAULT_TIMEOUT}, this JVM's environment and no input. */
  public static SubprocessRunner create() {
    return new SubprocessRunner(DEFAULT_TIMEOUT, Map.of(), Optional.empty(), DEFAULT_OUTPUT_LIMIT);
  }

  /** This runner, killing each command still running after {@code limit}. */
  public SubprocessRunner withTimeout(Duration limit) {
    Checks.check(
        !limit.isNegative() && !limit.isZero(), "timeout", limit.toString(), "must be positive");
    return new SubprocessRunner(limit, environment, input, outputLimit);
  }

  /** This runner, with {@code name=value} in each command's environment. */
  public SubprocessRunner withEnvironment(String name, String value) {
    Checks.check(
        !name.isEmpty() && name.indexOf('=') < 0 && name.indexOf('\0') < 0,
        "environment name",
        name,
        "must be a non-empty name without '=' or NUL");
    Map<String, String> env = new LinkedHashMap<>(environment);
    env.put(name, value);
    return new SubprocessRunner(timeout, env, input, outputLimit);
  }

  /** This runner, writing {@code text} (as UTF-8) to each command's standard input. */
  public SubprocessRunner withInput(String text) {
    return new SubprocessRunner(timeout, environment, Optional.of(text), outputLimit);
  }

  /** This runner, keeping at most {@code bytes} of each output. */
  public SubprocessRunner withOutputLimit(int bytes) {
    Checks.check(bytes >= 0, "output limit", bytes, "must not be negative");
    return new SubprocessRunner(timeout, environment, input, bytes);
  }

  /**
   * Where {@code program} lives: itself when it names a path, else the first executable file of
   * that name on {@code PATH}, then in {@code /usr/sbin} and {@code /sbin}. Those two come last
   * because firewall tools live there and a non-root user's {@code PATH} often lacks them.
   */
  public static Optional<Path> locate(String program) {
    if (program.contains("/")) {
      return Optional.of(Path.of(program)).filter(SubprocessRunner::isProgram);
    }
    if (program.isEmpty()) {
      return Optional.empty();
    }
    String path = System.getenv().getOrDefault("PATH", "") + SBIN;
    // A loop, not a stream's findFirst: that spins lambdas of the JDK's own (FindOps) which the
    // class-data-sharing archive does not hold, on every short run that looks for a program.
    for (String dir : path.split(":")) {
      if (!dir.isEmpty()) {
        Path candidate = Path.of(dir, program);
        if (isProgram(candidate)) {
          return Optional.of(candidate);
        }
      }
    }
    return Optional.empty();
  }

  /** An executable file; a directory is "executable" too, and would only fail to start. */
  private static boolean isProgram(Path file) {
    return Files.isRegularFile(file) && Files.isExecutable(file);
  }

  @Override
  public Outcome run(Command command) {
    Optional<Path> program = locate(command.program());
    if (program.isEmpty()) {
      throw new CommandException(
          command,
          "cannot start "
              + shown(command)
              + ": "
              + (command.program().contains("/")
                  ? "no executable file " + command.program()
                  : command.program() + " is not on the PATH, nor in /usr/sbin or /sbin"),
          null);
    }
    List<String> argv =
        ImmutableList.<String>builder()
            .add(program.get().toString())
            .addAll(command.argv().subList(1, command.argv().size()))
            .build();
    ProcessBuilder builder = new ProcessBuilder(argv);
    builder.environment().putAll(environment);
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new CommandException(command, "cannot start " + shown(command) + ": " + reason(e), e);
    }
    try {
      Drain out = Drain.start(process.getInputStream(), outputLimit, command.program() + "-out");
      Drain err = Drain.start(process.getErrorStream(), outputLimit, command.program() + "-err");
      feed(process, command);
      long deadline = System.nanoTime() + timeout.toNanos();
      if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
        kill(process);
        throw new CommandException(
            command,
            shown(command) + " did not finish within " + seconds(timeout) + " and was killed",
            null);
      }
      // The JDK ends both outputs when the process exits, even where a child of it still holds
      // them; the deadline only bounds the wait for the reader threads.
      out.await(deadline);
      err.await(deadline);
      return new Outcome(process.exitValue(), out.text(), err.text());
    } catch (InterruptedException e) {
      kill(process);
      Thread.currentThread().interrupt();
      throw new CommandException(command, "interrupted while running " + shown(command), e);
    }
  }

  /** Writes the input on a thread of its own (a child that never reads must not stall us). */
  private void feed(Process process, Command command) {
    OutputStream stdin = process.getOutputStream();
    byte[] bytes = input.orElse("").getBytes(StandardCharsets.UTF_8);
    if (bytes.length == 0) {
      closeQuietly(stdin);
      return;
    }
    Thread writer =
        new Thread(
            () -> {
              try (stdin) {
                stdin.write(bytes);
              } catch (IOException e) {
                // the child closed its input or died: its exit status tells the rest
              }
            },
            "privport-input-" + command.program());
    writer.setDaemon(true);
    writer.start();
  }

  private static void closeQuietly(OutputStream stream) {
    try {
      stream.close();
    } catch (IOException e) {
      // the child is gone already
    }
  }

  private static void kill(Process process) {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
  }

  /** The command for a message: its shell form on one line, cut when long. */
  private static String shown(Command command) {
    String shell = command.toShell().replace("\n", "\\n").replace("\r", "\\r");
    return shell.length() <= 160 ? shell : shell.substring(0, 160) + "...";
  }

  /** {@code error=13, Permission denied} from Java's "Cannot run program "x": error=13, ...". */
  private static String reason(IOException e) {
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    int colon = message.indexOf("\": ");
    return colon < 0 ? message : message.substring(colon + 3);
  }

  private static String seconds(Duration d) {
    return d.toMillis() % 1000 == 0
        ? d.toSeconds() + " s"
        : String.format(Locale.ROOT, "%.3f s", d.toMillis() / 1000.0);
  }

  /** One output of a child, read to its end on a daemon thread, the first bytes kept. */
  private static final class Drain implements Runnable {
    private final InputStream in;
    private final int limit;
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private final CountDownLatch done = new CountDownLatch(1);

    private Drain(InputStream in, int limit) {
      this.in = in;
      this.limit = limit;
    }

    static Drain start(InputStream in, int limit, String name) {
      Drain drain = new Drain(in, limit);
      Thread thread = new Thread(drain, "privport-output-" + name);
      thread.setDaemon(true);
      thread.start();
      return drain;
    }

    @Override
    public void run() {
      byte[] buffer = new byte[8192];
      try (in) {
        int n;
        while ((n = in.read(buffer)) >= 0) {
          synchronized (kept) {
            kept.write(buffer, 0, Math.max(0, Math.min(n, limit - kept.size())));
          }
        }
      } catch (IOException e) {
        // the pipe broke: what was read is all there is
      } finally {
        done.countDown();
      }
    }

    void await(long deadlineNanos) throws InterruptedException {
      done.await(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    String text() {
      synchronized (kept) {
        return kept.toString(StandardCharsets.UTF_8);
      }
    }
  }
}
