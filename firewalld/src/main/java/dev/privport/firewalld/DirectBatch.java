package dev.privport.firewalld;

import static dev.privport.core.Checks.check;

import dev.privport.core.Command;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What a {@link FirewalldDirectRules} adds, read from its {@code runtimeAdd} calls: the chains, and
 * rules that {@link Firewalld} puts into (and takes out of) firewalld's direct configuration in one
 * batch. Reading the rendered calls, rather than the renderer's internals, keeps one source for
 * what a plan means.
 *
 * @param chains chains the plan declares ({@code --add-chain}); every rule in them belongs to it
 * @param rules the plan's rules, in order, without repeats
 */
record DirectBatch(Set<DirectBatch.Chain> chains, Set<DirectBatch.Rule> rules) {

  /** A direct chain: {@code ipv table chain}. */
  record Chain(String ipv, String table, String chain) {}

  /** A direct rule: {@code ipv table chain priority args...}. */
  record Rule(String ipv, String table, String chain, int priority, List<String> args) {
    Rule {
      args = List.copyOf(args);
    }

    Chain chainId() {
      return new Chain(ipv, table, chain);
    }

    @Override
    public String toString() {
      return ipv + " " + table + " " + chain + " " + priority + " " + new Command(args).toShell();
    }
  }

  DirectBatch {
    chains = Collections.unmodifiableSet(new LinkedHashSet<>(chains));
    rules = Collections.unmodifiableSet(new LinkedHashSet<>(rules));
  }

  /**
   * Reads the {@code firewall-cmd --direct --add-chain|--add-rule} calls of {@code
   * direct.runtimeAdd()}.
   *
   * @throws IllegalArgumentException naming the first call that is none of those
   */
  static DirectBatch of(FirewalldDirectRules direct) {
    Set<Chain> chains = new LinkedHashSet<>();
    Set<Rule> rules = new LinkedHashSet<>();
    for (Command c : direct.runtimeAdd()) {
      List<String> a = c.argv();
      boolean isDirect =
          a.size() >= 3
              && (a.get(0).equals("firewall-cmd") || a.get(0).endsWith("/firewall-cmd"))
              && a.get(1).equals("--direct");
      check(
          isDirect,
          "runtimeAdd",
          c.toShell(),
          "must be firewall-cmd --direct calls for the firewalld executor");
      List<String> rest = a.subList(3, a.size());
      switch (a.get(2)) {
        case "--add-chain" -> {
          check(rest.size() == 3, "runtimeAdd", c.toShell(), "must name ipv, table and chain");
          chains.add(new Chain(rest.get(0), rest.get(1), rest.get(2)));
        }
        case "--add-rule" -> {
          check(
              rest.size() >= 5 && rest.get(3).matches("-?[0-9]{1,9}"),
              "runtimeAdd",
              c.toShell(),
              "must name ipv, table, chain, priority and arguments");
          rules.add(
              new Rule(
                  rest.get(0),
                  rest.get(1),
                  rest.get(2),
                  Integer.parseInt(rest.get(3)),
                  rest.subList(4, rest.size())));
        }
        default ->
            check(false, "runtimeAdd", c.toShell(), "must be --add-chain or --add-rule calls");
      }
    }
    return new DirectBatch(chains, rules);
  }

  /** Whether {@code rule} belongs to this plan: one of its rules, or any rule in its chains. */
  boolean owns(Rule rule) {
    return rules.contains(rule) || chains.contains(rule.chainId());
  }

  /** The rules of {@code all} that this plan owns. */
  List<Rule> ownedIn(List<Rule> all) {
    List<Rule> out = new ArrayList<>();
    for (Rule r : all) {
      if (owns(r)) out.add(r);
    }
    return out;
  }
}
