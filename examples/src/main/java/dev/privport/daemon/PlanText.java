package dev.privport.daemon;

import dev.privport.core.Family;
import dev.privport.core.PlanFile;
import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import dev.privport.core.Scope;
import java.util.Set;

/**
 * Plans as plan-file text, the form requests and the state directory carry them in (one redirect a
 * line, see the README). Text is parsed in one place only, {@link #parse}.
 */
public final class PlanText {
  private PlanText() {}

  /**
   * Parses plan-file text.
   *
   * @throws IllegalArgumentException naming {@code source}, line and column
   */
  public static RedirectPlan parse(String text, String source) {
    return PlanFile.parse(text, source);
  }

  /** The plan as plan-file text that {@link #parse} reads back to an equal plan. */
  public static String text(RedirectPlan plan) {
    StringBuilder out = new StringBuilder();
    plan.name().ifPresent(n -> out.append("name ").append(n).append('\n'));
    for (Redirect r : plan.redirects()) {
      out.append(line(r)).append('\n');
    }
    return out.toString();
  }

  /** One redirect as a plan-file line, e.g. {@code 514:5514/udp ipv4-only incoming-only}. */
  public static String line(Redirect r) {
    StringBuilder out =
        new StringBuilder()
            .append(r.fromPort())
            .append(':')
            .append(r.toPort())
            .append('/')
            .append(r.protocol().keyword());
    if (r.families().equals(Set.of(Family.IPV4))) {
      out.append(" ipv4-only");
    } else if (r.families().equals(Set.of(Family.IPV6))) {
      out.append(" ipv6-only");
    }
    if (r.scopes().equals(Set.of(Scope.INCOMING))) {
      out.append(" incoming-only");
    } else if (r.scopes().equals(Set.of(Scope.LOCAL))) {
      out.append(" local-only");
    }
    r.inputInterface().ifPresent(i -> out.append(" interface=").append(i));
    return out.toString();
  }
}
