package dev.privport.examples.bench;

import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import dev.privport.nft.LibnftablesExecutor;
import dev.privport.nft.Nftables;
import dev.privport.nft.StateDirectory;
import dev.privport.nft.Trial;
import dev.privport.testkit.lab.Kernel;
import dev.privport.testkit.lab.Netns;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * What safety costs the in-process executor: an unlocked run of the plan's script, {@code apply}
 * (which holds the state directory's file lock), {@code recover} with nothing saved, and a whole
 * trial ({@code begin} then {@code rollback} or {@code confirm}: capture, dry run of the restore,
 * atomic saves, apply, listing), each the median of 21 runs after 5 warm-up runs, in a namespace,
 * with the state directory on a tmpfs (as {@code /run} is). Prints a Markdown table. Run (root):
 * {@code java -cp <test class path> dev.privport.examples.bench.TrialBench}.
 */
public final class TrialBench {
  private TrialBench() {}

  private interface Step {
    void run() throws Exception;
  }

  private static double medianMillis(Step step) throws Exception {
    for (int i = 0; i < 5; i++) {
      step.run();
    }
    double[] ms = new double[21];
    for (int i = 0; i < ms.length; i++) {
      long t = System.nanoTime();
      step.run();
      ms[i] = (System.nanoTime() - t) / 1e6;
    }
    Arrays.sort(ms);
    return ms[ms.length / 2];
  }

  static RedirectPlan plan(int n, int base) {
    RedirectPlan.Builder b = RedirectPlan.builder();
    for (int i = 0; i < n; i++) {
      b.add(Redirect.tcp(20_000 + i, base + i).ipv4Only().incomingOnly());
    }
    return b.build();
  }

  public static void main(String[] args) throws Exception {
    if (!Kernel.isRoot()) {
      System.out.println("TrialBench needs root (network namespaces); nothing measured.");
      return;
    }
    // A tmpfs, as /run/privport is: on a disk file system each saved state costs an fsync.
    Path shm = Path.of("/dev/shm");
    Path dir =
        Files.isDirectory(shm)
            ? Files.createTempDirectory(shm, "privport-trialbench")
            : Files.createTempDirectory("privport-trialbench");
    System.out.println("State directory: " + dir + " (" + Files.getFileStore(dir).type() + ")");
    System.out.println();
    try (Netns ns = Netns.create("trialbench")) {
      try (LibnftablesExecutor nft =
          ns.call(() -> Nftables.open(StateDirectory.at(dir.resolve("state"))))) {
        System.out.println(
            "| redirects | run(script), no lock | apply (locked) | recover, nothing saved"
                + " | begin + rollback | begin + confirm |");
        System.out.println("| ---: | ---: | ---: | ---: | ---: | ---: |");
        for (int n : new int[] {1, 100, 1000}) {
          RedirectPlan a = plan(n, 40_000);
          RedirectPlan b = plan(n, 50_000);
          String script = a.toNft();
          nft.apply(b);
          double raw = medianMillis(() -> nft.run(script));
          double locked = medianMillis(() -> nft.apply(a));
          double recover = medianMillis(() -> nft.recover(a));
          double rollback =
              medianMillis(
                  () -> {
                    Trial t = nft.begin(b);
                    t.rollback();
                  });
          double confirm =
              medianMillis(
                  () -> {
                    nft.begin(b).confirm();
                    nft.begin(a).confirm();
                  });
          System.out.printf(
              Locale.ROOT,
              "| %,d | %.2f ms | %.2f ms | %.3f ms | %.2f ms | %.2f ms |%n",
              n,
              raw,
              locked,
              recover,
              rollback,
              confirm / 2);
        }
      }
    } finally {
      try (var files = Files.walk(dir)) {
        for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(f);
        }
      }
    }
  }
}
