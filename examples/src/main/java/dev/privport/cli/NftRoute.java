package dev.privport.cli;

import dev.privport.core.RedirectPlan;
import dev.privport.core.RedirectRule;
import dev.privport.nft.Nftables;
import dev.privport.nft.PlanStatus;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The nft route: the plan's own table, replaced in one transaction through libnftables
 * (in-process); trials save the previous table and survive the process (see README "Trials").
 */
final class NftRoute implements Route {
  private final Nftables nft = Nftables.open();

  @Override
  public String target(RedirectPlan plan) {
    return "table inet " + plan.qualifiedName();
  }

  @Override
  public Optional<String> recover(RedirectPlan plan) {
    return nft.recover(plan);
  }

  /**
   * The inspection {@link #affected} made of a plan, which {@link #apply} of the same plan reads
   * instead of listing the table a second time (apply reads the two in a row).
   */
  private RedirectPlan inspected;

  private PlanStatus inspection;

  @Override
  public Set<RedirectRule> affected(RedirectPlan plan) {
    Set<RedirectRule> rules = new LinkedHashSet<>(plan.rules());
    PlanStatus status = nft.inspect(plan);
    status.live().forEach(l -> rules.addAll(l.redirects()));
    inspected = plan;
    inspection = status;
    return rules;
  }

  /**
   * Leaves a table that already holds the plan alone (its counters, and the flows tracked through
   * it), as the iptables and firewalld routes do; anything else is replaced in one transaction. So
   * is a table whose trial another process has not ended: written, it is no longer what that trial
   * applied, so the trial's rollback leaves it, and this apply stands.
   */
  @Override
  public boolean apply(RedirectPlan plan) {
    PlanStatus status = plan == inspected ? inspection : nft.inspect(plan);
    inspected = null;
    inspection = null;
    if (status.inSync() && !nft.trialPending(plan)) {
      return false;
    }
    nft.apply(plan);
    return true;
  }

  @Override
  public boolean remove(RedirectPlan plan) {
    nft.remove(plan);
    return true;
  }

  @Override
  public Trial begin(RedirectPlan plan) {
    dev.privport.nft.Trial trial = nft.begin(plan);
    return new Trial() {
      @Override
      public void confirm() {
        trial.confirm();
      }

      @Override
      public Rollback rollback() {
        dev.privport.nft.Trial.Rollback r = trial.rollback();
        return new Rollback(r.restored(), r.message());
      }
    };
  }

  /** The whole comparison of the table with the plan, for {@code status}'s full report. */
  PlanStatus planStatus(RedirectPlan plan) {
    return nft.inspect(plan);
  }

  @Override
  public Inspection inspect(RedirectPlan plan) {
    PlanStatus status = nft.inspect(plan);
    Map<RedirectRule, Counters> live = new LinkedHashMap<>();
    for (RedirectRule r : plan.rules()) {
      status.find(r).ifPresent(l -> live.put(r, new Counters(l.packets(), l.bytes())));
    }
    return new Inspection(
        status.present(), live, status.differences().stream().map(d -> d.line()).toList());
  }

  @Override
  public void close() {
    nft.close();
  }
}
