package dev.privport.cli;

import dev.privport.core.RedirectPlan;
import dev.privport.core.RedirectRule;
import dev.privport.nft.NftRenderer;
import dev.privport.nft.Nftables;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code privport remove}: delete the plan's table (root); succeeds when it is already gone. */
@Command(
    name = "remove",
    mixinStandardHelpOptions = true,
    description = {
      "Remove the plan's table through libnftables (needs root); no other rule is touched.",
      "Tracked UDP flows to the plan's ports are cleared (conntrack; --keep-flows to skip)."
    })
final class RemoveCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin PlanOptions plan;
  @Mixin FlowOptions flows;
  @Mixin SocketOptions socket;

  @Override
  public Integer call() {
    Optional<Integer> delegated = socket.remove(plan, spec);
    if (delegated.isPresent()) return delegated.get();
    RedirectPlan p = plan.plan();
    Set<RedirectRule> affected;
    try (Nftables nft = Nftables.open()) {
      nft.recover(p).ifPresent(m -> spec.commandLine().getErr().println("privport: " + m));
      affected = FlowOptions.affectedBy(p, nft);
      nft.remove(p);
    }
    spec.commandLine().getOut().println("removed: table inet " + NftRenderer.tableName(p));
    flows.forgetEarlierFlows(affected, spec.commandLine().getOut(), spec.commandLine().getErr());
    return Privport.OK;
  }
}
