package dev.privport.examples.bench;

import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import dev.privport.nft.LibnftablesExecutor;
import dev.privport.nft.NftRenderer;
import dev.privport.nft.Nftables;
import dev.privport.nft.StateDirectory;
import dev.privport.testkit.Cmd;
import dev.privport.testkit.Kernel;
import dev.privport.testkit.Netns;
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

  private interface Timed {
    long run() throws Exception;
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
    try (Netns ns = Netns.create("nftexec");
        LibnftablesExecutor nft =
            ns.call(() -> Nftables.open(StateDirectory.at(dir.resolve("state"))))) {
      Map<String, Timed> ops = new LinkedHashMap<>();
      ops.put(
          "`nft -f` of the whole file, table present (the unit)",
          () -> {
            ns.call(() -> nft.run(script));
            return ns.call(() -> timeProcess(List.of("nft", "-f", file.toString())));
          });
      ops.put(
          "`nft -f` of the whole file, table absent",
          () -> {
            ns.call(() -> nft.run("table inet " + table + "\ndelete table inet " + table));
            return ns.call(() -> timeProcess(List.of("nft", "-f", file.toString())));
          });
      ops.put(
          "in-process: change 1 redirect of 10 000 (element path)",
          () -> {
            nft.apply(a); // recorded: the executor knows the table
            long t = System.nanoTime();
            nft.apply(b);
            return System.nanoTime() - t;
          });
      ops.put(
          "in-process: change 1 redirect of 10 000, table replaced (before)",
          () -> {
            nft.apply(a);
            // a commit elsewhere in the namespace: the element path is not taken
            ns.sh("nft", "add table inet privport-bump; delete table inet privport-bump");
            long t = System.nanoTime();
            nft.apply(b);
            return System.nanoTime() - t;
          });
      ops.put(
          "in-process: add 1 redirect to 10 000 (elements, map rule's chain refilled)",
          () -> {
            nft.apply(a);
            long t = System.nanoTime();
            nft.apply(plusOne);
            return System.nanoTime() - t;
          });
      ops.put(
          "in-process: fresh apply of 10 000 (table absent)",
          () -> {
            nft.remove(a);
            long t = System.nanoTime();
            nft.apply(a);
            return System.nanoTime() - t;
          });
      ops.put(
          "in-process: fresh apply of 10 000 as declare-delete-define (before)",
          () -> {
            nft.remove(a);
            long t = System.nanoTime();
            ns.call(() -> nft.run(renderer.render(a)));
            return System.nanoTime() - t;
          });
      ops.put(
          "render 10 000 (Java only, part of every full or fresh apply)",
          () -> {
            long t = System.nanoTime();
            renderer.render(a);
            return System.nanoTime() - t;
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
          times.computeIfAbsent(name, x -> new ArrayList<>()).add(ops.get(name).run());
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
        "| operation | median | spread (min-max) | x `nft -f`, table present | x `nft -f`, table absent |");
    System.out.println("| --- | ---: | ---: | ---: | ---: |");
    for (Map.Entry<String, List<Long>> e : times.entrySet()) {
      long[] v = sorted(e.getValue());
      long m = v[v.length / 2];
      System.out.println(
          String.format(
              Locale.ROOT,
              "| %s | %s | %s-%s | %.3f x | %.3f x |",
              e.getKey(),
              ms(m),
              ms(v[0]),
              ms(v[v.length - 1]),
              (double) m / unitPresent,
              (double) m / unitAbsent));
    }
    System.out.println();
    long change = median(times.get("in-process: change 1 redirect of 10 000 (element path)"));
    long fresh = median(times.get("in-process: fresh apply of 10 000 (table absent)"));
    System.out.println("| Goal | Measured | Met |");
    System.out.println("| --- | --- | --- |");
    double changeRatio = (double) change / unitPresent;
    double freshRatio = (double) fresh / unitAbsent;
    System.out.println(
        String.format(
            Locale.ROOT,
            "| change 1 redirect of 10 000 in-process <= 0.05 x `nft -f` of the whole file | %.4f x (%s vs %s) | %s |",
            changeRatio,
            ms(change),
            ms(unitPresent),
            changeRatio <= 0.05 ? "yes" : "no"));
    System.out.println(
        String.format(
            Locale.ROOT,
            "| fresh apply of 10 000 in-process <= 0.6 x `nft -f` (both with the table absent) | %.3f x (%s vs %s) | %s |",
            freshRatio,
            ms(fresh),
            ms(unitAbsent),
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

  private static long timeProcess(List<String> argv) throws IOException, InterruptedException {
    long t = System.nanoTime();
    Process p =
        new ProcessBuilder(argv)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    int rc = p.waitFor();
    long elapsed = System.nanoTime() - t;
    if (rc != 0) {
      throw new IllegalStateException(String.join(" ", argv) + " exited " + rc);
    }
    return elapsed;
  }

  private static String ms(long nanos) {
    return nanos >= 10_000_000
        ? String.format(Locale.ROOT, "%,d ms", nanos / 1_000_000)
        : String.format(Locale.ROOT, "%.2f ms", nanos / 1e6);
  }
}
