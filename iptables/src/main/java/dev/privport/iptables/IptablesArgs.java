package dev.privport.iptables;

import dev.privport.core.Family;
import dev.privport.core.RedirectPlan;
import dev.privport.core.RedirectRule;
import dev.privport.core.Scope;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * iptables names and argument building, shared by the iptables backend ({@link IptablesRenderer})
 * and firewalld's direct rules, which carry iptables arguments: the built-in chain a scope's
 * traffic passes, the match that keeps a scope to its traffic, and one rule's match and target.
 */
public final class IptablesArgs {
  /** The table every rule lives in. */
  public static final String TABLE = "nat";

  private IptablesArgs() {}

  /** The plan's chain for {@code scope}: {@code PRIVPORT[-NAME]-IN} or {@code ...-LOCAL}. */
  public static String chain(RedirectPlan plan, Scope scope) {
    return plan.qualifiedName().toUpperCase(Locale.ROOT)
        + (scope == Scope.INCOMING ? "-IN" : "-LOCAL");
  }

  /** The built-in nat chain that {@code scope}'s traffic passes. */
  public static String builtinChain(Scope scope) {
    return scope == Scope.INCOMING ? "PREROUTING" : "OUTPUT";
  }

  /**
   * The match that keeps a scope to its traffic: {@code -m addrtype --dst-type LOCAL} (addressed to
   * this host, never routed traffic) or {@code -o lo} (this host talking to itself).
   */
  public static List<String> scopeGuard(Scope scope) {
    return scope == Scope.INCOMING
        ? List.of("-m", "addrtype", "--dst-type", "LOCAL")
        : List.of("-o", "lo");
  }

  /**
   * One rule's match and target, without chain or scope guard: {@code [-i IF] -p tcp -m tcp --dport
   * 80 -m comment --comment "tcp 80 -> 8080" -j REDIRECT --to-ports 8080}.
   */
  public static List<String> ruleArgs(RedirectRule rule) {
    return ruleArgs(rule, rule.describe());
  }

  /**
   * {@link #ruleArgs(RedirectRule)} with another comment: firewalld's direct rules name their plan
   * there, because they share firewalld's chains and a rule is identified by its arguments.
   */
  public static List<String> ruleArgs(RedirectRule rule, String comment) {
    List<String> args = new ArrayList<>();
    rule.inputInterface().ifPresent(i -> args.addAll(List.of("-i", i)));
    String proto = rule.protocol().keyword();
    args.addAll(
        List.of(
            "-p",
            proto,
            "-m",
            proto,
            "--dport",
            Integer.toString(rule.fromPort()),
            "-m",
            "comment",
            "--comment",
            comment,
            "-j",
            "REDIRECT",
            "--to-ports",
            Integer.toString(rule.toPort())));
    return args;
  }

  /** {@code iptables} or {@code ip6tables}. */
  public static String program(Family family) {
    return family == Family.IPV4 ? "iptables" : "ip6tables";
  }

  /**
   * Words as {@code iptables-save} prints them and {@code iptables-restore} reads them: a word with
   * a space (a rule's comment) in double quotes.
   */
  public static String restoreWords(List<String> words) {
    StringBuilder out = new StringBuilder();
    for (String w : words) {
      if (out.length() > 0) {
        out.append(' ');
      }
      out.append(w.contains(" ") ? '"' + w + '"' : w);
    }
    return out.toString();
  }
}
