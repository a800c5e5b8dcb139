package dev.privport.testkit.process;

import com.google.common.collect.ImmutableList;
import dev.privport.testkit.lab.Netns;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The privport command line as operators run it: a JVM of its own (this JVM's {@code java} and
 * class path) running {@code dev.privport.cli.Privport}, optionally inside a test namespace or
 * behind wrapper commands ({@code setpriv}, {@code prlimit} ...), its state in a directory of the
 * test's own so nothing lands in the host's {@code /run/privport}. Immutable: each wither returns a
 * new value.
 *
 * @param wrapper the words before {@code java}, each wrapper exec'ing the rest
 * @param jvmOptions the JVM's options
 * @param classPath the class path
 */
public record CliProcess(List<String> wrapper, List<String> jvmOptions, String classPath) {
  /** The command line's main class. */
  public static final String MAIN = "dev.privport.cli.Privport";

  /** How long a run may take before the test fails. */
  public static final long TIMEOUT_SECONDS = 60;

  public CliProcess {
    wrapper = ImmutableList.copyOf(wrapper);
    jvmOptions = ImmutableList.copyOf(jvmOptions);
  }

  /** This JVM's {@code java} with its class path, no options, no wrapper. */
  public static CliProcess java() {
    return new CliProcess(List.of(), List.of(), System.getProperty("java.class.path"));
  }

  /** The {@code java} binary of this JVM. */
  public static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** Runs inside {@code ns} ({@code ip netns exec}), after the wrappers given so far. */
  public CliProcess in(Netns ns) {
    return wrappedBy("ip", "netns", "exec", ns.name());
  }

  /** Adds wrapper words (a command that execs the rest) before {@code java}. */
  public CliProcess wrappedBy(String... words) {
    return wrappedBy(List.of(words));
  }

  /** Adds wrapper words (a command that execs the rest) before {@code java}. */
  public CliProcess wrappedBy(List<String> words) {
    return new CliProcess(concat(wrapper, words), jvmOptions, classPath);
  }

  /** Keeps the executor's lock and saved trials in {@code dir} ({@code -Dprivport.state.dir}). */
  public CliProcess stateIn(Path dir) {
    return withJvmOptions("-Dprivport.state.dir=" + dir);
  }

  /** Adds JVM options. */
  public CliProcess withJvmOptions(String... options) {
    return withJvmOptions(List.of(options));
  }

  /** Adds JVM options. */
  public CliProcess withJvmOptions(List<String> options) {
    return new CliProcess(wrapper, concat(jvmOptions, options), classPath);
  }

  /** Runs with {@code path} as the class path instead of this JVM's. */
  public CliProcess withClassPath(String path) {
    return new CliProcess(wrapper, jvmOptions, path);
  }

  /** The whole argv: wrappers, then {@link #javaArgv} of privport with {@code args}. */
  public List<String> argv(String... args) {
    return concat(wrapper, javaArgv(MAIN, args));
  }

  /** {@code java OPTIONS -cp CLASSPATH MAIN ARGS}, without the wrappers. */
  public List<String> javaArgv(String mainClass, String... args) {
    ImmutableList.Builder<String> argv = ImmutableList.<String>builder().add(javaBinary());
    argv.addAll(jvmOptions).add("-cp", classPath, mainClass).add(args);
    return argv.build();
  }

  /** Runs privport with {@code args} to its end, stdin closed at once. */
  public Cmd.Result run(String... args) {
    return runWithInput("", args);
  }

  /** Runs privport with {@code args} to its end, {@code input} on stdin, then stdin closed. */
  public Cmd.Result runWithInput(String input, String... args) {
    return Cmd.run(argv(args), input);
  }

  /** Starts privport with {@code args}; stdin stays open until {@link Running#closeInput}. */
  public Running start(String... args) {
    return new Running(argv(args));
  }

  private static List<String> concat(List<String> a, List<String> b) {
    return ImmutableList.<String>builder().addAll(a).addAll(b).build();
  }

  /**
   * A privport process still running, its output collected as it comes. {@link #close()} kills it
   * and what it started, by PID.
   */
  public static final class Running implements AutoCloseable {
    private final List<String> argv;
    private final Process process;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final Thread outReader;
    private final Thread errReader;

    private Running(List<String> argv) {
      this.argv = argv;
      try {
        this.process = Cmd.processBuilder(argv).start();
      } catch (IOException e) {
        throw new IllegalStateException("cannot start " + argv + ": " + e.getMessage(), e);
      }
      this.outReader = pump(process.getInputStream(), out);
      this.errReader = pump(process.getErrorStream(), err);
    }

    private static Thread pump(InputStream in, ByteArrayOutputStream into) {
      Thread t =
          new Thread(
              () -> {
                byte[] buf = new byte[4096];
                try (in) {
                  int n;
                  while ((n = in.read(buf)) > 0) {
                    synchronized (into) {
                      into.write(buf, 0, n);
                    }
                  }
                } catch (IOException e) {
                  // the process is gone
                }
              },
              "cli-output");
      t.setDaemon(true);
      t.start();
      return t;
    }

    private static String text(ByteArrayOutputStream bytes) {
      synchronized (bytes) {
        return bytes.toString(StandardCharsets.UTF_8);
      }
    }

    /** The process. */
    public Process process() {
      return process;
    }

    /** Its PID. */
    public long pid() {
      return process.pid();
    }

    /** Waits (at most {@link #TIMEOUT_SECONDS}) until stdout satisfies {@code condition}. */
    public void awaitOutput(Predicate<String> condition, String what) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
      while (!condition.test(text(out))) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          throw new AssertionError(
              "privport never printed "
                  + what
                  + "; stdout: "
                  + text(out)
                  + " stderr: "
                  + text(err));
        }
        Thread.sleep(20);
      }
    }

    /** Writes {@code text} to its stdin. */
    public void type(String text) throws IOException {
      OutputStream stdin = process.getOutputStream();
      stdin.write(text.getBytes(StandardCharsets.UTF_8));
      stdin.flush();
    }

    /** Closes its stdin. */
    public void closeInput() throws IOException {
      process.getOutputStream().close();
    }

    /** Waits (at most {@link #TIMEOUT_SECONDS}) for its end; kills it and fails after that. */
    public Cmd.Result finish() throws InterruptedException {
      if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        close();
        throw new AssertionError(
            "privport did not finish: "
                + argv
                + "; stdout: "
                + text(out)
                + " stderr: "
                + text(err));
      }
      outReader.join(10_000);
      errReader.join(10_000);
      return new Cmd.Result(argv, process.exitValue(), text(out), text(err));
    }

    /** Kills the process and its descendants by PID; nothing when it has ended. */
    @Override
    public void close() {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      try {
        process.getOutputStream().close();
      } catch (IOException e) {
        // it is gone already
      }
    }
  }
}
