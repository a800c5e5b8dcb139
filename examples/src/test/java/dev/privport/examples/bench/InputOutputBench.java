package dev.privport.examples.bench;

import dev.privport.cli.Privport;
import dev.privport.core.PlanFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * What the input and output guards cost, printed as a table: reading and parsing plan files of
 * growing size, refusing a hostile one (a 16 MiB file of port ranges), and {@code render --out} of
 * every backend when every file changes (temp file, fsync, rename each) and when none does.
 *
 * <p>Run: {@code java -cp "$(cat cp.txt):examples/target/classes:examples/target/test-classes"
 * dev.privport.examples.bench.InputOutputBench} (the test class path; no root needed).
 */
public final class InputOutputBench {
  private static final int RUNS = 5;

  private InputOutputBench() {}

  public static void main(String[] args) throws IOException {
    Path dir = Files.createTempDirectory("privport-iobench");
    try {
      System.out.println("| input | bytes | redirects | median of " + RUNS + " |");
      System.out.println("| --- | ---: | ---: | ---: |");
      for (int lines : new int[] {10, 1_000, 50_000}) {
        StringBuilder text = new StringBuilder("name bench\n");
        for (int i = 0; i < lines; i++) {
          text.append(1 + i)
              .append(':')
              .append(60_001 + i % 5_000)
              .append(i % 2 == 0 ? "/udp" : "");
          text.append(i % 3 == 0 ? " ipv4-only incoming-only interface=eth" + (i % 7) : "");
          text.append('\n');
        }
        Path plan = Files.writeString(dir.resolve("p" + lines + ".plan"), text);
        int[] n = new int[1];
        double ms = median(() -> n[0] = PlanFile.read(plan).redirects().size());
        row("plan file, " + lines + " lines", Files.size(plan), n[0], ms);
      }
      StringBuilder hostile = new StringBuilder();
      for (int i = 0; hostile.length() < PlanFile.MAX_BYTES - 64; i++) {
        hostile.append("1-60000:2000 incoming-only interface=e").append(i).append('\n');
      }
      Path big = Files.writeString(dir.resolve("hostile.plan"), hostile);
      double refuse =
          median(
              () -> {
                try {
                  PlanFile.read(big);
                  throw new IllegalStateException("the hostile plan was accepted");
                } catch (IllegalArgumentException expected) {
                  // refused at line 18: more than MAX_REDIRECTS
                }
              });
      row("hostile 16 MiB of ranges (refused)", Files.size(big), -1, refuse);

      System.out.println();
      System.out.println("| render --out, every backend | median of " + RUNS + " |");
      System.out.println("| --- | ---: |");
      Path out = dir.resolve("rules");
      int[] flip = {0};
      double written =
          median(
              () ->
                  cli(
                      "render",
                      "--backend",
                      "all",
                      "--out",
                      out.toString(),
                      "80:8080",
                      "443:" + (8443 + flip[0]++ % 2),
                      "1000-1099:3000"));
      System.out.printf(Locale.ROOT, "| 8 files, all rewritten | %.1f ms |%n", written);
      double unchanged =
          median(
              () ->
                  cli(
                      "render",
                      "--backend",
                      "all",
                      "--out",
                      out.toString(),
                      "80:8080",
                      "443:8443",
                      "1000-1099:3000"));
      System.out.printf(Locale.ROOT, "| 8 files, none changed | %.1f ms |%n", unchanged);
    } finally {
      try (Stream<Path> all = Files.walk(dir)) {
        all.sorted(Comparator.reverseOrder())
            .forEach(
                p -> {
                  try {
                    Files.delete(p);
                  } catch (IOException e) {
                    throw new UncheckedIOException(e);
                  }
                });
      }
    }
  }

  private static void cli(String... args) {
    int code = Privport.run(args, new PrintWriter(new StringWriter()), new PrintWriter(System.err));
    if (code != 0) {
      throw new IllegalStateException("exit " + code);
    }
  }

  private static void row(String what, long bytes, int redirects, double ms) {
    System.out.printf(
        Locale.ROOT,
        "| %s | %,d | %s | %.1f ms |%n",
        what,
        bytes,
        redirects < 0 ? "-" : String.format(Locale.ROOT, "%,d", redirects),
        ms);
  }

  /** Median wall time in ms of RUNS runs after one warm-up. */
  private static double median(Runnable task) {
    task.run();
    double[] ms = new double[RUNS];
    for (int i = 0; i < RUNS; i++) {
      long start = System.nanoTime();
      task.run();
      ms[i] = (System.nanoTime() - start) / 1e6;
    }
    Arrays.sort(ms);
    return ms[RUNS / 2];
  }
}
