package dev.privport.nft;

import dev.privport.core.RedirectPlan;
import dev.privport.core.RedirectRule;
import java.util.List;
import java.util.Optional;

/**
 * What the live ruleset holds of a plan, read back from libnftables' JSON.
 *
 * @param plan the plan that was inspected
 * @param present whether the plan's table exists
 * @param live every rule in the plan's table, with counters
 * @param missing redirects of the plan that the table lacks (a rule or map element deleted by hand)
 * @param extra redirects in the table that the plan does not have (a rule or element added by hand)
 * @param unrecognised rules in the table whose shape privport does not render
 */
public record PlanStatus(
    RedirectPlan plan,
    boolean present,
    List<LiveRule> live,
    List<RedirectRule> missing,
    List<RedirectRule> extra,
    List<LiveRule> unrecognised) {

  public PlanStatus {
    live = List.copyOf(live);
    missing = List.copyOf(missing);
    extra = List.copyOf(extra);
    unrecognised = List.copyOf(unrecognised);
  }

  /** True when the table exists and holds exactly the plan's redirects: no drift. */
  public boolean inSync() {
    return present && missing.isEmpty() && extra.isEmpty() && unrecognised.isEmpty();
  }

  /** The live rule that implements {@code rule}, with its counters. */
  public Optional<LiveRule> find(RedirectRule rule) {
    return live.stream().filter(l -> l.redirects().contains(rule)).findFirst();
  }
}
