package dev.privport.testkit.process;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs a command to completion with a timeout and captures its output. */
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
  }

  /** Runs {@code argv} with no input. */
  public static Result run(String... argv) {
    return run(List.of(argv), null);
  }

  /** Runs {@code argv}, feeding {@code stdin} (may be null). Killed after 60 s. */
  public static Result run(List<String> argv, String stdin) {
    ProcessBuilder pb = processBuilder(argv);
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start " + argv + ": " + e.getMessage(), e);
    }
    try {
      CompletableFuture<String> out = drain(p.getInputStream());
      CompletableFuture<String> err = drain(p.getErrorStream());
      try (OutputStream in = p.getOutputStream()) {
        if (stdin != null) {
          in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
      }
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException("timed out: " + argv);
      }
      return new Result(List.copyOf(argv), p.exitValue(), out.join(), err.join());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } finally {
      p.destroyForcibly();
    }
  }

  /**
   * A process builder for {@code argv} in the test kit's environment: {@code LC_ALL=C}, and a
   * {@code PATH} that ends in {@code /usr/sbin:/sbin}.
   */
  public static ProcessBuilder processBuilder(List<String> argv) {
    ProcessBuilder pb = new ProcessBuilder(new dev.privport.core.Command(argv).resolvedArgv());
    pb.environment().put("LC_ALL", "C");
    // Programs the command starts in turn (unshare -> nft) look in the same places Kernel checks.
    pb.environment()
        .put("PATH", pb.environment().getOrDefault("PATH", "/usr/bin:/bin") + ":/usr/sbin:/sbin");
    return pb;
  }

  /** Reads {@code in} to its end in the background, as UTF-8; closes it. */
  public static CompletableFuture<String> drain(java.io.InputStream in) {
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
