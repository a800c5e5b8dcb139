package dev.privport.nft;

import dev.privport.core.Family;
import dev.privport.core.Protocol;
import dev.privport.core.RedirectPlan;
import dev.privport.core.RedirectRule;
import dev.privport.core.Scope;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * What a plan puts in its table, split into its shape (the chains and, in order, each rule: a plain
 * rule by its redirect, a map rule by its group) and its maps' elements. Two plans of the same
 * shape differ only in map elements (and so in the element counts that map rules' comments state),
 * and {@link #changeTo} turns one table into the other with element commands instead of a new
 * table. Built from {@link NftRenderer#groups}, so it follows the renderer's grouping.
 */
final class NftTableLayout {
  /** The group of a map rule: everything its rule text depends on but the element count. */
  private record MapItem(
      String map,
      Scope scope,
      Optional<String> inputInterface,
      Protocol protocol,
      Set<Family> families,
      String chain) {}

  /** A map's elements, sorted by port. */
  private record Elements(String chain, int[] from, int[] to) {}

  private final String table;
  private final List<Object> shape;
  private final Map<String, Elements> maps;

  private NftTableLayout(String table, List<Object> shape, Map<String, Elements> maps) {
    this.table = table;
    this.shape = shape;
    this.maps = maps;
  }

  static NftTableLayout of(RedirectPlan plan) {
    List<NftRenderer.Group> groups = NftRenderer.groups(plan.rules());
    List<Object> shape = new ArrayList<>();
    Map<String, Elements> maps = new LinkedHashMap<>();
    for (NftRenderer.Chain c : NftRenderer.chains(groups)) {
      String chain = c.name();
      shape.add("chain " + chain);
      for (NftRenderer.Group g : c.groups()) {
        if (g.mapped()) {
          RedirectRule h = g.head();
          shape.add(
              new MapItem(
                  g.mapName(), c.scope(), h.inputInterface(), h.protocol(), h.families(), chain));
          maps.put(g.mapName(), elements(chain, g.rules()));
        } else {
          shape.addAll(g.rules());
        }
      }
    }
    return new NftTableLayout(NftRenderer.tableName(plan), List.copyOf(shape), maps);
  }

  private static Elements elements(String chain, List<RedirectRule> rules) {
    long[] packed = sortedPairs(rules);
    int[] from = new int[packed.length];
    int[] to = new int[packed.length];
    for (int i = 0; i < packed.length; i++) {
      from[i] = (int) (packed[i] >>> 32);
      to[i] = (int) packed[i];
    }
    return new Elements(chain, from, to);
  }

  /**
   * A map's elements as {@code from << 32 | to}, one per rule, sorted (so by port): the order the
   * layout and {@link NftJsonScript} both write them in.
   */
  static long[] sortedPairs(List<RedirectRule> rules) {
    long[] packed = new long[rules.size()];
    for (int i = 0; i < packed.length; i++) {
      RedirectRule r = rules.get(i);
      packed[i] = ((long) r.fromPort() << 32) | r.toPort();
    }
    Arrays.sort(packed);
    return packed;
  }

  /**
   * The nft commands that turn a table holding exactly this layout into one holding {@code next}:
   * elements deleted and added per map, and where a map's element count changes, its chain flushed
   * and filled again from {@code rendered} (the rule's comment states the count). Empty when the
   * shapes differ (a rule or map appears or goes, a group crosses the map threshold): then only a
   * new table is right. An empty string when nothing changes.
   */
  Optional<String> changeTo(NftTableLayout next, Supplier<String> rendered) {
    if (!table.equals(next.table) || !shape.equals(next.shape)) {
      return Optional.empty();
    }
    StringBuilder out = new StringBuilder();
    Set<String> recount = new LinkedHashSet<>();
    for (Map.Entry<String, Elements> e : maps.entrySet()) {
      Elements was = e.getValue();
      Elements now = next.maps.get(e.getKey());
      if (now == null) {
        return Optional.empty(); // cannot happen with equal shapes; never guess
      }
      StringBuilder deleted = new StringBuilder();
      StringBuilder added = new StringBuilder();
      int i = 0;
      int j = 0;
      while (i < was.from.length || j < now.from.length) {
        int a = i < was.from.length ? was.from[i] : Integer.MAX_VALUE;
        int b = j < now.from.length ? now.from[j] : Integer.MAX_VALUE;
        if (a == b) {
          if (was.to[i] != now.to[j]) {
            item(deleted, a, -1);
            item(added, b, now.to[j]);
          }
          i++;
          j++;
        } else if (a < b) {
          item(deleted, a, -1);
          i++;
        } else {
          item(added, b, now.to[j]);
          j++;
        }
      }
      String target = " inet " + table + " " + e.getKey() + " { ";
      if (deleted.length() > 0) {
        out.append("delete element").append(target).append(deleted).append(" }\n");
      }
      if (added.length() > 0) {
        out.append("add element").append(target).append(added).append(" }\n");
      }
      if (was.from.length != now.from.length) {
        recount.add(was.chain);
      }
    }
    if (!recount.isEmpty()) {
      String script = rendered.get();
      for (String chain : recount) {
        int start = script.indexOf("\tchain " + chain + " {\n");
        int end = start < 0 ? -1 : script.indexOf("\n\t}\n", start);
        if (end < 0) {
          return Optional.empty();
        }
        // The chain's header repeats the existing chain's; its rules, after the flush, are all.
        out.append("flush chain inet ")
            .append(table)
            .append(' ')
            .append(chain)
            .append('\n')
            .append("table inet ")
            .append(table)
            .append(" {\n")
            .append(script, start, end + 4)
            .append("}\n");
      }
    }
    return Optional.of(out.toString());
  }

  private static void item(StringBuilder out, int from, int to) {
    if (out.length() > 0) {
      out.append(", ");
    }
    out.append(from);
    if (to >= 0) {
      out.append(" : ").append(to);
    }
  }
}
