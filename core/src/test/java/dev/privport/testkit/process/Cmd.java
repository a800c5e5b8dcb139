package dev.privport.testkit.process;

import dev.privport.core.Command;
import dev.privport.core.CommandRunner;
import dev.privport.core.SubprocessRunner;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Runs a command to completion with a timeout and captures its output: a thin test helper over
 * {@link SubprocessRunner}, in the test kit's environment ({@link #runner()}).
 */
public final class Cmd {
  private Cmd() {}

  /** A finished command. */
  public record Result(List<String> argv, int exitCode, String stdout, String stderr) {
    /** Throws unless the command exited 0. */
    public Result orThrow() {
      if (exitCode != 0) {
        throw new IllegalStateException(
            String.join(" ", argv)
                + " exited "
                + exitCode
                + "\nstdout: "
                + stdout
                + "\nstderr: "
                + stderr);
      }
      return this;
    }

    public boolean ok() {
      return exitCode == 0;
    }

    /** The result as the main code's runners give it. */
    public CommandRunner.Outcome outcome() {
      return new CommandRunner.Outcome(exitCode, stdout, stderr);
    }
  }

  /**
   * The test kit's runner: {@code LC_ALL=C}, a {@code PATH} that ends in {@code /usr/sbin:/sbin}
   * (so programs a command starts in turn, unshare -> nft, are found where {@code Kernel} looks),
   * every byte of output kept, killed after 60 s.
   */
  public static SubprocessRunner runner() {
    return SubprocessRunner.create()
        .withTimeout(Duration.ofSeconds(60))
        .withOutputLimit(Integer.MAX_VALUE)
        .withEnvironment("LC_ALL", "C")
        .withEnvironment(
            "PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin") + ":/usr/sbin:/sbin");
  }

  /** Runs {@code argv} with no input. */
  public static Result run(String... argv) {
    return run(List.of(argv), null);
  }

  /**
   * Runs {@code argv}, feeding {@code stdin} (may be null). Killed after 60 s.
   *
   * @throws dev.privport.core.CommandException when it cannot start or does not finish in time
   */
  public static Result run(List<String> argv, String stdin) {
    SubprocessRunner runner = stdin == null ? runner() : runner().withInput(stdin);
    CommandRunner.Outcome o = runner.run(new Command(argv));
    return new Result(List.copyOf(argv), o.exitStatus(), o.stdout(), o.stderr());
  }

  /**
   * Runs {@code argv} as a user would: this JVM's environment plus {@code env} (not the kit's
   * {@code LC_ALL} and {@code PATH}), stdin closed, killed after 120 s. For programs that must see
   * the user's environment, such as the unpacked launcher.
   *
   * @throws dev.privport.core.CommandException when it cannot start or does not finish in time
   */
  public static Result runAsUser(Map<String, String> env, List<String> argv) {
    SubprocessRunner runner =
        SubprocessRunner.create()
            .withTimeout(Duration.ofSeconds(120))
            .withOutputLimit(Integer.MAX_VALUE);
    for (Map.Entry<String, String> e : env.entrySet()) {
      runner = runner.withEnvironment(e.getKey(), e.getValue());
    }
    CommandRunner.Outcome o = runner.run(new Command(argv));
    return new Result(List.copyOf(argv), o.exitStatus(), o.stdout(), o.stderr());
  }

  /**
   * A process builder for a long-running {@code argv} in the test kit's environment (see {@link
   * #runner()}); {@link #run} serves everything that runs to its end.
   */
  public static ProcessBuilder processBuilder(List<String> argv) {
    List<String> resolved = new ArrayList<>(argv);
    SubprocessRunner.locate(argv.get(0)).ifPresent(p -> resolved.set(0, p.toString()));
    ProcessBuilder pb = new ProcessBuilder(resolved);
    pb.environment().put("LC_ALL", "C");
    pb.environment()
        .put("PATH", pb.environment().getOrDefault("PATH", "/usr/bin:/bin") + ":/usr/sbin:/sbin");
    return pb;
  }

  /** Reads {@code in} to its end in the background, as UTF-8; closes it. */
  public static CompletableFuture<String> drain(InputStream in) {
    return CompletableFuture.supplyAsync(
        () -> {
          try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
          } catch (IOException e) {
            return "";
          }
        });
  }

  /** Concatenates prefix and rest. */
  public static List<String> concat(List<String> prefix, String... rest) {
    List<String> all = new ArrayList<>(prefix);
    all.addAll(List.of(rest));
    return all;
  }
}
