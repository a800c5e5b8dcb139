package dev.privport.nft;

import dev.privport.core.RedirectPlan;
import dev.privport.core.RedirectRule;
import java.util.List;

/**
 * What the live ruleset holds of a plan, read back from libnftables' JSON.
 *
 * @param plan the plan that was inspected
 * @param present whether the plan's table exists
 * @param live every rule in the plan's table, with counters
 * @param missing rules of the plan that the table lacks (deleted by hand, say)
 * @param unexpected rules in the table that the plan does not have (added by hand, say)
 */
public record PlanStatus(
    RedirectPlan plan, boolean present, List<LiveRule> live, List<RedirectRule> missing, List<LiveRule> unexpected) {

  public PlanStatus {
    live = List.copyOf(live);
    missing = List.copyOf(missing);
    unexpected = List.copyOf(unexpected);
  }

  /** True when the table exists and holds exactly the plan's rules: no drift. */
  public boolean inSync() {
    return present && missing.isEmpty() && unexpected.isEmpty();
  }

  /** The live rule for {@code rule}, with its counters. */
  public java.util.Optional<LiveRule> find(RedirectRule rule) {
    return live.stream().filter(l -> l.rule().filter(rule::equals).isPresent()).findFirst();
  }
}
