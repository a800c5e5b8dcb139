package dev.privport.iptables;

import dev.privport.core.Command;
import dev.privport.core.CommandRunner;
import dev.privport.core.ConntrackCleanup;
import dev.privport.core.Family;
import dev.privport.core.RedirectPlan;
import dev.privport.core.RedirectRule;
import dev.privport.core.Scope;
import dev.privport.core.Step;
import dev.privport.core.spi.Backend;
import dev.privport.core.spi.PlanRenderer;
import dev.privport.core.spi.RenderOptions;
import dev.privport.core.spi.RenderedFile;
import dev.privport.core.spi.Rendering;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

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
 * for apply and remove and {@code iptables-restore} files.
 */
public final class IptablesRenderer implements PlanRenderer {
  @Override
  public Backend backend() {
    return Backend.IPTABLES;
  }

  /** The apply commands, one guarded command a line, for {@code sh -e}. */
  @Override
  public String render(RedirectPlan plan) {
    return script(plan, renderAll(plan).apply());
  }

  /** {@link #render}'s text around {@code apply}, the plan's apply steps already rendered. */
  private static String script(RedirectPlan plan, List<Step> apply) {
    StringBuilder out =
        new StringBuilder()
            .append("# privport plan \"")
            .append(plan.qualifiedName())
            .append("\": iptables/ip6tables commands, rendered by privport.\n")
            .append("# Idempotent: run with sh -e as often as needed. Owns the nat chains ")
            .append(IptablesArgs.chain(plan, Scope.INCOMING))
            .append(" and ")
            .append(IptablesArgs.chain(plan, Scope.LOCAL))
            .append(".\n")
            .append(ConntrackCleanup.note(plan))
            // firewalld's plain --reload deletes chains added behind its back (measured with
            // firewalld 1.3.3): say so where it matters, when the script runs.
            .append(
                "if firewall-cmd --state >/dev/null 2>&1; then echo 'privport: warning: firewalld"
                    + " runs here and its next firewall-cmd --reload deletes these chains; use the"
                    + " firewalld backend' >&2; fi\n");
    for (Step step : apply) {
      out.append(step.toShell()).append('\n');
    }
    return out.toString();
  }

  /**
   * The shell text as {@code iptables/Q.sh} and the restore files as {@code iptables/Q.rules.v4}
   * and {@code Q.rules.v6} (each when the plan has rules of that family); the apply and remove
   * steps of {@link #renderAll(RedirectPlan)} for the host's default iptables.
   */
  @Override
  public Rendering rendering(RedirectPlan plan, RenderOptions options) {
    IptablesRendering r = renderAll(plan);
    String q = plan.qualifiedName();
    List<RenderedFile> files = new ArrayList<>();
    files.add(new RenderedFile(DIR + "/" + q + ".sh", script(plan, r.apply())));
    r.restoreIpv4().ifPresent(f -> files.add(new RenderedFile(DIR + "/" + q + ".rules.v4", f)));
    r.restoreIpv6().ifPresent(f -> files.add(new RenderedFile(DIR + "/" + q + ".rules.v6", f)));
    return new Rendering(
        r.apply(),
        r.remove(),
        files,
        List.of(
            "To load the restore files into a running host, remove the plan's jumps first"
                + " (IptablesRendering.unhook()), or the jumps double.",
            "firewalld's plain --reload deletes these chains: where firewalld runs, use the"
                + " firewalld backend."));
  }

  @Override
  public boolean owns(RedirectPlan plan, String path) {
    return Pattern.matches(
        DIR + "/" + Pattern.quote(plan.qualifiedName()) + "\\.(sh|rules\\.v4|rules\\.v6)", path);
  }

  @Override
  public List<String> directories() {
    return List.of(DIR);
  }

  private static final String DIR = "iptables";

  /**
   * Which iptables commands the steps run. A host can hold rules in both the legacy (x_tables) and
   * the nf_tables flavour, and each flavour sees only its own: removing with one leaves the other's
   * redirect live.
   */
  public enum Flavour {
    /** {@code iptables}/{@code ip6tables}: whichever the host's alternatives point to. */
    DEFAULT("iptables", "ip6tables"),
    /** {@code iptables-legacy}/{@code ip6tables-legacy}. */
    LEGACY("iptables-legacy", "ip6tables-legacy"),
    /** {@code iptables-nft}/{@code ip6tables-nft}. */
    NFT("iptables-nft", "ip6tables-nft");

    private final String ipv4;
    private final String ipv6;

    Flavour(String ipv4, String ipv6) {
      this.ipv4 = ipv4;
      this.ipv6 = ipv6;
    }

