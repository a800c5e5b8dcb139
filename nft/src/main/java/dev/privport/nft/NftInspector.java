package dev.privport.nft;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import dev.privport.core.Family;
import dev.privport.core.Protocol;
import dev.privport.core.RedirectPlan;
import dev.privport.core.RedirectRule;
import dev.privport.core.Scope;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Compares libnftables' JSON listing of a plan's table with what {@link NftRenderer} renders for
 * the plan, completely: table flags, every chain (type, hook, priority, policy), every map or set
 * (type, flags, elements), every rule (its whole expression and comment), and any other object. The
 * expected side is built from the plan as libnftables prints it ({@link NftJson}); both sides are
 * then matched through hash maps (map elements: sorted arrays), so the cost grows linearly with the
 * table (n log n for the elements' sort).
 */
final class NftInspector {
  private static final Set<String> TABLE_FLAGS = Set.of("dormant", "owner", "persist");
  private static final Set<String> IDENTITY = Set.of("family", "table", "name", "handle");

  private NftInspector() {}

  static PlanStatus absent(RedirectPlan plan) {
    return new PlanStatus(
        plan,
        false,
        List.of(),
        plan.rules(),
        List.of(),
        List.of(),
        List.of(new Difference("table inet " + NftRenderer.tableName(plan), "absent")));
  }

  static PlanStatus inspect(RedirectPlan plan, String json) {
    return inspect(plan, json, () -> "");
  }

  /**
   * @param json libnftables' JSON listing of the plan's table
   * @param textListing the table's listing in nft syntax, asked for only when the JSON cannot tell
   *     the table's flags (libnftables 1.0.6 prints a single table flag as freed memory)
   * @throws NftablesException ({@link NftablesException.Reason#MALFORMED_OUTPUT}) when the JSON is
   *     malformed
   */
  static PlanStatus inspect(RedirectPlan plan, String json, Supplier<String> textListing) {
    Live live = Live.stream(json);
    if (live == null) {
      live = Live.read(tree(NftRenderer.tableName(plan), json, textListing));
    }
    Planned planned = Planned.of(plan);
    List<Difference> differences = new ArrayList<>();
    compareTable(live, textListing, differences);
    compareMaps(planned, live, differences);
    compareChains(planned, live, differences);
    for (String other : live.others) {
      differences.add(new Difference("table", other + " not in the plan"));
    }

    // The redirects each live rule implements, recognised only when the rule reads exactly as
    // privport renders it; then the plan's redirects against them, as a multiset.
    List<LiveRule> rules = new ArrayList<>();
    for (Map.Entry<String, List<JsonObject>> chain : live.rules.entrySet()) {
      for (JsonObject rule : chain.getValue()) {
        rules.add(recognise(chain.getKey(), rule, live));
      }
    }
    Set<RedirectRule> expected = new HashSet<>(plan.rules());
    Set<RedirectRule> seen = new HashSet<>();
    List<RedirectRule> extra = new ArrayList<>();
    List<LiveRule> unrecognised = new ArrayList<>();
    for (LiveRule l : rules) {
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
    return new PlanStatus(plan, true, rules, missing, extra, unrecognised, differences);
  }

  /** Whether {@link #inspect} reads this listing as a stream rather than as a tree. */
  static boolean readsAsStream(String json) {
    return Live.stream(json) != null;
  }

  /** The listing's {@code nftables} array, read as a tree; malformed JSON is a failure. */
  private static JsonArray tree(String table, String json, Supplier<String> textListing) {
    JsonObject root;
    try {
      root = root(json);
    } catch (JsonParseException e) {
      // libnftables 1.0.6 prints a flagged table's "flags" from freed memory; when those bytes
      // break the JSON, blank that one value (the text listing then gives the flags) and retry.
      String blanked = FREED_FLAGS.matcher(json).replaceFirst("$1\"?\"$2");
      if (blanked.equals(json)) {
        throw malformed(table, e, textListing);
      }
      try {
        root = root(blanked);
      } catch (JsonParseException again) {
        throw malformed(table, e, textListing);
      }
    }
    return root.getAsJsonArray("nftables");
  }

  /** The table object's "flags" value up to the end of the table object (the first one only). */
  private static final Pattern FREED_FLAGS =
      Pattern.compile(
          "(\\{\"table\": \\{[^{}]*?\"flags\": ).*?(\\}\\}(?:, \\{\"|\\]\\}))", Pattern.DOTALL);

  private static JsonObject root(String json) {
    JsonElement parsed = NftJson.parse(json);
    if (!(parsed instanceof JsonObject o) || !(o.get("nftables") instanceof JsonArray)) {
      throw new JsonParseException("no \"nftables\" array at the top");
    }
    return o;
  }

  private static NftablesException malformed(
      String table, JsonParseException e, Supplier<String> textListing) {
    String flags = "";
    try {
      flags = textFlags(textListing.get());
    } catch (RuntimeException ignored) {
      // the hint is optional; the failure is reported either way
    }
    String cause = String.valueOf(e.getMessage()).replaceAll("\\s+", " ").strip();
    return new NftablesException(
        NftablesException.Reason.MALFORMED_OUTPUT,
        "libnftables printed malformed JSON for table inet "
            + table
            + " ("
            + cause
            + ")"
            + (flags.isEmpty()
                ? ""
                : "; the table has flags "
                    + flags
                    + ", which libnftables 1.0.6 prints as broken JSON, and the plan sets none"));
  }

  // ---- table -------------------------------------------------------------------------------

  private static void compareTable(Live live, Supplier<String> textListing, List<Difference> out) {
    if (live.table == null) {
      return;
    }
    for (Map.Entry<String, JsonElement> e : live.table.entrySet()) {
      if (IDENTITY.contains(e.getKey())) {
        continue;
      }
      if (e.getKey().equals("flags")) {
        String flags = tableFlags(e.getValue());
        if (flags == null) {
          flags = textFlags(textListing.get());
        }
        out.add(
            new Difference(
                "table",
                "flags "
                    + (flags.isEmpty()
                        ? "(unreadable: " + NftJson.canonical(e.getValue()) + ")"
                        : flags)
                    + ", plan says none"));
      } else {
        out.add(new Difference("table", notPlanned(e.getKey(), e.getValue())));
      }
    }
  }

  /** The flags as libnftables printed them, or null when what it printed is not flag names. */
  private static String tableFlags(JsonElement flags) {
    List<String> names = new ArrayList<>();
    if (flags.isJsonArray()) {
      for (JsonElement f : flags.getAsJsonArray()) {
        names.add(f.isJsonPrimitive() ? f.getAsString() : "");
      }
    } else if (flags.isJsonPrimitive()) {
      names.add(flags.getAsString());
    }
    return !names.isEmpty() && TABLE_FLAGS.containsAll(names) ? String.join(",", names) : null;
  }

  /** The table's flags from its listing in nft syntax ({@code flags dormant}), or "". */
  private static String textFlags(String listing) {
    for (String line : listing.lines().toList()) {
      String l = line.strip();
      if (l.startsWith("flags ")) {
        return l.substring("flags ".length()).strip();
      }
      if (l.startsWith("chain ") || l.startsWith("map ") || l.startsWith("set ")) {
        break;
      }
    }
    return "";
  }

  // ---- maps and sets -----------------------------------------------------------------------

  private static void compareMaps(Planned planned, Live live, List<Difference> out) {
    for (PlannedMap p : planned.maps.values()) {
      LiveMap m = live.maps.get("map " + p.name);
      if (m == null) {
        out.add(
            new Difference("map " + p.name, "missing, plan says " + p.from.length + " elements"));
        continue;
      }
      JsonObject attributes = new JsonObject();
      attributes.addProperty("type", "inet_service");
      attributes.addProperty("map", "inet_service");
      compareAttributes("map " + p.name, attributes, m.attributes(), Set.of(), out);
      compareElements(p, m.elements(), out);
    }
    for (Map.Entry<String, LiveMap> e : live.maps.entrySet()) {
      String key = e.getKey();
      if (key.startsWith("map ") && planned.maps.containsKey(key.substring(4))) {
        continue;
      }
      Elements elements = e.getValue().elements();
      int n = elements == null ? 0 : elements.size();
      out.add(
          new Difference(
              key,
              "not in the plan (type "
                  + describeType(e.getValue().attributes())
                  + ", "
                  + n
                  + (n == 1 ? " element)" : " elements)")));
    }
  }

  private static String describeType(JsonObject m) {
    String type = m.has("type") ? NftJson.describe(m.get("type")) : "?";
    return m.has("map") ? type + " : " + NftJson.describe(m.get("map")) : type;
  }

  private static void compareElements(PlannedMap p, Elements elements, List<Difference> out) {
    String object = "map " + p.name;
    boolean[] matched = new boolean[p.from.length];
    if (elements != null) {
      for (int e = 0; e < elements.size(); e++) {
        if (!elements.isPair(e)) {
          out.add(
              new Difference(
                  object, "element " + NftJson.canonical(elements.odd()[e]) + " not in the plan"));
          continue;
        }
        int from = elements.from()[e];
        int to = elements.to()[e];
        int i = Arrays.binarySearch(p.from, from);
        if (i < 0) {
          out.add(new Difference(object, "element " + from + " : " + to + " not in the plan"));
          continue;
        }
        matched[i] = true;
        if (p.to[i] != to) {
          out.add(
              new Difference(
                  object,
                  "element " + from + " : " + to + ", plan says " + from + " : " + p.to[i]));
        }
      }
    }
    for (int i = 0; i < matched.length; i++) {
      if (!matched[i]) {
        out.add(
            new Difference(
                object,
                "element " + p.from[i] + " missing, plan says " + p.from[i] + " : " + p.to[i]));
      }
    }
  }

  /** A map element {@code [from, to]} of two ports, or null for anything else. */
  private static int[] portPair(JsonElement e) {
    if (e instanceof JsonArray a && a.size() == 2 && port(a.get(0)) >= 0 && port(a.get(1)) >= 0) {
      return new int[] {port(a.get(0)), port(a.get(1))};
    }
    return null;
  }

  private static int port(JsonElement e) {
    return e instanceof JsonPrimitive p && p.isNumber() ? port(p.getAsString()) : -1;
  }

  /** A JSON number's text as a port, or -1 when it is not an integer in 0-65535. */
  private static int port(String number) {
    try {
      int v = Integer.parseInt(number);
      return v >= 0 && v <= 65535 ? v : -1;
    } catch (NumberFormatException notAnInteger) {
      return -1;
    }
  }

  /**
   * Compares an object's attributes with the planned ones; identity fields and {@code ignored} keys
   * aside, any attribute the plan does not set is a difference.
   */
  private static void compareAttributes(
      String object,
      JsonObject planned,
      JsonObject live,
      Set<String> ignored,
      List<Difference> out) {
    for (Map.Entry<String, JsonElement> e : planned.entrySet()) {
      JsonElement actual = live.get(e.getKey());
      if (actual == null) {
        out.add(
            new Difference(
                object, "no " + e.getKey() + ", plan says " + NftJson.describe(e.getValue())));
      } else if (!NftJson.canonical(actual).equals(NftJson.canonical(e.getValue()))) {
        out.add(
            new Difference(
                object,
                label(e.getKey())
                    + " "
                    + NftJson.describe(actual)
                    + ", plan says "
                    + NftJson.describe(e.getValue())));
      }
    }
    for (Map.Entry<String, JsonElement> e : live.entrySet()) {
      if (!IDENTITY.contains(e.getKey())
          && !ignored.contains(e.getKey())
          && !planned.has(e.getKey())) {
        out.add(new Difference(object, notPlanned(e.getKey(), e.getValue())));
      }
    }
  }

  private static String label(String key) {
    return key.equals("prio") ? "priority" : key;
  }

  private static String notPlanned(String key, JsonElement value) {
    return label(key) + " " + NftJson.describe(value) + ", plan says none";
  }

  // ---- chains and rules --------------------------------------------------------------------

  private static void compareChains(Planned planned, Live live, List<Difference> out) {
    for (PlannedChain p : planned.chains.values()) {
      String object = "chain " + p.name;
      JsonObject c = live.chains.get(p.name);
      if (c == null) {
        out.add(new Difference(object, "missing, plan says " + p.describe()));
        continue;
      }
      if (!c.has("type") && !c.has("hook")) {
        out.add(new Difference(object, "a regular chain, plan says a base chain: " + p.describe()));
        compareAttributes(object, new JsonObject(), c, Set.of(), out);
      } else {
        compareAttributes(object, p.attributes(), c, Set.of(), out);
      }
      compareRules(object, p.rules, live.rules.getOrDefault(p.name, List.of()), out);
    }
    for (Map.Entry<String, JsonObject> e : live.chains.entrySet()) {
      if (planned.chains.containsKey(e.getKey())) {
        continue;
      }
      JsonObject c = e.getValue();
      int n = live.rules.getOrDefault(e.getKey(), List.of()).size();
      String kind =
          c.has("hook")
              ? "type "
                  + describeOr(c, "type")
                  + " hook "
                  + describeOr(c, "hook")
                  + " priority "
                  + describeOr(c, "prio")
                  + " policy "
                  + describeOr(c, "policy")
              : "a regular chain";
      out.add(
          new Difference(
              "chain " + e.getKey(),
              "not in the plan (" + kind + ", " + n + (n == 1 ? " rule)" : " rules)")));
    }
  }

  private static String describeOr(JsonObject o, String key) {
    return o.has(key) ? NftJson.describe(o.get(key)) : "-";
  }

  private static void compareRules(
      String object, List<PlannedRule> planned, List<JsonObject> live, List<Difference> out) {
    List<String> liveKeys = new ArrayList<>(live.size());
    for (JsonObject rule : live) {
      liveKeys.add(key(expr(rule), comment(rule)));
    }
    boolean same = planned.size() == live.size();
    for (int i = 0; same && i < planned.size(); i++) {
      same = planned.get(i).key.equals(liveKeys.get(i));
    }
    if (same) {
      return;
    }
    Map<String, Integer> wanted = new HashMap<>();
    planned.forEach(p -> wanted.merge(p.key, 1, Integer::sum));
    List<Integer> extraLive = new ArrayList<>();
    for (int i = 0; i < live.size(); i++) {
      Integer n = wanted.get(liveKeys.get(i));
      if (n == null || n == 0) {
        extraLive.add(i);
      } else {
        wanted.put(liveKeys.get(i), n - 1);
      }
    }
    List<PlannedRule> missing = new ArrayList<>();
    for (PlannedRule p : planned) {
      Integer n = wanted.get(p.key);
      if (n > 0) {
        missing.add(p);
        wanted.put(p.key, n - 1);
      }
    }
    if (extraLive.isEmpty() && missing.isEmpty()) {
      int first = 0;
      while (planned.get(first).key.equals(liveKeys.get(first))) {
        first++;
      }
      out.add(
          new Difference(
              object,
              "rules in another order than the plan, from handle " + handle(live.get(first))));
      return;
    }
    // Pair what is left: first rules with the same comment (the expression differs), then rules
    // with the same expression (the comment differs); the rest is missing or not in the plan.
    Map<String, Deque<PlannedRule>> byComment = new HashMap<>();
    Map<String, Deque<PlannedRule>> byExpr = new HashMap<>();
    for (PlannedRule p : missing) {
      byComment.computeIfAbsent(p.comment, k -> new ArrayDeque<>()).add(p);
      byExpr.computeIfAbsent(p.canonical, k -> new ArrayDeque<>()).add(p);
    }
    Set<PlannedRule> paired = new HashSet<>();
    List<Integer> unpaired = new ArrayList<>();
    for (int pass = 0; pass < 2; pass++) {
      List<Integer> source = pass == 0 ? extraLive : new ArrayList<>(unpaired);
      unpaired.clear();
      for (int i : source) {
        JsonObject rule = live.get(i);
        Deque<PlannedRule> candidates =
            pass == 0 ? byComment.get(comment(rule)) : byExpr.get(NftJson.canonical(expr(rule)));
        PlannedRule match = null;
        while (candidates != null && !candidates.isEmpty() && match == null) {
          PlannedRule c = candidates.poll();
          if (paired.add(c)) {
            match = c;
          }
        }
        if (match == null) {
          unpaired.add(i);
        } else if (pass == 0) {
          out.add(new Difference(object, differs(rule, match)));
        } else {
          out.add(
              new Difference(
                  object,
                  "rule (handle "
                      + handle(rule)
                      + ") has comment "
                      + quoted(comment(rule))
                      + ", plan says "
                      + quoted(match.comment)));
        }
      }
    }
    for (int i : unpaired) {
      JsonObject rule = live.get(i);
      String comment = comment(rule);
      out.add(
          new Difference(
              object,
              "rule (handle "
                  + handle(rule)
                  + (comment.isEmpty() ? "" : ", comment " + quoted(comment))
                  + ") not in the plan: "
                  + words(expr(rule), 0, expr(rule).size())));
    }
    for (PlannedRule p : missing) {
      if (!paired.contains(p)) {
        out.add(
            new Difference(
                object,
                "rule "
                    + quoted(p.comment)
                    + " missing, plan says "
                    + words(p.expr, 0, p.expr.size())));
      }
    }
  }

  /** What differs between a live rule and the planned rule it stands for, in nft's words. */
  private static String differs(JsonObject rule, PlannedRule p) {
    JsonArray live = expr(rule);
    JsonArray want = p.expr;
    int start = 0;
    while (start < live.size() && start < want.size() && same(live.get(start), want.get(start))) {
      start++;
    }
    int endLive = live.size();
    int endWant = want.size();
    while (endLive > start
        && endWant > start
        && same(live.get(endLive - 1), want.get(endWant - 1))) {
      endLive--;
      endWant--;
    }
    String has = words(live, start, endLive);
    String says = words(want, start, endWant);
    String what;
    if (has.isEmpty()) {
      what = "lacks " + says;
    } else if (says.isEmpty()) {
      what = "also " + has + ", not in the plan";
    } else {
      what = has + ", plan says " + says;
    }
    return "rule " + quoted(p.comment) + " (handle " + handle(rule) + "): " + what;
  }

  private static boolean same(JsonElement a, JsonElement b) {
    JsonArray x = new JsonArray();
    x.add(a);
    JsonArray y = new JsonArray();
    y.add(b);
    return NftJson.canonical(x).equals(NftJson.canonical(y));
  }

  private static String words(JsonArray expr, int from, int to) {
    StringBuilder out = new StringBuilder();
    for (int i = from; i < to; i++) {
      if (i > from) {
        out.append(' ');
      }
      out.append(NftJson.describe(expr.get(i)));
    }
    return out.toString();
  }

  private static String quoted(String s) {
    return NftJson.text(new JsonPrimitive(s));
  }

  private static JsonArray expr(JsonObject rule) {
    return rule.get("expr") instanceof JsonArray a ? a : new JsonArray();
  }

  private static String comment(JsonObject rule) {
    return rule.get("comment") instanceof JsonPrimitive c ? c.getAsString() : "";
  }

  private static long handle(JsonObject rule) {
    return rule.get("handle") instanceof JsonPrimitive h && h.isNumber() ? h.getAsLong() : 0;
  }

  private static String key(JsonArray expr, String comment) {
    return NftJson.canonical(expr) + "\u0000" + comment;
  }

  // ---- recognising live rules as redirects -------------------------------------------------

  /**
   * The redirects a live rule implements: read its matches, rebuild the rule privport would render
   * for them, and accept them only when the two expressions are the same. Counters are kept either
   * way.
   */
  private static LiveRule recognise(String chain, JsonObject rule, Live live) {
    JsonArray expr = expr(rule);
    long packets = 0;
    long bytes = 0;
    for (JsonElement e : expr) {
      if (e instanceof JsonObject o && o.get("counter") instanceof JsonObject c) {
        packets = number(c.get("packets"));
        bytes = number(c.get("bytes"));
      }
    }
    List<RedirectRule> redirects = new ArrayList<>();
    try {
      candidate(chain, expr, live, redirects);
    } catch (IllegalArgumentException | IllegalStateException | ClassCastException e) {
      redirects.clear();
    }
    return new LiveRule(chain, handle(rule), redirects, packets, bytes);
  }

  private static void candidate(
      String chain, JsonArray expr, Live live, List<RedirectRule> redirects) {
    Scope scope =
        switch (chain) {
          case NftRenderer.INCOMING_CHAIN -> Scope.INCOMING;
          case NftRenderer.LOCAL_CHAIN -> Scope.LOCAL;
          default -> null;
        };
    if (scope == null) {
      return;
    }
    Optional<String> iface = Optional.empty();
    Set<Family> families = EnumSet.allOf(Family.class);
    Protocol protocol = null;
    int from = 0;
    int to = 0;
    String mapName = null;
    for (JsonElement e : expr) {
      JsonObject o = e.getAsJsonObject();
      if (o.get("redirect") instanceof JsonObject r && r.get("port") instanceof JsonPrimitive p) {
        to = p.getAsInt();
      } else if (o.get("match") instanceof JsonObject m) {
        JsonObject left = m.get("left") instanceof JsonObject l ? l : new JsonObject();
        JsonElement right = m.get("right");
        if (left.get("meta") instanceof JsonObject meta && right instanceof JsonPrimitive value) {
          String key = meta.get("key").getAsString();
          if (key.equals("iifname")) {
            String name = value.getAsString();
            iface =
                Optional.of(name.endsWith("*") ? name.substring(0, name.length() - 1) + "+" : name);
          } else if (key.equals("nfproto")) {
            families = EnumSet.of("ipv6".equals(value.getAsString()) ? Family.IPV6 : Family.IPV4);
          }
        } else if (left.get("payload") instanceof JsonObject payload
            && right instanceof JsonPrimitive value) {
          String proto = payload.get("protocol").getAsString();
          protocol = "udp".equals(proto) ? Protocol.UDP : "tcp".equals(proto) ? Protocol.TCP : null;
          if (value.isNumber()) {
            from = value.getAsInt();
          } else if (value.getAsString().startsWith("@")) {
            mapName = value.getAsString().substring(1);
          }
        }
      }
    }
    if (protocol == null) {
      return;
    }
    RedirectRule head = new RedirectRule(scope, iface, protocol, families, from, to);
    String actual = NftJson.canonical(expr);
    if (mapName != null) {
      LiveMap map = live.maps.get("map " + mapName);
      if (map != null && NftJson.canonical(NftJson.mapRule(head, mapName)).equals(actual)) {
        Elements elements = map.elements();
        for (int e = 0; elements != null && e < elements.size(); e++) {
          if (!elements.isPair(e)) {
            redirects.clear();
            return;
          }
          // head's families are immutable already: no copy per element
          redirects.add(
              new RedirectRule(
                  scope,
                  head.inputInterface(),
                  protocol,
                  head.families(),
                  elements.from()[e],
                  elements.to()[e]));
        }
      }
    } else if (NftJson.canonical(NftJson.plainRule(head)).equals(actual)) {
      redirects.add(head);
    }
  }

  private static long number(JsonElement e) {
    return e instanceof JsonPrimitive p && p.isNumber() ? p.getAsLong() : 0;
  }

  // ---- the two sides -----------------------------------------------------------------------

  /** The live table, sorted by kind of object; rules keep their order within each chain. */
  private static final class Live {
    JsonObject table;
    final Map<String, JsonObject> chains = new LinkedHashMap<>();
    final Map<String, LiveMap> maps = new LinkedHashMap<>();
    final Map<String, List<JsonObject>> rules = new LinkedHashMap<>();
    final List<String> others = new ArrayList<>();

    static Live read(JsonArray items) {
      Live live = new Live();
      for (JsonElement item : items) {
        live.add(item);
      }
      return live;
    }

    /** Files one item of the listing's array under its kind. */
    private void add(JsonElement item) {
      if (!(item instanceof JsonObject o) || o.size() != 1) {
        others.add("object " + NftJson.canonical(item));
        return;
      }
      Map.Entry<String, JsonElement> entry = o.entrySet().iterator().next();
      String kind = entry.getKey();
      JsonObject value = entry.getValue() instanceof JsonObject v ? v : new JsonObject();
      String name = value.get("name") instanceof JsonPrimitive n ? n.getAsString() : "";
      switch (kind) {
        case "metainfo" -> {}
        case "table" -> table = value;
        case "chain" -> chains.put(name, value);
        case "map", "set" -> maps.put(kind + " " + name, LiveMap.of(value));
        case "rule" ->
            rules
                .computeIfAbsent(
                    value.get("chain") instanceof JsonPrimitive c ? c.getAsString() : "",
                    k -> new ArrayList<>())
                .add(value);
        default -> others.add(kind + (name.isEmpty() ? "" : " " + name));
      }
    }

    /**
     * Reads the listing as a stream when it has the shape libnftables prints, {@code {"nftables":
     * [{KIND: {...}}, ...]}} with maps of port pairs, so that map elements become two int arrays
     * instead of a tree of 3 objects each. Returns null for anything else (malformed JSON
     * included), which {@link #read} then reads as a tree, with the same result.
     */
    static Live stream(String json) {
      try {
        JsonReader r = new JsonReader(new StringReader(json));
        r.setStrictness(Strictness.STRICT);
        r.beginObject();
        if (!r.hasNext() || !r.nextName().equals("nftables") || r.peek() != JsonToken.BEGIN_ARRAY) {
          return null;
        }
        r.beginArray();
        Live live = new Live();
        while (r.hasNext()) {
          if (r.peek() != JsonToken.BEGIN_OBJECT) {
            return null;
          }
          r.beginObject();
          if (!r.hasNext()) {
            return null;
          }
          String kind = r.nextName();
          if ((kind.equals("map") || kind.equals("set")) && r.peek() == JsonToken.BEGIN_OBJECT) {
            LiveMap map = LiveMap.stream(r);
            if (map == null || r.hasNext()) {
              return null;
            }
            String name =
                map.attributes().get("name") instanceof JsonPrimitive n ? n.getAsString() : "";
            live.maps.put(kind + " " + name, map);
          } else {
            JsonObject item = new JsonObject();
            item.add(kind, NftJson.read(r));
            if (r.hasNext()) {
              return null;
            }
            live.add(item);
          }
          r.endObject();
        }
        r.endArray();
        if (r.hasNext()) {
          return null;
        }
        r.endObject();
        return r.peek() == JsonToken.END_DOCUMENT ? live : null;
      } catch (IOException | IllegalStateException | NumberFormatException | JsonParseException e) {
        return null;
      }
    }
  }

  /**
   * A map or set as listed: its attributes (everything but {@code elem}) and its elements, or null
   * elements when {@code elem} is absent or not an array.
   */
  private record LiveMap(JsonObject attributes, Elements elements) {
    static LiveMap of(JsonObject value) {
      JsonObject attributes = new JsonObject();
      for (Map.Entry<String, JsonElement> e : value.entrySet()) {
        if (!e.getKey().equals("elem")) {
          attributes.add(e.getKey(), e.getValue());
        }
      }
      return new LiveMap(
          attributes, value.get("elem") instanceof JsonArray a ? Elements.of(a) : null);
    }

    /** Reads a map's object; null when an element is not a pair of ports (or elem repeats). */
    static LiveMap stream(JsonReader r) throws IOException {
      JsonObject attributes = new JsonObject();
      Elements elements = null;
      r.beginObject();
      while (r.hasNext()) {
        String key = r.nextName();
        if (!key.equals("elem")) {
          attributes.add(key, NftJson.read(r));
          continue;
        }
        if (elements != null || r.peek() != JsonToken.BEGIN_ARRAY) {
          return null;
        }
        elements = Elements.stream(r);
        if (elements == null) {
          return null;
        }
      }
      r.endObject();
      return new LiveMap(attributes, elements);
    }
  }

  /**
   * A map's elements in listing order: pairs of ports in two int arrays; an element that is not a
   * pair has {@code from} -1 and its JSON in {@code odd} (null when every element is a pair).
   */
  private record Elements(int[] from, int[] to, JsonElement[] odd) {
    int size() {
      return from.length;
    }

    boolean isPair(int i) {
      return from[i] >= 0;
    }

    static Elements of(JsonArray elements) {
      int[] from = new int[elements.size()];
      int[] to = new int[elements.size()];
      JsonElement[] odd = new JsonElement[elements.size()];
      for (int i = 0; i < from.length; i++) {
        int[] pair = portPair(elements.get(i));
        if (pair == null) {
          from[i] = -1;
          odd[i] = elements.get(i);
        } else {
          from[i] = pair[0];
          to[i] = pair[1];
        }
      }
      return new Elements(from, to, odd);
    }

    /** Reads an array of port pairs; null at the first element that is anything else. */
    static Elements stream(JsonReader r) throws IOException {
      int[] from = new int[1024];
      int[] to = new int[1024];
      int n = 0;
      r.beginArray();
      while (r.hasNext()) {
        if (r.peek() != JsonToken.BEGIN_ARRAY) {
          return null;
        }
        r.beginArray();
        int a = r.peek() == JsonToken.NUMBER ? port(r.nextString()) : -1;
        int b = a >= 0 && r.peek() == JsonToken.NUMBER ? port(r.nextString()) : -1;
        if (b < 0 || r.peek() != JsonToken.END_ARRAY) {
          return null;
        }
        r.endArray();
        if (n == from.length) {
          from = Arrays.copyOf(from, n * 2);
          to = Arrays.copyOf(to, n * 2);
        }
        from[n] = a;
        to[n] = b;
        n++;
      }
      r.endArray();
      return new Elements(Arrays.copyOf(from, n), Arrays.copyOf(to, n), null);
    }
  }

  private record PlannedRule(String key, String canonical, String comment, JsonArray expr) {}

  /** A planned map's elements as primitive arrays sorted by port: no boxing, binary search. */
  private record PlannedMap(String name, int[] from, int[] to) {
    static PlannedMap of(String name, List<RedirectRule> rules) {
      List<RedirectRule> byPort = new ArrayList<>(rules);
      byPort.sort(java.util.Comparator.comparingInt(RedirectRule::fromPort));
      int[] from = new int[byPort.size()];
      int[] to = new int[byPort.size()];
      for (int i = 0; i < from.length; i++) {
        from[i] = byPort.get(i).fromPort();
        to[i] = byPort.get(i).toPort();
      }
      return new PlannedMap(name, from, to);
    }
  }

  private record PlannedChain(String name, String hook, List<PlannedRule> rules) {
    JsonObject attributes() {
      JsonObject a = new JsonObject();
      a.addProperty("type", "nat");
      a.addProperty("hook", hook);
      a.addProperty("prio", NftRenderer.NAT_PRIORITY);
      a.addProperty("policy", "accept");
      return a;
    }

    String describe() {
      return "type nat hook " + hook + " priority " + NftRenderer.NAT_PRIORITY + " policy accept";
    }
  }

  /** What {@link NftRenderer#render} puts in the table, as libnftables lists it. */
  private record Planned(Map<String, PlannedMap> maps, Map<String, PlannedChain> chains) {
    static Planned of(RedirectPlan plan) {
      List<NftRenderer.Group> groups = NftRenderer.groups(plan.rules());
      Map<String, PlannedMap> maps = new LinkedHashMap<>();
      Map<String, PlannedChain> chains = new LinkedHashMap<>();
      for (NftRenderer.Chain c : NftRenderer.chains(groups)) {
        List<PlannedRule> rules = new ArrayList<>();
        for (NftRenderer.Group g : c.groups()) {
          if (g.mapped()) {
            maps.put(g.mapName(), PlannedMap.of(g.mapName(), g.rules()));
          }
          for (NftJson.Rule r : NftJson.rules(g)) {
            rules.add(planned(r.expr(), r.comment()));
          }
        }
        chains.put(c.name(), new PlannedChain(c.name(), c.hook(), rules));
      }
      return new Planned(maps, chains);
    }

    private static PlannedRule planned(JsonArray expr, String comment) {
      String canonical = NftJson.canonical(expr);
      return new PlannedRule(canonical + "\u0000" + comment, canonical, comment, expr);
    }
  }
}
