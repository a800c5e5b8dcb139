package dev.privport.nft;

import dev.privport.core.Command;
import dev.privport.core.ConntrackCleanup;
import dev.privport.core.Family;
import dev.privport.core.Protocol;
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
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Renders a {@link RedirectPlan} as an nft script for {@code nft -f}.
 *
 * <p>The plan owns exactly one table, {@code table inet <plan.qualifiedName()>}. The script creates
 * it empty, deletes it and defines it anew, all in the one transaction {@code nft -f} makes of a
 * file, so applying twice equals applying once and no other table is read or changed. Two base
 * chains carry the rules: {@code incoming} (nat prerouting, guarded by {@code fib daddr type local}
 * so routed traffic is never caught) and {@code local} (nat output, {@code oifname "lo"}). Chain
 * priorities are written as numbers, which every nft since 0.9 accepts in both hooks.
 *
 * <p>Redirects that share scope, interface, protocol and families form a group. A group of fewer
 * than {@link #MAP_THRESHOLD} redirects is one rule per redirect, each with its own counter and a
 * comment naming it: easiest to read and to diff, and a walk of a few rules costs a packet nothing
 * measurable. A larger group is ONE rule that looks the port up in a named map of the plan's table
 * ({@code tcp dport @incoming_tcp counter redirect to :tcp dport map @incoming_tcp}), so a packet's
 * cost does not grow with the number of redirects; {@code nft add element} can update the map at
 * run time, and its counter counts the whole group.
 *
 * <p>Output is deterministic: groups and rules follow {@link RedirectPlan#rules()}, map elements
 * are sorted by port.
 */
public final class NftRenderer implements PlanRenderer {
  /** The priority of both nat chains: the standard {@code dstnat} priority. */
  public static final int NAT_PRIORITY = -100;

  /** The chain that holds {@link Scope#INCOMING} rules. */
  public static final String INCOMING_CHAIN = "incoming";

  /** The chain that holds {@link Scope#LOCAL} rules. */
  public static final String LOCAL_CHAIN = "local";

  /** Groups of at least this many redirects become one rule with a map. */
  public static final int MAP_THRESHOLD = 8;

  @Override
  public Backend backend() {
    return Backend.NFT;
  }

  /**
   * The script as {@code nftables/Q.nft} and the unit that loads it at boot as {@code
   * systemd/Q.service}; apply loads the script where {@code privport install} puts it, remove
   * deletes the plan's table (one transaction that succeeds when it is already gone, as the unit's
   * stop).
   */
  @Override
  public Rendering rendering(RedirectPlan plan, RenderOptions options) {
    String q = plan.qualifiedName();
    String table = "inet " + tableName(plan);
    NftServiceUnit unit = NftServiceUnit.of(plan);
    return new Rendering(
        List.of(
            Step.always(
                Command.of(NftServiceUnit.NFT_BINARY, "-f", NftServiceUnit.rulesPath(plan)))),
        List.of(
            Step.always(
                Command.of(
                    NftServiceUnit.NFT_BINARY, "add table " + table + "; delete table " + table))),
        List.of(
            new RenderedFile(RULES_DIR + "/" + q + ".nft", unit.rules().content()),
            new RenderedFile(UNIT_DIR + "/" + unit.unit().fileName(), unit.unit().content())),
        List.of());
  }

  @Override
  public boolean owns(RedirectPlan plan, String path) {
    String q = plan.qualifiedName();
    return path.equals(RULES_DIR + "/" + q + ".nft")
        || path.equals(UNIT_DIR + "/" + q + ".service");
  }

  @Override
  public List<String> directories() {
    return List.of(RULES_DIR, UNIT_DIR);
  }

  private static final String RULES_DIR = "nftables";
  private static final String UNIT_DIR = "systemd";

  /** The plan's table name (its family is always {@code inet}). */
  public static String tableName(RedirectPlan plan) {
    return plan.qualifiedName();
  }

  /** The script that replaces the plan's table with the plan's rules. */
  @Override
  public String render(RedirectPlan plan) {
    String table = tableName(plan);
    List<Group> groups = groups(plan.rules());
    StringBuilder out = new StringBuilder(256 + plan.rules().size() * 96);
    out.append("# privport plan \"")
        .append(table)
        .append("\": ")
        .append(plan.redirects().size())
        .append(plan.redirects().size() == 1 ? " redirect" : " redirects")
        .append(", rendered by privport.\n")
        .append("# Apply: nft -f FILE (replaces table inet ")
        .append(table)
        .append(" in one transaction; no other table is touched).\n")
        .append("# Remove: nft delete table inet ")
        .append(table)
        .append('\n')
        .append(ConntrackCleanup.note(plan));
    replaceTable(out, table);
    out.append("table inet ").append(table).append(" {\n");
    boolean first = true;
    for (Group g : groups) {
      if (g.mapped()) {
        first = separate(out, first);
        map(out, g);
      }
    }
    for (Chain c : chains(groups)) {
      first = separate(out, first);
      chain(out, c);
    }
    return out.append("}\n").toString();
  }

  private static boolean separate(StringBuilder out, boolean first) {
    if (!first) {
      out.append('\n');
    }
    return false;
  }

  /**
   * Rules that can share one map rule: same scope, interface, protocol and families, in rendering
   * order.
   */
  record Group(List<RedirectRule> rules) {
    RedirectRule head() {
      return rules.get(0);
    }

    Scope scope() {
      return head().scope();
    }

    boolean mapped() {
      return rules.size() >= MAP_THRESHOLD;
    }

    /**
     * A readable, unique map name: {@code incoming_tcp_ipv4_via_eth0}; a wildcard {@code eth+} is
     * {@code eth/all}.
     */
    String mapName() {
      RedirectRule h = head();
      return chainName(h.scope())
          + "_"
          + h.protocol().keyword()
          + (h.singleFamily() ? "_" + h.family().keyword() : "")
          + h.inputInterface().map(i -> "_via_" + i.replace("+", "/all")).orElse("");
    }
  }

  /** The chain that holds {@code scope}'s rules. */
  static String chainName(Scope scope) {
    return scope == Scope.INCOMING ? INCOMING_CHAIN : LOCAL_CHAIN;
  }

  /** A base chain of the plan's table: its scope and the groups it holds, in rendering order. */
  record Chain(Scope scope, List<Group> groups) {
    String name() {
      return chainName(scope);
    }

    /** The nat hook the chain is attached to. */
    String hook() {
      return scope == Scope.INCOMING ? "prerouting" : "output";
    }
  }

  /**
   * The chains of a table holding {@code groups}: one per scope that has any, in {@link Scope}
   * order, each with its groups in their order. Every form of the table (the script, its JSON, its
   * layout, the fake's listing, the status's plan) is written from this one walk.
   */
  static List<Chain> chains(List<Group> groups) {
    List<Chain> chains = new ArrayList<>(2);
    for (Scope scope : Scope.values()) {
      List<Group> scoped = new ArrayList<>();
      for (Group g : groups) {
        if (g.scope() == scope) {
          scoped.add(g);
        }
      }
      if (!scoped.isEmpty()) {
        chains.add(new Chain(scope, List.copyOf(scoped)));
      }
    }
    return chains;
  }

  /** What rules must share to share one map rule. */
  private record GroupKey(
      Scope scope, Optional<String> inputInterface, Protocol protocol, Set<Family> families) {
    static GroupKey of(RedirectRule r) {
      return new GroupKey(r.scope(), r.inputInterface(), r.protocol(), r.families());
    }

    // As the record's own, written out: the generated ones are an invokedynamic bootstrap whose
    // first run is a noticeable part of a short command line run (README, Cold start).

    @Override
    public boolean equals(Object o) {
      return o instanceof GroupKey k
          && scope == k.scope
          && inputInterface.equals(k.inputInterface)
          && protocol == k.protocol
          && families.equals(k.families);
    }

    @Override
    public int hashCode() {
      int h = java.util.Objects.hashCode(scope);
      h = 31 * h + inputInterface.hashCode();
      h = 31 * h + java.util.Objects.hashCode(protocol);
      return 31 * h + families.hashCode();
    }
  }

  static List<Group> groups(List<RedirectRule> rules) {
    Map<GroupKey, List<RedirectRule>> byKey = new LinkedHashMap<>();
    for (RedirectRule r : rules) {
      byKey.computeIfAbsent(GroupKey.of(r), k -> new ArrayList<>()).add(r);
    }
    return byKey.values().stream().map(Group::new).toList();
  }

  private static void map(StringBuilder out, Group g) {
    out.append("\tmap ")
        .append(g.mapName())
        .append(" {\n")
        .append("\t\ttype inet_service : inet_service\n")
        .append("\t\telements = { ");
    List<RedirectRule> byPort =
        g.rules().stream().sorted(Comparator.comparingInt(RedirectRule::fromPort)).toList();
    for (int i = 0; i < byPort.size(); i++) {
      if (i > 0) {
        out.append(i % 8 == 0 ? ",\n\t\t\t     " : ", ");
      }
      out.append(byPort.get(i).fromPort()).append(" : ").append(byPort.get(i).toPort());
    }
    out.append(" }\n\t}\n");
  }

  /** The script that removes the plan's table, and succeeds when it is already gone. */
  public String renderRemoval(RedirectPlan plan) {
    String table = tableName(plan);
    StringBuilder out =
        new StringBuilder()
            .append("# Removes privport plan \"")
            .append(table)
            .append("\": table inet ")
            .append(table)
            .append(" and nothing else.\n");
    replaceTable(out, table);
    return out.toString();
  }

  /**
   * "Create if absent, then delete": the delete can never fail, so the transaction is idempotent.
   */
  private static void replaceTable(StringBuilder out, String table) {
    out.append("table inet ")
        .append(table)
        .append('\n')
        .append("delete table inet ")
        .append(table)
        .append('\n');
  }

  private static void chain(StringBuilder out, Chain chain) {
    out.append("\tchain ")
        .append(chain.name())
        .append(" {\n")
        .append("\t\ttype nat hook ")
        .append(chain.hook())
        .append(" priority ")
        .append(NAT_PRIORITY)
        .append("; policy accept;\n");
    for (Group g : chain.groups()) {
      if (g.mapped()) {
        out.append("\t\t");
        matches(out, g.head());
        String proto = g.head().protocol().keyword();
        out.append(proto)
            .append(" dport @")
            .append(g.mapName())
            .append(" counter redirect to :")
            .append(proto)
            .append(" dport map @")
            .append(g.mapName())
            .append(" comment \"")
            .append(g.rules().size())
            .append(" redirects\"\n");
      } else {
        for (RedirectRule rule : g.rules()) {
          out.append("\t\t");
          rule(out, rule);
          out.append('\n');
        }
      }
    }
    out.append("\t}\n");
  }

  /** What every rule of a scope matches before the port: interface, family, local destination. */
  private static void matches(StringBuilder out, RedirectRule rule) {
    if (rule.scope() == Scope.INCOMING) {
      rule.inputInterface()
          .ifPresent(i -> out.append("iifname \"").append(nftInterface(i)).append("\" "));
    } else {
      out.append("oifname \"lo\" ");
    }
    if (rule.singleFamily()) {
      out.append("meta nfproto ").append(rule.family().keyword()).append(' ');
    }
    if (rule.scope() == Scope.INCOMING) {
      // Only packets addressed to this host: never hijack traffic routed to containers or VMs.
      out.append("fib daddr type local ");
    }
  }

  /** One rule for one redirect. */
  static void rule(StringBuilder out, RedirectRule rule) {
    matches(out, rule);
    out.append(rule.protocol().keyword())
        .append(" dport ")
        .append(rule.fromPort())
        .append(" counter redirect to :")
        .append(rule.toPort())
        .append(" comment \"")
        .append(rule.describe())
        .append('"');
  }

  /** iptables' wildcard suffix {@code +} is {@code *} in nft. */
  static String nftInterface(String ifname) {
    return ifname.endsWith("+") ? ifname.substring(0, ifname.length() - 1) + "*" : ifname;
  }
}