    /** The command for {@code family}. */
    public String program(Family family) {
      return family == Family.IPV4 ? ipv4 : ipv6;
    }
  }

  /** Everything this backend renders for {@code plan}, for the host's default iptables. */
  public IptablesRendering renderAll(RedirectPlan plan) {
    return renderAll(plan, Flavour.DEFAULT);
  }

  /**
   * The flavours, legacy and nf_tables, whose nat table holds any of the plan's chains, asked
   * through {@code runner} ({@code -L CHAIN}); a flavour whose command is missing holds nothing.
   */
  public static Set<Flavour> holding(RedirectPlan plan, CommandRunner runner) {
    Set<Flavour> out = EnumSet.noneOf(Flavour.class);
    for (Flavour flavour : List.of(Flavour.LEGACY, Flavour.NFT)) {
      for (Family family : Family.values()) {
        for (Scope scope : Scope.values()) {
          Hook hook = new Hook(flavour, family, scope, IptablesArgs.chain(plan, scope));
          int status;
          try {
            status = runner.run(hook.exists()).exitStatus();
          } catch (RuntimeException e) {
            status = 127; // the command is not installed
          }
          if (status == 0) {
            out.add(flavour);
          }
        }
      }
    }
    return out;
  }

  /**
   * Removes the plan from every flavour that holds its chains ({@link #holding}), so a plan applied
   * with iptables-legacy is removed even where {@code iptables} is iptables-nft, and the reverse.
   *
   * @return the flavours it was removed from
   */
  public Set<Flavour> removeEverywhere(RedirectPlan plan, CommandRunner runner) {
    Set<Flavour> found = holding(plan, runner);
    for (Flavour flavour : found) {
      renderAll(plan, flavour).executeRemove(runner);
    }
    return found;
  }

  /** Everything this backend renders for {@code plan}, with {@code flavour}'s commands. */
  public IptablesRendering renderAll(RedirectPlan plan, Flavour flavour) {
    List<Step> apply = new ArrayList<>();
    List<Step> remove = new ArrayList<>();
    List<Step> unhook = new ArrayList<>();
    for (Family family : Family.values()) {
      for (Scope scope : Scope.values()) {
        List<RedirectRule> rules = rules(plan, family, scope);
        Hook hook = new Hook(flavour, family, scope, IptablesArgs.chain(plan, scope));
        List<Step> removal = hook.removal();
        remove.addAll(removal);
        unhook.add(removal.get(0));
        if (rules.isEmpty()) {
          apply.addAll(removal); // converge: a chain this plan no longer needs goes away
        } else {
          apply.addAll(hook.fill(rules));
        }
      }
    }
    return new IptablesRendering(
        plan,
        apply,
        remove,
        unhook,
        restoreFile(plan, Family.IPV4),
        restoreFile(plan, Family.IPV6));
  }

  /** The plan's rules for one family and scope, in rendering order. */
  static List<RedirectRule> rules(RedirectPlan plan, Family family, Scope scope) {
    return plan.rules().stream()
        .filter(r -> r.scope() == scope && r.families().contains(family))
        .toList();
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
      String chain = IptablesArgs.chain(plan, scope);
      chains.append(':').append(chain).append(" - [0:0]\n");
      for (RedirectRule rule : rules) {
        body.append("-A ")
            .append(chain)
            .append(' ')
            .append(IptablesArgs.restoreWords(IptablesArgs.ruleArgs(rule)))
            .append('\n');
      }
      jumps
          .append("-A ")
          .append(IptablesArgs.builtinChain(scope))
          .append(' ')
          .append(IptablesArgs.restoreWords(IptablesArgs.scopeGuard(scope)))
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
            + IptablesArgs.program(family)
            + "-restore --noflush, rendered by privport.\n"
            + "# Declaring the plan's chains empties them, so rules are never doubled. At runtime, run the\n"
            + "# plan's unhook steps first so loading again adds no second jump.\n"
            + "*nat\n"
            + chains
            + body
            + jumps
            + "COMMIT\n");
  }

  /** One family's chain for one scope and its jump from the built-in chain. */
  private record Hook(Flavour flavour, Family family, Scope scope, String chain) {
    Command cmd(String... args) {
      List<String> argv =
          new ArrayList<>(List.of(flavour.program(family), "-w", "-t", IptablesArgs.TABLE));
      argv.addAll(List.of(args));
      return new Command(argv);
    }

    Command jump(String op) {
      List<String> args = new ArrayList<>(List.of(op, IptablesArgs.builtinChain(scope)));
      args.addAll(IptablesArgs.scopeGuard(scope));
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
        args.addAll(IptablesArgs.ruleArgs(rule));
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
