package dev.privport.nft;

import dev.privport.core.RedirectPlan;
import dev.privport.core.RedirectRule;
import dev.privport.core.Scope;
import dev.privport.core.spi.BackendKind;
import dev.privport.core.spi.PlanRenderer;
import java.util.List;

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
 * <p>Output is deterministic: rules follow {@link RedirectPlan#rules()}, every rule has a counter
 * and a comment naming its redirect.
 */
public final class NftRenderer implements PlanRenderer {
  /** The priority of both nat chains: the standard {@code dstnat} priority. */
  public static final int NAT_PRIORITY = -100;
  /** The chain that holds {@link Scope#INCOMING} rules. */
  public static final String INCOMING_CHAIN = "incoming";
  /** The chain that holds {@link Scope#LOCAL} rules. */
  public static final String LOCAL_CHAIN = "local";

  @Override
  public BackendKind kind() {
    return BackendKind.NFT;
  }

  /** The plan's table name (its family is always {@code inet}). */
  public static String tableName(RedirectPlan plan) {
    return plan.qualifiedName();
  }

  /** The script that replaces the plan's table with the plan's rules. */
  @Override
  public String render(RedirectPlan plan) {
    String table = tableName(plan);
    List<RedirectRule> rules = plan.rules();
    StringBuilder out = new StringBuilder(256 + rules.size() * 96);
    out.append("# privport plan \"").append(table).append("\": ")
        .append(plan.redirects().size()).append(plan.redirects().size() == 1 ? " redirect" : " redirects")
        .append(", rendered by privport.\n")
        .append("# Apply: nft -f FILE (replaces table inet ").append(table)
        .append(" in one transaction; no other table is touched).\n")
        .append("# Remove: nft delete table inet ").append(table).append('\n');
    replaceTable(out, table);
    out.append("table inet ").append(table).append(" {\n");
    boolean first = true;
    for (Scope scope : Scope.values()) {
      List<RedirectRule> scoped = rules.stream().filter(r -> r.scope() == scope).toList();
      if (scoped.isEmpty()) {
        continue;
      }
      if (!first) {
        out.append('\n');
      }
      first = false;
      chain(out, scope, scoped);
    }
    return out.append("}\n").toString();
  }

  /** The script that removes the plan's table, and succeeds when it is already gone. */
  public String renderRemoval(RedirectPlan plan) {
    String table = tableName(plan);
    StringBuilder out = new StringBuilder()
        .append("# Removes privport plan \"").append(table).append("\": table inet ").append(table)
        .append(" and nothing else.\n");
    replaceTable(out, table);
    return out.toString();
  }

  /** "Create if absent, then delete": the delete can never fail, so the transaction is idempotent. */
  private static void replaceTable(StringBuilder out, String table) {
    out.append("table inet ").append(table).append('\n')
        .append("delete table inet ").append(table).append('\n');
  }

  private static void chain(StringBuilder out, Scope scope, List<RedirectRule> rules) {
    boolean incoming = scope == Scope.INCOMING;
    out.append("\tchain ").append(incoming ? INCOMING_CHAIN : LOCAL_CHAIN).append(" {\n")
        .append("\t\ttype nat hook ").append(incoming ? "prerouting" : "output")
        .append(" priority ").append(NAT_PRIORITY).append("; policy accept;\n");
    for (RedirectRule rule : rules) {
      out.append("\t\t");
      rule(out, rule);
      out.append('\n');
    }
    out.append("\t}\n");
  }

  /** One rule; also used by callers that need a single rule's text (inspection, tests). */
  static void rule(StringBuilder out, RedirectRule rule) {
    if (rule.scope() == Scope.INCOMING) {
      rule.inputInterface().ifPresent(i -> out.append("iifname \"").append(nftInterface(i)).append("\" "));
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
    out.append(rule.protocol().keyword()).append(" dport ").append(rule.fromPort())
        .append(" counter redirect to :").append(rule.toPort())
        .append(" comment \"").append(rule.describe()).append('"');
  }

  /** iptables' wildcard suffix {@code +} is {@code *} in nft. */
  static String nftInterface(String ifname) {
    return ifname.endsWith("+") ? ifname.substring(0, ifname.length() - 1) + "*" : ifname;
  }
}
