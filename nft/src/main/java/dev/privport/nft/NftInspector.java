package dev.privport.nft;

import dev.privport.core.Family;
import dev.privport.core.Protocol;
import dev.privport.core.RedirectPlan;
import dev.privport.core.RedirectRule;
import dev.privport.core.Scope;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Turns libnftables' JSON listing of a plan's table into a {@link PlanStatus}: each rule is read
 * back into the {@link RedirectRule} it implements, so drift is found by comparing values, never by
 * comparing text.
 */
final class NftInspector {
  private NftInspector() {}

  static PlanStatus absent(RedirectPlan plan) {
    return new PlanStatus(plan, false, List.of(), plan.rules(), List.of(), List.of());
  }

  static PlanStatus inspect(RedirectPlan plan, String json) {
    List<Object> items = list(map(Json.parse(json)).get("nftables"));
    Map<String, List<int[]>> maps = new HashMap<>();
    for (Object item : items) {
      Map<String, Object> m = map(map(item).get("map"));
      if (!m.isEmpty()) {
        List<int[]> elements = new ArrayList<>();
        for (Object e : list(m.get("elem"))) {
          List<Object> pair = list(e);
          if (pair.size() == 2) {
            elements.add(new int[] {(int) number(pair.get(0)), (int) number(pair.get(1))});
          }
        }
        maps.put(String.valueOf(m.get("name")), elements);
      }
    }
    List<LiveRule> live = new ArrayList<>();
    for (Object item : items) {
      Object rule = map(item).get("rule");
      if (rule != null) {
        live.add(liveRule(map(rule), maps));
      }
    }
    // Multiset difference: the plan's rules against every redirect the live rules implement.
    Set<RedirectRule> expected = new HashSet<>(plan.rules());
    Set<RedirectRule> seen = new HashSet<>();
    List<RedirectRule> extra = new ArrayList<>();
    List<LiveRule> unrecognised = new ArrayList<>();
    for (LiveRule l : live) {
      if (!l.recognised()) {
        unrecognised.add(l);
      }
      for (RedirectRule r : l.redirects()) {
        if (!expected.contains(r) || !seen.add(r)) {
          extra.add(r);
        }
      }
    }
    List<RedirectRule> missing = plan.rules().stream().filter(r -> !seen.contains(r)).toList();
    return new PlanStatus(plan, true, live, missing, extra, unrecognised);
  }

  private static LiveRule liveRule(Map<String, Object> rule, Map<String, List<int[]>> maps) {
    String chain = String.valueOf(rule.get("chain"));
    long handle = number(rule.get("handle"));
    long packets = 0;
    long bytes = 0;
    Optional<Scope> scope =
        switch (chain) {
          case NftRenderer.INCOMING_CHAIN -> Optional.of(Scope.INCOMING);
          case NftRenderer.LOCAL_CHAIN -> Optional.of(Scope.LOCAL);
          default -> Optional.empty();
        };
    Optional<String> iface = Optional.empty();
    Set<Family> families = EnumSet.allOf(Family.class);
    Protocol protocol = null;
    int from = 0;
    int to = 0;
    String matchMap = null;
    String redirectMap = null;
    boolean fibLocal = false;
    boolean oifLo = false;
    boolean understood = scope.isPresent();
    for (Object e : list(rule.get("expr"))) {
      Map<String, Object> expr = map(e);
      if (expr.containsKey("counter")) {
        packets = number(map(expr.get("counter")).get("packets"));
        bytes = number(map(expr.get("counter")).get("bytes"));
      } else if (expr.containsKey("redirect")) {
        Object port = map(expr.get("redirect")).get("port");
        if (port instanceof Long p) {
          to = p.intValue();
        } else {
          Object data = map(map(port).get("map")).get("data");
          redirectMap = data instanceof String d && d.startsWith("@") ? d.substring(1) : null;
        }
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
            case "nfproto" ->
                families = EnumSet.of("ipv6".equals(right) ? Family.IPV6 : Family.IPV4);
            default -> understood = false;
          }
        } else if (left.containsKey("fib")) {
          fibLocal = "local".equals(right);
        } else if (left.containsKey("payload")
            && "dport".equals(map(left.get("payload")).get("field"))) {
          String proto = String.valueOf(map(left.get("payload")).get("protocol"));
          protocol = "udp".equals(proto) ? Protocol.UDP : "tcp".equals(proto) ? Protocol.TCP : null;
          if (right instanceof Long port) {
            from = port.intValue();
          } else if (right instanceof String ref && ref.startsWith("@")) {
            matchMap = ref.substring(1);
          } else {
            understood = false;
          }
        } else {
          understood = false;
        }
      } else {
        understood = false;
      }
    }
    boolean mapped = matchMap != null && matchMap.equals(redirectMap) && maps.containsKey(matchMap);
    understood &=
        protocol != null
            && (mapped || (from > 0 && to > 0))
            && (scope.orElse(null) == Scope.INCOMING ? fibLocal : oifLo && iface.isEmpty());
    List<RedirectRule> redirects = new ArrayList<>();
    if (understood) {
      try {
        if (mapped) {
          for (int[] e : maps.get(matchMap)) {
            redirects.add(new RedirectRule(scope.get(), iface, protocol, families, e[0], e[1]));
          }
        } else {
          redirects.add(new RedirectRule(scope.get(), iface, protocol, families, from, to));
        }
      } catch (IllegalArgumentException e) {
        redirects.clear();
      }
    }
    return new LiveRule(chain, handle, redirects, packets, bytes);
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
