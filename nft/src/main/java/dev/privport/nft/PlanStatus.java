package dev.privport.nft;

import dev.privport.core.RedirectPlan;
import dev.privport.core.RedirectRule;
import java.util.AbstractList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the live ruleset holds of a plan, read back from libnftables' JSON and compared with what
 * the plan renders, object by object: table flags, chains, maps and sets with their elements, and
 * every rule's whole expression.
 *
 * @param plan the plan that was inspected
 * @param present whether the plan's table exists
 * @param live every rule in the plan's table, with counters
 * @param missing redirects of the plan that the table lacks (a rule or map element deleted by hand,
 *     or a rule that no longer reads exactly as planned)
 * @param extra redirects in the table that the plan does not have (a rule or element added by hand)
 * @param unrecognised rules in the table whose shape privport does not render
 * @param differences every difference between the table and the plan, one line each; empty exactly
 *     when the table is as planned
 */
public record PlanStatus(
    RedirectPlan plan,
    boolean present,
    List<LiveRule> live,
    List<RedirectRule> missing,
    List<RedirectRule> extra,
    List<LiveRule> unrecognised,
    List<Difference> differences) {

  public PlanStatus {
    live = Indexed.of(live);
    missing = List.copyOf(missing);
    extra = List.copyOf(extra);
    unrecognised = List.copyOf(unrecognised);
    differences = List.copyOf(differences);
  }

  /**
   * A status whose differences are only its missing, extra and unrecognised rules (for callers that
   * build one from redirects alone).
   */
  public PlanStatus(
      RedirectPlan plan,
      boolean present,
      List<LiveRule> live,
      List<RedirectRule> missing,
      List<RedirectRule> extra,
      List<LiveRule> unrecognised) {
    this(
        plan,
        present,
        live,
        missing,
        extra,
        unrecognised,
        derived(present, missing, extra, unrecognised));
  }

  private static List<Difference> derived(
      boolean present,
      List<RedirectRule> missing,
      List<RedirectRule> extra,
      List<LiveRule> unrecognised) {
    if (!present) {
      return List.of(new Difference("table", "absent"));
    }
    java.util.ArrayList<Difference> out = new java.util.ArrayList<>();
    missing.forEach(r -> out.add(new Difference(r.scope() + " " + r.describe(), "missing")));
    extra.forEach(r -> out.add(new Difference(r.scope() + " " + r.describe(), "not in the plan")));
    unrecognised.forEach(
        l ->
            out.add(
                new Difference(
                    "chain " + l.chain(), "rule (handle " + l.handle() + ") not in the plan")));
    return out;
  }

  /** True when the table exists and is exactly what the plan renders: no drift. */
  public boolean inSync() {
    return present && differences.isEmpty();
  }

  /** The live rule that implements {@code rule}, with its counters. Constant time. */
  public Optional<LiveRule> find(RedirectRule rule) {
    return Optional.ofNullable(((Indexed) live).byRedirect.get(rule));
  }

  /**
   * The live rules, indexed by the redirects they implement once, so that {@link #find} does not
   * scan every map element of every rule (which made a status of n redirects cost n squared).
   */
  private static final class Indexed extends AbstractList<LiveRule> {
    private final List<LiveRule> rules;
    private final Map<RedirectRule, LiveRule> byRedirect;

    private Indexed(List<LiveRule> rules) {
      this.rules = List.copyOf(rules);
      int size = rules.stream().mapToInt(l -> l.redirects().size()).sum();
      this.byRedirect = new HashMap<>(Math.max(16, size * 4 / 3 + 1));
      for (LiveRule l : this.rules) {
        for (RedirectRule r : l.redirects()) {
          byRedirect.putIfAbsent(r, l);
        }
      }
    }

    static List<LiveRule> of(List<LiveRule> rules) {
      return rules instanceof Indexed indexed ? indexed : new Indexed(rules);
    }

    @Override
    public LiveRule get(int index) {
      return rules.get(index);
    }

    @Override
    public int size() {
      return rules.size();
    }
  }
}
