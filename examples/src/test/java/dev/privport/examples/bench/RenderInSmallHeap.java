package dev.privport.examples.bench;

import dev.privport.core.RedirectPlan;
import dev.privport.nft.NftRenderer;

/**
 * Run by the benchmark in a JVM of its own with -Xmx64m: builds and renders N redirects, prints ms.
 */
public final class RenderInSmallHeap {
  private RenderInSmallHeap() {}

  public static void main(String[] args) {
    int n = Integer.parseInt(args[0]);
    long start = System.nanoTime();
    RedirectPlan plan = Benchmark.plan(n);
    String text = new NftRenderer().render(plan);
    long ms = (System.nanoTime() - start) / 1_000_000;
    System.out.println(ms + " " + text.length());
  }
}
