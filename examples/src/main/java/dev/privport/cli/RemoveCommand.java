package dev.privport.cli;

import dev.privport.core.RedirectPlan;
import dev.privport.core.RedirectRule;
import dev.privport.core.spi.Backend;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code privport remove}: take away exactly what the plan added, through the chosen backend
 * (root); succeeds when it is already gone.
 */
@Command(
    name = "remove",
    mixinStandardHelpOptions = true,
    description = {
      "Remove the plan (needs root): its nft table, its iptables chains and jumps, or its",
      "firewalld direct rules (--backend; by default what 'privport doctor' recommends here).",
      "No other rule is touched. Succeeds when the plan is already gone.",
      "Tracked UDP flows to the plan's ports are cleared (conntrack; --keep-flows to skip)."
    })
final class RemoveCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin PlanOptions plan;
  @Mixin RouteOptions route;
  @Mixin FlowOptions flows;
  @Mixin SocketOptions socket;

  @Override
  public Integer call() {
    return remove(spec.commandLine().getOut(), spec.commandLine().getErr());
  }

  /** Removes, printing to {@code out} and {@code err}; returns the exit code. */
  int remove(PrintWriter out, PrintWriter err) {
    if (socket.client().isPresent()) {
      route.requireNftFor("the daemon (--socket, PRIVPORT_SOCKET)");
    }
    Optional<Integer> delegated = socket.remove(plan, out, err);
    if (delegated.isPresent()) return delegated.get();
    RedirectPlan p = plan.plan();
    Backend backend = route.choose(err);
    Set<RedirectRule> affected;
    boolean changed;
    String target;
    try (Route r = RouteOptions.open(backend)) {
      r.recover(p).ifPresent(m -> err.println("privport: " + m));
      affected = r.affected(p);
      changed = r.remove(p);
      target = r.target(p);
    }
    out.println((changed ? "removed: " : "already absent: ") + target);
    if (changed) {
      flows.forgetEarlierFlows(affected, out, err);
    }
    return Privport.OK;
  }
}
