package dev.privport.examples;

import dev.privport.core.RedirectPlan;
import dev.privport.nft.Nftables;
import dev.privport.nft.PlanStatus;

/**
 * Example: an application that applies its own redirect in-process through libnftables, checks it,
 * and removes it on the way out. Needs root (CAP_NET_ADMIN). Run: {@code java -cp privport.jar
 * dev.privport.examples.ApplyWithExecutor}.
 */
public final class ApplyWithExecutor {
  private ApplyWithExecutor() {}

  /** Applies, inspects and removes the plan; returns what it saw. */
  public static String run(RedirectPlan plan) {
    StringBuilder log = new StringBuilder();
    try (Nftables nft = Nftables.open()) {
      nft.check(plan); // a dry run first: the kernel is not changed
      nft.apply(plan); // one transaction
      PlanStatus status = nft.inspect(plan);
      log.append("applied, in sync: ").append(status.inSync()).append('\n');
      status
          .live()
          .forEach(
              l ->
                  log.append("  ")
                      .append(l.chain())
                      .append(": ")
                      .append(l.redirects().size())
                      .append(" redirect(s), ")
                      .append(l.packets())
                      .append(" packets\n"));
      nft.remove(plan);
      log.append("removed, present: ").append(nft.inspect(plan).present()).append('\n');
    }
    return log.toString();
  }

  public static void main(String[] args) {
    System.out.print(run(RedirectPlan.of(80, 8080)));
  }
}
