package dev.privport.firewalld;

import java.util.ArrayList;
import java.util.List;

/**
 * What firewalld holds of a plan's direct rules ({@link Firewalld#inspect}): each rule of the plan,
 * in the order of {@link FirewalldDirectRules#runtimeAdd()}, with whether the runtime and the
 * permanent configuration hold it, and the rules that carry the plan's comment although the plan
 * does not have them (an earlier version of the plan, or a copy made by hand).
 *
 * @param rules the plan's rules, in rendering order
 * @param extra rules with the plan's comment that the plan does not have
 */
public record FirewalldDirectStatus(List<Rule> rules, List<Rule> extra) {
  public FirewalldDirectStatus {
    rules = List.copyOf(rules);
    extra = List.copyOf(extra);
  }

  /**
   * One direct rule and where firewalld holds it.
   *
   * @param text {@code ipv table chain priority args...}, the arguments as {@code sh} words
   * @param runtime whether the runtime configuration (the live firewall) holds it
   * @param permanent whether the permanent configuration (kept across reloads) holds it
   */
  public record Rule(String text, boolean runtime, boolean permanent) {}

  /**
   * Whether firewalld holds anything of the plan: one of its rules, or a rule carrying its name.
   */
  public boolean present() {
    return !extra.isEmpty() || rules.stream().anyMatch(r -> r.runtime() || r.permanent());
  }

  /** One line per difference between firewalld and the plan; empty when in sync. */
  public List<String> differences() {
    List<String> out = new ArrayList<>();
    for (Rule r : rules) {
      if (!r.runtime() && !r.permanent()) {
        out.add("direct rule " + r.text() + ": missing");
      } else if (!r.runtime()) {
        out.add("direct rule " + r.text() + ": missing from the runtime configuration");
      } else if (!r.permanent()) {
        out.add(
            "direct rule "
                + r.text()
                + ": missing from the permanent configuration (gone after a reload)");
      }
    }
    for (Rule r : extra) {
      out.add(
          "direct rule "
              + r.text()
              + ": not in the plan ("
              + (r.runtime() && r.permanent()
                  ? "runtime and permanent"
                  : r.runtime() ? "runtime" : "permanent")
              + ")");
    }
    return out;
  }

  /** Whether firewalld holds exactly the plan's rules, at runtime and permanently. */
  public boolean inSync() {
    return differences().isEmpty();
  }
}
