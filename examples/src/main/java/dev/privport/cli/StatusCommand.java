package dev.privport.cli;

import dev.privport.core.RedirectPlan;
import dev.privport.core.RedirectRule;
import dev.privport.nft.LiveRule;
import dev.privport.nft.NftRenderer;
import dev.privport.nft.Nftables;
import dev.privport.nft.PlanStatus;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code privport status}: each redirect, whether it is live, its counters, and any drift. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = {
      "Show each redirect, whether it is live, and its counters (needs root).",
      "Exits 1 when the table is absent or differs from the plan."
    })
final class StatusCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin PlanOptions plan;
  @Mixin SocketOptions socket;

  @picocli.CommandLine.Option(names = "--all", description = "every user's delegated plan (root)")
  boolean all;

  @Override
  public Integer call() {
    Optional<Integer> delegated = socket.status(all, spec);
    if (delegated.isPresent()) return delegated.get();
    RedirectPlan p = plan.plan();
    PlanStatus status;
    try (Nftables nft = Nftables.open()) {
      nft.recover(p).ifPresent(m -> spec.commandLine().getErr().println("privport: " + m));
      status = nft.inspect(p);
    }
    PrintWriter out = spec.commandLine().getOut();
    out.println(
        "table inet "
            + NftRenderer.tableName(p)
            + ": "
            + (status.present() ? "present" : "absent"));
    out.printf(
        Locale.ROOT,
        "%-9s %-10s %-22s %-6s %10s %12s%n",
        "SCOPE",
        "IFACE",
        "REDIRECT",
        "LIVE",
        "PACKETS",
        "BYTES");
    for (RedirectRule r : p.rules()) {
      Optional<LiveRule> live = status.find(r);
      out.printf(
          Locale.ROOT,
          "%-9s %-10s %-22s %-6s %10s %12s%n",
          r.scope().name().toLowerCase(Locale.ROOT),
          r.inputInterface().orElse("*"),
          r.describe() + (r.singleFamily() ? " " + r.family().keyword() : ""),
          live.isPresent() ? "yes" : "no",
          live.map(l -> Long.toString(l.packets())).orElse("-"),
          live.map(l -> Long.toString(l.bytes())).orElse("-"));
    }
    status
        .extra()
        .forEach(r -> out.println("drift: not in the plan: " + r.scope() + " " + r.describe()));
    status
        .unrecognised()
        .forEach(
            l ->
                out.println(
                    "drift: unrecognised rule in chain " + l.chain() + ", handle " + l.handle()));
    out.println(status.inSync() ? "in sync with the plan" : "NOT in sync with the plan");
    return status.inSync() ? Privport.OK : Privport.STALE;
  }
}
