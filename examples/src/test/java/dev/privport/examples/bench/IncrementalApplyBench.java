package dev.privport.examples.bench;

import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import dev.privport.nft.LibnftablesExecutor;
import dev.privport.nft.NftRenderer;
import dev.privport.nft.Nftables;
import dev.privport.nft.StateDirectory;
import dev.privport.testkit.lab.Kernel;
import dev.privport.testkit.lab.Netns;
import dev.privport.testkit.process.Cmd;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The in-process executor's two apply goals, side by side with {@code nft -f} of the whole file, in
 * a namespace: changing one redirect of a 10 000-redirect plan (the element path) and a fresh apply
 * of 10 000 (the table absent), with the paths they replace for comparison. Every operation is
 * timed once per round; the rounds alternate all operations, so load on the machine falls on each
 * alike. Prints Markdown tables with the median and the spread (min-max). Run as root: {@code java
 * -cp <examples test class path> dev.privport.examples.bench.IncrementalApplyBench [rounds]}.
 */
public final class IncrementalApplyBench {
  private static final int N = 10_000;

  private IncrementalApplyBench() {}

  static RedirectPlan plan(int n, int changedPort, int changedTo) {
    RedirectPlan.Builder b = RedirectPlan.builder();
    for (int i = 0; i < n; i++) {
      int from = 20_000 + i;
      b.add(
          Redirect.tcp(from, from == changedPort ? changedTo : 40_000 + i)
              .ipv4Only()
              .incomingOnly());
    }
    return b.build();
  }

  /** One timed run: {wall ns, CPU ns}. */
  private interface Timed {
    long[] run() throws Exception;
  }

  private static final java.lang.management.ThreadMXBean THREADS =
      java.lang.management.ManagementFactory.getThreadMXBean();

  private interface Body {
    void run() throws Exception;
  }

  /** Wall and CPU time of {@code body} on this thread (libnftables runs on the calling thread). */
  private static long[] inProcess(Body body) throws Exception {
    long cpu = THREADS.getCurrentThreadCpuTime();
    long t = System.nanoTime();
    body.run();
    return new long[] {System.nanoTime() - t, THREADS.getCurrentThreadCpuTime() - cpu};
  }

