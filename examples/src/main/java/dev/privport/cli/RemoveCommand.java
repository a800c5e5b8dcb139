package dev.privport.cli;

import dev.privport.core.RedirectPlan;
import dev.privport.nft.NftRenderer;
import dev.privport.nft.Nftables;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code privport remove}: delete the plan's table (root); succeeds when it is already gone. */
@Command(name = "remove", mixinStandardHelpOptions = true,
    description = "Remove the plan's table through libnftables (needs root); nothing else is touched.")
final class RemoveCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin PlanOptions plan;

  @Override
  public Integer call() {
    RedirectPlan p = plan.plan();
    try (Nftables nft = Nftables.open()) {
      nft.remove(p);
    }
    spec.commandLine().getOut().println("removed: table inet " + NftRenderer.tableName(p));
    return Privport.OK;
  }
}
