package dev.privport.nft;

import dev.privport.core.Family;
import dev.privport.core.Protocol;
import dev.privport.core.RedirectPlan;
import dev.privport.core.RedirectRule;
import dev.privport.core.Scope;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Turns libnftables' JSON listing of a plan's table into a {@link PlanStatus}: each rule is read
 * back into the {@link RedirectRule} it implements, so drift is found by comparing values, never
 * by comparing text.
 */
final class NftInspector {
  private NftInspector() {}

  static PlanStatus absent(RedirectPlan plan) {
    return new PlanStatus(plan, false, List.of(), plan.rules(), List.of());
  }

  static PlanStatus inspect(RedirectPlan plan, String json) {
    List<LiveRule> live = new ArrayList<>();
    for (Object item : list(map(Json.parse(json)).get("nftables"))) {
      Object rule = map(item).get("rule");
      if (rule != null) {
        live.add(liveRule(map(rule)));
      }
    }
    List<RedirectRule> missing = new ArrayList<>(plan.rules());
    List<LiveRule> unexpected = new ArrayList<>();
    for (LiveRule l : live) {
      if (l.rule().isEmpty() || !missing.remove(l.rule().get())) {
        unexpected.add(l);
      }
    }
    return new PlanStatus(plan, true, live, missing, unexpected);
  }

  private static LiveRule liveRule(Map<String, Object> rule) {
    String chain = String.valueOf(rule.get("chain"));
    long handle = number(rule.get("handle"));
    long packets = 0;
    long bytes = 0;
    Optional<Scope> scope = switch (chain) {
      case NftRenderer.INCOMING_CHAIN -> Optional.of(Scope.INCOMING);
      case NftRenderer.LOCAL_CHAIN -> Optional.of(Scope.LOCAL);
      default -> Optional.empty();
    };
    Optional<String> iface = Optional.empty();
    Set<Family> families = EnumSet.allOf(Family.class);
    Protocol protocol = null;
    int from = 0;
    int to = 0;
    boolean fibLocal = false;
    boolean oifLo = false;
    boolean understood = scope.isPresent();
    for (Object e : list(rule.get("expr"))) {
      Map<String, Object> expr = map(e);
      if (expr.containsKey("counter")) {
        packets = number(map(expr.get("counter")).get("packets"));
        bytes = number(map(expr.get("counter")).get("bytes"));
      } else if (expr.containsKey("redirect")) {
        to = (int) number(map(expr.get("redirect")).get("port"));
      } else if (expr.containsKey("match")) {
        Map<String, Object> match = map(expr.get("match"));
        Map<String, Object> left = map(match.get("left"));
        Object right = match.get("right");
        if (!"==".equals(match.get("op"))) {
          understood = false;
        } else if (left.containsKey("meta")) {
          String key = String.valueOf(map(left.get("meta")).get("key"));
          switch (key) {
            case "iifname" -> iface = Optional.of(fromNftInterface(String.valueOf(right)));
            case "oifname" -> oifLo = "lo".equals(right);
            case "nfproto" -> families = EnumSet.of("ipv6".equals(right) ? Family.IPV6 : Family.IPV4);
            default -> understood = false;
          }
        } else if (left.containsKey("fib")) {
          fibLocal = "local".equals(right);
        } else if (left.containsKey("payload") && "dport".equals(map(left.get("payload")).get("field"))
            && right instanceof Long port) {
          String proto = String.valueOf(map(left.get("payload")).get("protocol"));
          protocol = "udp".equals(proto) ? Protocol.UDP : "tcp".equals(proto) ? Protocol.TCP : null;
          from = port.intValue();
        } else {
          understood = false;
        }
      } else {
        understood = false;
      }
    }
    understood &= protocol != null && from > 0 && to > 0
        && (scope.orElse(null) == Scope.INCOMING ? fibLocal : oifLo && iface.isEmpty());
    Optional<RedirectRule> parsed = Optional.empty();
    if (understood) {
      try {
        parsed = Optional.of(new RedirectRule(scope.get(), iface, protocol, families, from, to));
      } catch (IllegalArgumentException e) {
        parsed = Optional.empty();
      }
    }
    return new LiveRule(chain, handle, parsed, packets, bytes);
  }

  private static String fromNftInterface(String ifname) {
    return ifname.endsWith("*") ? ifname.substring(0, ifname.length() - 1) + "+" : ifname;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object o) {
    return o instanceof List<?> l ? (List<Object>) l : List.of();
  }

  private static long number(Object o) {
    return o instanceof Long l ? l : 0;
  }
}
