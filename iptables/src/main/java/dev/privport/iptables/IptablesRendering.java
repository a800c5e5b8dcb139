package dev.privport.iptables;

import dev.privport.core.CommandRunner;
import dev.privport.core.RedirectPlan;
import dev.privport.core.Step;
import java.util.List;
import java.util.Optional;

/**
 * Everything the iptables backend renders for one plan.
 *
 * @param plan the plan
 * @param apply idempotent steps that make the live nat table hold exactly the plan's chains, rules
 *     and jumps (chains the plan no longer needs are removed)
 * @param remove idempotent steps that remove the plan's jumps and chains and nothing else
 * @param unhook the remove steps' first ones only: remove the plan's jumps, so a restore file can
 *     be loaded again at runtime without doubling them
 * @param restoreIpv4 an {@code iptables-restore --noflush} file, if the plan has IPv4 rules
 * @param restoreIpv6 an {@code ip6tables-restore --noflush} file, if the plan has IPv6 rules
 */
public record IptablesRendering(
    RedirectPlan plan,
    List<Step> apply,
    List<Step> remove,
    List<Step> unhook,
    Optional<String> restoreIpv4,
    Optional<String> restoreIpv6) {

  public IptablesRendering {
    apply = List.copyOf(apply);
    remove = List.copyOf(remove);
    unhook = List.copyOf(unhook);
  }

  /** Runs every apply step with {@code runner}. */
  public void executeApply(CommandRunner runner) {
    Step.executeAll(apply, runner);
  }

  /** Runs every remove step with {@code runner}. */
  public void executeRemove(CommandRunner runner) {
    Step.executeAll(remove, runner);
  }
}
