package dev.privport.testkit.traffic;

import dev.privport.testkit.lab.Netns;

/** The connection tracker of a test namespace. */
public final class Flows {
  private Flows() {}

  /**
   * Forgets every flow the connection tracker of {@code ns} remembers. A tracked UDP flow keeps the
   * translation it was given when it began, so a test that reuses a namespace between plans must
   * call this, or a probe whose random source port repeats an earlier one's finds the earlier
   * plan's redirect (or its absence) instead of the current plan's.
   */
  public static void forget(Netns ns) {
    ns.sh("conntrack", "-F");
  }
}
