package dev.privport.core;

import com.google.common.collect.ImmutableList;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * One command as an argv list, to be executed without a shell, plus its shell-safe rendering.
 *
 * @param argv the program and its arguments, not empty
 */
public record Command(List<String> argv) {
  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_./:=@%+,-]+");

  public Command {
    argv = ImmutableList.copyOf(argv);
    Checks.check(!argv.isEmpty(), "argv", "[]", "must name a program");
  }

  /** A command from its words. */
  public static Command of(String... argv) {
    return new Command(List.of(argv));
  }

  /** The program, {@code argv[0]}. */
  public String program() {
    return argv.get(0);
  }

  /**
   * Where the program lives: {@code argv[0]} itself when it names a path, else the first executable
   * of that name on {@code PATH}, then in {@code /usr/sbin} and {@code /sbin}. Those two come last
   * because firewall tools live there and a non-root user's {@code PATH} often lacks them.
   */
  public Optional<Path> locate() {
    String program = program();
    if (program.contains("/")) {
      return Optional.of(Path.of(program)).filter(Files::isExecutable);
    }
    String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin";
    return Arrays.stream(path.split(":"))
        .filter(d -> !d.isEmpty())
        .map(d -> Path.of(d, program))
        .filter(Files::isExecutable)
        .findFirst();
  }

  /** The argv with the program replaced by its {@link #locate() location} when found. */
  public List<String> resolvedArgv() {
    return locate()
        .map(
            p ->
                ImmutableList.<String>builder()
                    .add(p.toString())
                    .addAll(argv.subList(1, argv.size()))
                    .build())
        .orElse(ImmutableList.copyOf(argv));
  }

  /**
   * Runs the command as a child process of this JVM, in its network namespace, with stdin closed.
   *
   * @return its exit status and output (stdout and stderr together); empty when it cannot be
   *     started or does not finish within {@code timeout}
   */
  public Optional<Outcome> runLocally(Duration timeout) {
    Process p;
    try {
      p = new ProcessBuilder(resolvedArgv()).redirectErrorStream(true).start();
      p.getOutputStream().close();
    } catch (IOException e) {
      return Optional.empty();
    }
    // Read on another thread: reading here would block until the child closes its output, so a
    // child that hangs would never reach the timeout below.
    FutureTask<String> output =
        new FutureTask<>(
            () -> new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    Thread reader = new Thread(output, "privport-output-" + program());
    reader.setDaemon(true);
    reader.start();
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        return Optional.empty();
      }
      return Optional.of(new Outcome(p.exitValue(), output.get()));
    } catch (ExecutionException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /**
   * What a finished command gave.
   *
   * @param exitStatus its exit status
   * @param output what it printed on stdout and stderr
   */
  public record Outcome(int exitStatus, String output) {}

  /** The command as one line for {@code sh}: every word that needs it single-quoted. */
  public String toShell() {
    StringBuilder out = new StringBuilder();
    for (String word : argv) {
      if (out.length() > 0) {
        out.append(' ');
      }
      out.append(quote(word));
    }
    return out.toString();
  }

  /** One word quoted for {@code sh}: unchanged when safe, else in single quotes. */
  public static String quote(String word) {
    if (SAFE.matcher(word).matches()) {
      return word;
    }
    return "'" + word.replace("'", "'\\''") + "'";
  }
}