  public static void main(String[] args) throws Exception {
    if (!Kernel.isRoot()) {
      System.out.println(
          "IncrementalApplyBench needs root (network namespaces); nothing measured.");
      return;
    }
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
    RedirectPlan a = plan(N, -1, 0);
    RedirectPlan b = plan(N, 20_003, 50_003); // one redirect's target changed
    RedirectPlan plusOne =
        RedirectPlan.builder()
            .addAll(a.redirects())
            .add(Redirect.tcp(20_000 + N, 40_000 + N).ipv4Only().incomingOnly())
            .build();
    String table = NftRenderer.tableName(a);
    Path dir = Files.createTempDirectory("privport-incbench-");
    Path file = Files.writeString(dir.resolve("plan.nft"), a.toNft());
    String script = a.toNft();
    NftRenderer renderer = new NftRenderer();
    Map<String, List<Long>> times = new LinkedHashMap<>();
    Map<String, Long> cpu = new LinkedHashMap<>();
    try (Netns ns = Netns.create("nftexec");
        LibnftablesExecutor nft =
            ns.call(() -> Nftables.open(StateDirectory.at(dir.resolve("state"))))) {
      Map<String, Timed> ops = new LinkedHashMap<>();
      ops.put(
          "`nft -f` of the whole file, table present (the unit)",
          () -> {
            nft.run(script);
            return ns.call(() -> timeProcess(List.of("nft", "-f", file.toString())));
          });
      ops.put(
          "`nft -f` of the whole file, table absent",
          () -> {
            nft.run("table inet " + table + "\ndelete table inet " + table);
            return ns.call(() -> timeProcess(List.of("nft", "-f", file.toString())));
          });
      ops.put(
          "in-process: change 1 redirect of 10 000 (element path)",
          () -> {
            ns.call(() -> inProcess(() -> nft.apply(a))); // recorded: the executor knows the table
            return ns.call(() -> inProcess(() -> nft.apply(b)));
          });
      ops.put(
          "in-process: change 1 redirect of 10 000, table replaced (before)",
          () -> {
            ns.call(() -> inProcess(() -> nft.apply(a)));
            // a commit elsewhere in the namespace: the element path is not taken
            ns.sh("nft", "add table inet privport-bump; delete table inet privport-bump");
            return ns.call(() -> inProcess(() -> nft.apply(b)));
          });
      ops.put(
          "in-process: add 1 redirect to 10 000 (elements, map rule's chain refilled)",
          () -> {
            ns.call(() -> inProcess(() -> nft.apply(a)));
            return ns.call(() -> inProcess(() -> nft.apply(plusOne)));
          });
      ops.put(
          "in-process: fresh apply of 10 000 (table absent)",
          () -> {
            nft.remove(a);
            return ns.call(() -> inProcess(() -> nft.apply(a)));
          });
      ops.put(
          "in-process: fresh apply of 10 000 as declare-delete-define (before)",
          () -> {
            nft.remove(a);
            return ns.call(() -> inProcess(() -> nft.run(renderer.render(a))));
          });
      ops.put(
          "render 10 000 (Java only, part of every full or fresh apply)",
          () -> {
            return inProcess(() -> renderer.render(a));
          });
      // Warm-up: the JIT and libnftables' caches, for every operation.
      for (int w = 0; w < 3; w++) {
        for (Timed op : ops.values()) {
          op.run();
        }
      }
      List<String> names = new ArrayList<>(ops.keySet());
      for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < names.size(); k++) {
          String name = names.get((k + r) % names.size()); // rotate the order each round
          long[] wallAndCpu = ops.get(name).run();
          times.computeIfAbsent(name, x -> new ArrayList<>()).add(wallAndCpu[0]);
          cpu.merge(name, wallAndCpu[1], Long::sum);
        }
      }
      nft.remove(a);
    } finally {
      Cmd.run("rm", "-rf", "--", dir.toString());
    }
    long unitPresent = median(times.get("`nft -f` of the whole file, table present (the unit)"));
    long unitAbsent = median(times.get("`nft -f` of the whole file, table absent"));
    System.out.println(
        "Machine: "
            + Runtime.getRuntime().availableProcessors()
            + " cores, load average "
            + Files.readString(Path.of("/proc/loadavg")).split(" ")[0]
            + " at the end; "
            + rounds
            + " rounds after 3 warm-up rounds");
    System.out.println();
    System.out.println(
        "| operation | median | spread (min-max) | x `nft -f`, table present | x `nft -f`, table absent | mean CPU |");
    System.out.println("| --- | ---: | ---: | ---: | ---: | ---: |");
    for (Map.Entry<String, List<Long>> e : times.entrySet()) {
      long[] v = sorted(e.getValue());
      long m = v[v.length / 2];
      System.out.println(
          String.format(
              Locale.ROOT,
              "| %s | %s | %s-%s | %.3f x | %.3f x | %s |",
              e.getKey(),
              ms(m),
              ms(v[0]),
              ms(v[v.length - 1]),
              (double) m / unitPresent,
              (double) m / unitAbsent,
              ms(cpu.get(e.getKey()) / v.length)));
    }
    System.out.println();
    long change = median(times.get("in-process: change 1 redirect of 10 000 (element path)"));
    long fresh = median(times.get("in-process: fresh apply of 10 000 (table absent)"));
    String[] keys = {
      "`nft -f` of the whole file, table present (the unit)",
      "`nft -f` of the whole file, table absent",
      "in-process: change 1 redirect of 10 000 (element path)",
      "in-process: fresh apply of 10 000 (table absent)"
    };
    double[] cpuMean = new double[keys.length];
    for (int i = 0; i < keys.length; i++) {
      cpuMean[i] = (double) cpu.get(keys[i]) / times.get(keys[i]).size();
    }
    System.out.println("| Goal | Measured (wall, medians) | CPU time (means) | Met |");
    System.out.println("| --- | --- | --- | --- |");
    double changeRatio = (double) change / unitPresent;
    double freshRatio = (double) fresh / unitAbsent;
    System.out.println(
        String.format(
            Locale.ROOT,
            "| change 1 redirect of 10 000 in-process <= 0.05 x `nft -f` of the whole file | %.4f x (%s vs %s) | %.4f x | %s |",
            changeRatio,
            ms(change),
            ms(unitPresent),
            cpuMean[2] / cpuMean[0],
            changeRatio <= 0.05 ? "yes" : "no"));
    System.out.println(
        String.format(
            Locale.ROOT,
            "| fresh apply of 10 000 in-process <= 0.6 x `nft -f` (both with the table absent) | %.3f x (%s vs %s) | %.3f x | %s |",
            freshRatio,
            ms(fresh),
            ms(unitAbsent),
            cpuMean[3] / cpuMean[1],
            freshRatio <= 0.6 ? "yes" : "no"));
  }

  private static long[] sorted(List<Long> values) {
    long[] v = values.stream().mapToLong(Long::longValue).toArray();
    Arrays.sort(v);
    return v;
  }

  private static long median(List<Long> values) {
    long[] v = sorted(values);
    return v[v.length / 2];
  }

  /** Wall time, and CPU time from this process's reaped children (clock ticks, 10 ms each). */
  private static long[] timeProcess(List<String> argv) throws IOException, InterruptedException {
    long children = childrenTicks();
    long elapsed = Benchmark.timeProcess(argv);
    return new long[] {elapsed, (childrenTicks() - children) * 10_000_000L};
  }

  /** cutime + cstime of /proc/self/stat: CPU of reaped children, in ticks of 1/100 s. */
  private static long childrenTicks() throws IOException {
    String stat = Files.readString(Path.of("/proc/self/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[13]) + Long.parseLong(f[14]); // fields 16 and 17 of proc(5)
  }

  private static String ms(long nanos) {
    return nanos >= 10_000_000
        ? String.format(Locale.ROOT, "%,d ms", nanos / 1_000_000)
        : String.format(Locale.ROOT, "%.2f ms", nanos / 1e6);
  }
}
