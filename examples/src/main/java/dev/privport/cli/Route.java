package dev.privport.cli;

import dev.privport.core.RedirectPlan;
import dev.privport.core.RedirectRule;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One backend's way for {@code apply}, {@code remove} and {@code status} to change and read the
 * live firewall: {@link NftRoute} (libnftables), {@link IptablesRoute} ({@code iptables-restore
 * --noflush}), {@link FirewalldRoute} (firewalld over D-Bus). Every route gives the same
 * guarantees: applying twice changes nothing the second time, removing takes away exactly what the
 * plan added, and a failure leaves the previous state in place.
 */
interface Route extends AutoCloseable {
  /** What the plan owns through this route, for messages: {@code table inet privport}. */
  String target(RedirectPlan plan);

  /** Rolls back an earlier trial of the plan whose process is gone, when the route keeps them. */
  default Optional<String> recover(RedirectPlan plan) {
    return Optional.empty();
  }

  /**
   * The redirects whose tracked flows a change to the plan affects: the plan's own and those the
   * live state holds for it now, which an apply may drop. Read before the change.
   */
  Set<RedirectRule> affected(RedirectPlan plan);

  /**
   * Makes the live state hold exactly the plan; false when it already did (nothing was changed).
   */
  boolean apply(RedirectPlan plan);

  /** Takes away exactly what the plan added; false when nothing of it was there. */
  boolean remove(RedirectPlan plan);

  /** Applies the plan so that {@link Trial#rollback()} can put back what was there before. */
  Trial begin(RedirectPlan plan);

  /** What the live state holds of the plan, compared with the plan. */
  Inspection inspect(RedirectPlan plan);

  @Override
  void close();

  /** An applied plan waiting to be kept or rolled back. */
  interface Trial {
    /** Keeps the change. */
    void confirm();

    /** Puts back what the trial replaced, and says how it went. */
    Rollback rollback();
  }

  /**
   * How a rollback went.
   *
   * @param restored whether the previous state is back
   * @param message one line saying what was done
   */
  record Rollback(boolean restored, String message) {}

  /**
   * Counters of one live redirect.
   *
   * @param packets packets it redirected, or -1 when the route cannot say
   * @param bytes bytes it redirected, or -1 when the route cannot say
   */
  record Counters(long packets, long bytes) {
    /** No counters: the route does not read them. */
    static final Counters UNKNOWN = new Counters(-1, -1);
  }

  /**
   * What the live state holds of a plan.
   *
   * @param present whether anything of the plan is there
   * @param live the plan's redirects that are in place exactly as planned, with their counters
   * @param differences one line per difference from the plan; empty when in sync
   */
  record Inspection(boolean present, Map<RedirectRule, Counters> live, List<String> differences) {
    public Inspection {
      live = Map.copyOf(live);
      differences = List.copyOf(differences);
    }

    /** Whether the live state is exactly the plan. */
    boolean inSync() {
      return present && differences.isEmpty();
    }
  }
}
