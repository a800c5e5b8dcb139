package dev.privport.examples.bench;

import dev.privport.core.Command;
import dev.privport.core.SubprocessRunner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

/**
 * What the one process runner costs over the bare minimum: a command run through {@link
 * SubprocessRunner} (program lookup, two reader threads, stdin closed or fed by a thread) against
 * the shape {@code Command.runLocally} had (one reader thread for both outputs), each the median of
 * 101 runs after 20 warm-up runs. Prints a Markdown table. Run: {@code java -cp <examples test
 * class path> dev.privport.examples.bench.RunnerBench}.
 */
public final class RunnerBench {
  private RunnerBench() {}

  private interface Run {
    void run() throws Exception;
  }

  private static double medianMillis(Run run) throws Exception {
    for (int i = 0; i < 20; i++) {
      run.run();
    }
    double[] ms = new double[101];
    for (int i = 0; i < ms.length; i++) {
      long t = System.nanoTime();
      run.run();
      ms[i] = (System.nanoTime() - t) / 1e6;
    }
    Arrays.sort(ms);
    return ms[ms.length / 2];
  }

  /** The shape of the former Command.runLocally: merged outputs, one reader thread. */
  private static String bare(List<String> argv) throws Exception {
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    p.getOutputStream().close();
    FutureTask<String> out =
        new FutureTask<>(
            () -> new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    Thread reader = new Thread(out);
    reader.setDaemon(true);
    reader.start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("timed out: " + argv);
    }
    return out.get();
  }

  public static void main(String[] args) throws Exception {
    SubprocessRunner runner = SubprocessRunner.create();
    String trueBin = SubprocessRunner.locate("true").orElseThrow().toString();
    String headBin = SubprocessRunner.locate("head").orElseThrow().toString();
    List<String> mib = List.of(headBin, "-c", "1048576", "/dev/zero");
    System.out.println("| command | bare ProcessBuilder, ms | SubprocessRunner, ms |");
    System.out.println("| --- | ---: | ---: |");
    row(
        "true",
        medianMillis(() -> bare(List.of(trueBin))),
        medianMillis(() -> runner.run(Command.of("true"))));
    row(
        "head -c 1MiB /dev/zero",
        medianMillis(() -> bare(mib)),
        medianMillis(() -> runner.run(new Command(mib))));
    row(
        "cat, 64 KiB on stdin",
        Double.NaN,
        medianMillis(() -> runner.withInput("x".repeat(64 << 10)).run(Command.of("cat"))));
  }

  private static void row(String what, double bare, double runner) {
    System.out.println(
        String.format(
            Locale.ROOT,
            "| %s | %s | %.2f |",
            what,
            Double.isNaN(bare) ? "-" : String.format(Locale.ROOT, "%.2f", bare),
            runner));
  }
}
