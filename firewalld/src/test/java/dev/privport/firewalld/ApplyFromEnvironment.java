package dev.privport.firewalld;

import dev.privport.core.RedirectPlan;

/**
 * A separate process for {@link FirewalldExecutorKernelTest}: finds firewalld through {@code
 * DBUS_SYSTEM_BUS_ADDRESS} alone, as a user's program would, and applies {@link #PLAN} (removing
 * and applying it again as many times as its argument says).
 */
public final class ApplyFromEnvironment {
  static final RedirectPlan PLAN = RedirectPlan.builder().name("alt").tcp(81, 8081).build();

  private ApplyFromEnvironment() {}

  public static void main(String[] args) {
    try (Firewalld firewalld = Firewalld.connect()) {
      System.out.println("connected");
      System.out.flush();
      FirewalldDirectRules rules = new FirewalldRenderer().renderDirect(PLAN);
      int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 1;
      for (int i = 0; i < rounds; i++) {
        if (i > 0) firewalld.remove(rules);
        FirewalldChange change = firewalld.apply(rules);
        System.out.println(
            "applied through " + firewalld.busAddress() + ", changed=" + change.changed());
      }
    }
  }
}
