package dev.privport.examples.bench;

import dev.privport.cli.Privport;
import dev.privport.testkit.lab.Kernel;
import dev.privport.testkit.lab.Netns;
import dev.privport.testkit.process.Cmd;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@code privport status} against {@code privport apply} of the same plan, both as command-line
 * processes started inside a network namespace, side by side in alternating rounds; with {@code nft
 * -j list table} (libnftables listing the table, nothing else) as the floor. Prints a Markdown
 * table of medians with their spread, and each process's CPU time (GNU time, where installed). Run
 * as root: {@code java -cp <examples test class path> dev.privport.examples.bench.StatusBenchmark
 * [sizes...]} (default 1000 30000 100000).
 */
public final class StatusBenchmark {
  private StatusBenchmark() {}

  public static void main(String[] args) throws Exception {
    if (!Kernel.isRoot()) {
      System.out.println("StatusBenchmark needs root (network namespaces).");
      return;
    }
    int[] sizes =
        args.length == 0
            ? new int[] {1_000, 30_000, 100_000}
            : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
    StringBuilder out = new StringBuilder();
    out.append("## status vs apply, as CLI processes in a namespace\n\n")
        .append("Machine: ")
        .append(Runtime.getRuntime().availableProcessors())
        .append(" cores, load average at start ")
        .append(load())
        .append(", ")
        .append(Cmd.run("nft", "--version").stdout().strip())
        .append("\n\n")
        .append(
            "| redirects | rounds | apply (table absent) | apply (over the table) | status | status --json"
                + " | nft -j list table | status / apply absent | status / apply over"
                + " | CPU s: apply absent, status |\n")
        .append("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    List<String> goals = new ArrayList<>();
    Path dir = Files.createTempDirectory("privport-statusbench-");
    try (Netns ns = Netns.create()) {
      for (int n : sizes) {
        Path plan = dir.resolve("n" + n + ".plan");
        Files.writeString(plan, planFile(n));
        String table = "privport-n" + n;
        int rounds = n >= 100_000 ? 3 : 5;
        long[][] t = new long[5][rounds];
        double[][] cpu = new double[5][rounds];
        // Warm the page cache and the kernel's module state once, untimed.
        ns.call(() -> time(cli("apply", "--keep-flows", "--plan", plan.toString()), 0));
        for (int r = 0; r < rounds; r++) {
          int round = r;
          ns.sh("nft", "delete", "table", "inet", table);
          t[0][r] = ns.call(() -> time(cli("apply", "--keep-flows", "--plan", plan.toString()), 0));
          cpu[0][r] = lastCpu;
          t[1][r] = ns.call(() -> time(cli("apply", "--keep-flows", "--plan", plan.toString()), 0));
          cpu[1][r] = lastCpu;
          t[2][r] = ns.call(() -> time(cli("status", "--plan", plan.toString()), 0));
          cpu[2][r] = lastCpu;
          t[3][r] = ns.call(() -> time(cli("status", "--json", "--plan", plan.toString()), 0));
          cpu[3][r] = lastCpu;
          t[4][r] = ns.call(() -> time(List.of("nft", "-j", "list", "table", "inet", table), 0));
          cpu[4][r] = lastCpu;
          if (round == rounds - 1) {
            ns.sh("nft", "delete", "table", "inet", table);
          }
        }
        long[] median = new long[5];
        String[] cells = new String[5];
        for (int i = 0; i < 5; i++) {
          Arrays.sort(t[i]);
          Arrays.sort(cpu[i]);
          median[i] = t[i][rounds / 2];
          cells[i] =
              String.format(
                  Locale.ROOT,
                  "%,d ms (%,d-%,d)",
                  median[i] / 1_000_000,
                  t[i][0] / 1_000_000,
                  t[i][rounds - 1] / 1_000_000);
        }
        double cpuApply = cpu[0][rounds / 2];
        double cpuStatus = cpu[2][rounds / 2];
        double vsAbsent = median[2] / (double) median[0];
        double vsOver = median[2] / (double) median[1];
        out.append(
            String.format(
                Locale.ROOT,
                "| %,d | %d | %s | %s | %s | %s | %s | %.2f x | %.2f x | %.2f, %.2f (%.2f x) |%n",
                n,
                rounds,
                cells[0],
                cells[1],
                cells[2],
                cells[3],
                cells[4],
                vsAbsent,
                vsOver,
                cpuApply,
                cpuStatus,
                cpuStatus / cpuApply));
        if (n == 30_000) {
          goals.add(
              String.format(
                  Locale.ROOT,
                  "status of 30 000 <= 1.5 x apply: %.2f x apply with the table absent, %.2f x apply"
                      + " over it, %.2f x in CPU time (%s)",
                  vsAbsent,
                  vsOver,
                  cpuStatus / cpuApply,
                  vsAbsent <= 1.5 ? "met" : "not met"));
        }
        if (n == 100_000) {
          goals.add(
              String.format(
                  Locale.ROOT,
                  "status of 100 000 under 3 s: %,d ms, of which libnftables' listing alone %,d ms"
                      + " (%s)",
                  median[2] / 1_000_000,
                  median[4] / 1_000_000,
                  median[2] < 3_000_000_000L ? "met" : "not met"));
        }
      }
    } finally {
      try (var files = Files.list(dir)) {
        for (Path f : files.toList()) {
          Files.deleteIfExists(f);
        }
      }
      Files.deleteIfExists(dir);
    }
    out.append("\nLoad average at the end: ").append(load()).append("\n\n");
    goals.forEach(g -> out.append("- ").append(g).append('\n'));
    System.out.print(out);
  }

  /**
   * A plan file of {@code n} redirects as port ranges of at most 33 000, spread over TCP and UDP,
   * incoming and local: one map per range, as a large plan renders.
   */
  static String planFile(int n) {
    StringBuilder plan = new StringBuilder("name n" + n + "\n");
    String[] kinds = {"tcp incoming-only", "tcp local-only", "udp incoming-only", "udp local-only"};
    int left = n;
    for (int k = 0; left > 0; k++) {
      if (k == kinds.length) {
        throw new IllegalArgumentException("at most " + 4 * 33_000 + " redirects, got " + n);
      }
      int size = Math.min(left, 33_000);
      String[] kind = kinds[k].split(" ");
      plan.append(
          String.format(Locale.ROOT, "1024-%d:30000/%s %s%n", 1024 + size - 1, kind[0], kind[1]));
      left -= size;
    }
    return plan.toString();
  }

  private static List<String> cli(String... args) {
    List<String> argv =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                Privport.class.getName()));
    argv.addAll(List.of(args));
    return argv;
  }

  private static final Path GNU_TIME = Path.of("/usr/bin/time");

  /** CPU seconds (user + system) of the last process {@link #time} ran, or -1 if unknown. */
  private static volatile double lastCpu = -1;

  /**
   * Runs a process in the calling thread's namespace; its wall time, or a failure on another exit
   * code. Its CPU time (through GNU time, where installed) goes to {@link #lastCpu}: on a shared
   * machine, wall time includes waiting for a core, CPU time does not.
   */
  private static long time(List<String> argv, int expected)
      throws IOException, InterruptedException {
    Path cpu = Files.exists(GNU_TIME) ? Files.createTempFile("privport-cpu-", ".txt") : null;
    List<String> run = new ArrayList<>();
    if (cpu != null) {
      run.addAll(List.of(GNU_TIME.toString(), "-f", "%U %S", "-o", cpu.toString()));
    }
    run.addAll(argv);
    long t = System.nanoTime();
    Process p =
        new ProcessBuilder(run)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    int rc = p.waitFor();
    long elapsed = System.nanoTime() - t;
    if (cpu != null) {
      String[] f = Files.readString(cpu).strip().split("\\s+");
      Files.deleteIfExists(cpu);
      lastCpu = f.length == 2 ? Double.parseDouble(f[0]) + Double.parseDouble(f[1]) : -1;
    }
    if (rc != expected) {
      throw new IllegalStateException(String.join(" ", argv) + " exited " + rc);
    }
    return elapsed;
  }

  private static String load() throws IOException {
    String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
    return f[0] + " " + f[1] + " " + f[2];
  }
}
