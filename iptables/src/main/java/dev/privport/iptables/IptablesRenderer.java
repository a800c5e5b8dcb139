package dev.privport.iptables;

import dev.privport.core.Command;
import dev.privport.core.ConntrackCleanup;
import dev.privport.core.Family;
import dev.privport.core.RedirectPlan;
import dev.privport.core.RedirectRule;
import dev.privport.core.Scope;
import dev.privport.core.Step;
import dev.privport.core.spi.BackendKind;
import dev.privport.core.spi.PlanRenderer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Renders a {@link RedirectPlan} for iptables ({@code iptables-nft}, the default on current
 * distributions; the same text works with {@code iptables-legacy}).
 *
 * <p>The plan owns two chains in the nat table, {@code PRIVPORT[-NAME]-IN} and {@code
 * PRIVPORT[-NAME]-LOCAL}, each reached by one jump: {@code PREROUTING -m addrtype --dst-type LOCAL}
 * (only traffic addressed to this host, never routed traffic) and {@code OUTPUT -o lo}. IPv4 rules
 * go to iptables, IPv6 rules to ip6tables. Rules use {@code -j REDIRECT --to-ports}.
 *
 * <p>{@link #render} gives the apply commands as shell text; {@link #renderAll} gives argv steps
 * for apply and undo and {@code iptables-restore} files.
 */
public final class IptablesRenderer implements PlanRenderer {
  /** The table every rule lives in. */
  public static final String TABLE = "nat";

  @Override
  public BackendKind kind() {
    return BackendKind.IPTABLES;
  }

  /** The apply commands, one guarded command a line, for {@code sh -e}. */
  @Override
  public String render(RedirectPlan plan) {
    StringBuilder out =
        new StringBuilder()
            .append("# privport plan \"")
            .append(plan.qualifiedName())
            .append("\": iptables/ip6tables commands, rendered by privport.\n")
            .append("# Idempotent: run with sh -e as often as needed. Owns the nat chains ")
            .append(chain(plan, Scope.INCOMING))
            .append(" and ")
            .append(chain(plan, Scope.LOCAL))
            .append(".\n")
            .append(ConntrackCleanup.note(plan));
    for (Step step : renderAll(plan).apply()) {
      out.append(step.toShell()).append('\n');
    }
    return out.toString();
  }

  /** Everything this backend renders for {@code plan}. */
  public IptablesRendering renderAll(RedirectPlan plan) {
    List<Step> apply = new ArrayList<>();
    List<Step> undo = new ArrayList<>();
    List<Step> unhook = new ArrayList<>();
    for (Family family : Family.values()) {
      for (Scope scope : Scope.values()) {
        List<RedirectRule> rules = rules(plan, family, scope);
        Hook hook = new Hook(family, scope, chain(plan, scope));
        List<Step> removal = hook.removal();
        undo.addAll(removal);
        unhook.add(removal.get(0));
        if (rules.isEmpty()) {
          apply.addAll(removal); // converge: a chain this plan no longer needs goes away
        } else {
          apply.addAll(hook.fill(rules));
        }
      }
    }
    return new IptablesRendering(
        plan, apply, undo, unhook, restoreFile(plan, Family.IPV4), restoreFile(plan, Family.IPV6));
  }

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
   * 80 -m comment --comment "tcp 80 -> 8080" -j REDIRECT --to-ports 8080}. Shared with firewalld's
   * direct rules, which carry iptables arguments.
   */
  public static List<String> ruleArgs(RedirectRule rule) {
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
            rule.describe(),
            "-j",
            "REDIRECT",
            "--to-ports",
            Integer.toString(rule.toPort())));
    return args;
  }

  /** The plan's rules for one family and scope, in rendering order. */
  static List<RedirectRule> rules(RedirectPlan plan, Family family, Scope scope) {
    return plan.rules().stream()
        .filter(r -> r.scope() == scope && r.families().contains(family))
        .toList();
  }

  /** {@code iptables} or {@code ip6tables}. */
  public static String program(Family family) {
    return family == Family.IPV4 ? "iptables" : "ip6tables";
  }

  private static Optional<String> restoreFile(RedirectPlan plan, Family family) {
    StringBuilder chains = new StringBuilder();
    StringBuilder body = new StringBuilder();
    StringBuilder jumps = new StringBuilder();
    for (Scope scope : Scope.values()) {
      List<RedirectRule> rules = rules(plan, family, scope);
      if (rules.isEmpty()) {
        continue;
      }
      String chain = chain(plan, scope);
      chains.append(':').append(chain).append(" - [0:0]\n");
      for (RedirectRule rule : rules) {
        body.append("-A ")
            .append(chain)
            .append(' ')
            .append(restoreWords(ruleArgs(rule)))
            .append('\n');
      }
      jumps
          .append("-A ")
          .append(builtinChain(scope))
          .append(' ')
          .append(restoreWords(scopeGuard(scope)))
          .append(" -j ")
          .append(chain)
          .append('\n');
    }
    if (chains.length() == 0) {
      return Optional.empty();
    }
    return Optional.of(
        "# privport plan \""
            + plan.qualifiedName()
            + "\": "
            + (family == Family.IPV4 ? "IPv4" : "IPv6")
            + " nat rules for "
            + program(family)
            + "-restore --noflush, rendered by privport.\n"
            + "# Declaring the plan's chains empties them, so rules are never doubled. At runtime, run the\n"
            + "# plan's unhook steps first so loading again adds no second jump.\n"
            + "*nat\n"
            + chains
            + body
            + jumps
            + "COMMIT\n");
  }

  /** Words for a restore file: the comment's spaces need double quotes there. */
  private static String restoreWords(List<String> words) {
    StringBuilder out = new StringBuilder();
    for (String w : words) {
      if (out.length() > 0) {
        out.append(' ');
      }
      out.append(w.contains(" ") ? '"' + w + '"' : w);
    }
    return out.toString();
  }

  /** One family's chain for one scope and its jump from the built-in chain. */
  private record Hook(Family family, Scope scope, String chain) {
    Command cmd(String... args) {
      List<String> argv = new ArrayList<>(List.of(program(family), "-w", "-t", TABLE));
      argv.addAll(List.of(args));
      return new Command(argv);
    }

    Command jump(String op) {
      List<String> args = new ArrayList<>(List.of(op, builtinChain(scope)));
      args.addAll(scopeGuard(scope));
      args.addAll(List.of("-j", chain));
      return cmd(args.toArray(String[]::new));
    }

    Command exists() {
      return cmd("-L", chain, "-n");
    }

    /** Create the chain unless present, flush it, refill it, then add the jump unless present. */
    List<Step> fill(List<RedirectRule> rules) {
      List<Step> steps = new ArrayList<>();
      steps.add(Step.unless(exists(), cmd("-N", chain)));
      steps.add(Step.always(cmd("-F", chain)));
      for (RedirectRule rule : rules) {
        List<String> args = new ArrayList<>(List.of("-A", chain));
        args.addAll(ruleArgs(rule));
        steps.add(Step.always(cmd(args.toArray(String[]::new))));
      }
      steps.add(Step.unless(jump("-C"), jump("-A")));
      return steps;
    }

    /** Remove every copy of the jump, then flush and delete the chain if present. */
    List<Step> removal() {
      return List.of(
          Step.whilst(jump("-C"), jump("-D")),
          Step.onlyIf(exists(), cmd("-F", chain)),
          Step.onlyIf(exists(), cmd("-X", chain)));
    }
  }
}
