package dev.privport.cli;

import dev.privport.core.Family;
import dev.privport.core.RedirectPlan;
import dev.privport.core.RedirectRule;
import dev.privport.firewalld.Firewalld;
import dev.privport.firewalld.FirewalldDirectStatus;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The firewalld route: the plan's direct rules, written into firewalld's permanent configuration
 * and loaded by one reload, in-process over D-Bus ({@link Firewalld}, on {@code
 * DBUS_SYSTEM_BUS_ADDRESS} or the system bus). Direct rules, not policies: they express every plan
 * (interfaces included), need no host addresses, work on every firewalld, and carry the same
 * arguments as the iptables route.
 */
final class FirewalldRoute implements Route {
  private final Firewalld firewalld = Firewalld.connect();

  @Override
  public String target(RedirectPlan plan) {
    return "firewalld direct rules of plan " + plan.qualifiedName();
  }

  @Override
  public Set<RedirectRule> affected(RedirectPlan plan) {
    return new LinkedHashSet<>(plan.rules());
  }

  @Override
  public boolean apply(RedirectPlan plan) {
    return firewalld.apply(plan).changed();
  }

  @Override
  public boolean remove(RedirectPlan plan) {
    return firewalld.remove(plan).changed();
  }

  /**
   * firewalld keeps no earlier version of a plan to put back: a trial may start only where nothing
   * of the plan is (rolled back by removing it) or the plan is already in place (nothing to roll
   * back). Anything else is refused before firewalld is changed.
   */
  @Override
  public Trial begin(RedirectPlan plan) {
    Inspection before = inspect(plan);
    if (before.present() && !before.inSync()) {
      throw new IllegalStateException(
          "--try: firewalld already holds another version of plan "
              + plan.qualifiedName()
              + " ("
              + before.differences().get(0)
              + "), which a rollback could not put back; remove it first or apply without --try");
    }
    boolean changed = apply(plan);
    return new Trial() {
      @Override
      public void confirm() {}

      @Override
      public Rollback rollback() {
        if (!changed) {
          return new Rollback(true, target(plan) + " already held the plan; nothing changed");
        }
        try {
          remove(plan);
          return new Rollback(true, "removed the " + target(plan));
        } catch (RuntimeException e) {
          return new Rollback(false, e.getMessage());
        }
      }
    };
  }

  @Override
  public Inspection inspect(RedirectPlan plan) {
    FirewalldDirectStatus status = firewalld.inspect(plan);
    // The status lists the plan's rules in renderDirect's order: per family, the plan's rules.
    List<RedirectRule> order = new ArrayList<>();
    for (Family f : Family.values()) {
      for (RedirectRule r : plan.rules()) {
        if (r.families().contains(f)) order.add(r);
      }
    }
    Map<RedirectRule, Boolean> whole = new LinkedHashMap<>();
    for (int i = 0; i < order.size() && i < status.rules().size(); i++) {
      FirewalldDirectStatus.Rule s = status.rules().get(i);
      whole.merge(order.get(i), s.runtime() && s.permanent(), Boolean::logicalAnd);
    }
    Map<RedirectRule, Counters> live = new LinkedHashMap<>();
    whole.forEach(
        (r, ok) -> {
          if (ok) live.put(r, Counters.UNKNOWN);
        });
    return new Inspection(status.present(), live, status.differences());
  }

  @Override
  public void close() {
    firewalld.close();
  }
}
