package dev.privport.nft;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonPrimitive;
import dev.privport.core.RedirectPlan;
import dev.privport.core.RedirectRule;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * An in-memory {@link Nftables} for unit tests ({@link Nftables#fake()}): no root, no libnftables,
 * no jnr-ffi. Each plan's table is kept as libnftables lists it ({@code nft -j list table}: the
 * same objects, attributes, handles and zero counters a fresh table has), and {@link #inspect}
 * compares it with the plan exactly as the real executor does, so the {@link PlanStatus} is the
 * same. {@link #apply} replaces the table, {@link #remove} deletes it, {@link #check} changes
 * nothing; trials keep the previous table in memory.
 *
 * <p>To test how code handles changes made behind its back, the fake simulates them: {@link
 * #flushRuleset()} ({@code nft flush ruleset}, as an {@code nftables.service} reload does), {@link
 * #deleteRedirect} ({@code nft delete element} or {@code delete rule}), and, for anything else,
 * {@link #replaceListing} with an edited {@link #listing}. {@link #abandon} simulates a trial whose
 * process died unconfirmed, which {@link #recover} then rolls back.
 *
 * <p>What it does not do: run nft commands (the real executor's {@code run}), count packets, or
 * fail the way a kernel can (permissions, a missing libnftables). Needs Gson, an optional
 * dependency of privport-nft, as {@link #inspect} does on the real executor. Safe for concurrent
 * use.
 */
public final class FakeNftables implements Nftables {
  private static final String FAMILY = "inet";

  /** A trial's saved state: the table before it, and the table's version right after it. */
  private record Pending(
      Trial trial, Optional<JsonArray> previous, long version, boolean abandoned) {}

  private final Map<String, JsonArray> tables = new LinkedHashMap<>();

  /** Bumped by every change of a table name, however made: a trial's rollback compares it. */
  private final Map<String, Long> versions = new HashMap<>();

  private final Map<String, Pending> trials = new HashMap<>();
  private long tableHandles;
  private boolean closed;

  FakeNftables() {
    NftablesException.requireClass(
        "com.google.gson.JsonParser",
        "the fake executor keeps tables as libnftables' JSON with Gson",
        "com.google.code.gson:gson");
  }

  @Override
  public synchronized void apply(RedirectPlan plan) {
    open(plan);
    String name = NftRenderer.tableName(plan);
    JsonArray old = tables.get(name);
    if (old != null && listingOf(plan, tableHandle(old)).equals(old)) {
      return; // already exactly the plan: nothing changes (the real executor commits nothing)
    }
    put(name, listingOf(plan, ++tableHandles));
  }

  private static long tableHandle(JsonArray items) {
    return items.get(0).getAsJsonObject().getAsJsonObject("table").get("handle").getAsLong();
  }

  @Override
  public synchronized void check(RedirectPlan plan) {
    open(plan);
  }

  @Override
  public synchronized void remove(RedirectPlan plan) {
    open(plan);
    drop(NftRenderer.tableName(plan));
  }

  @Override
  public synchronized PlanStatus inspect(RedirectPlan plan) {
    open(plan);
    JsonArray t = tables.get(NftRenderer.tableName(plan));
    if (t == null) {
      return NftInspector.absent(plan);
    }
    return NftInspector.inspect(plan, document(t).toString(), () -> "");
  }

  @Override
  public synchronized Trial begin(RedirectPlan plan) {
    open(plan);
    String table = NftRenderer.tableName(plan);
    Pending pending = trials.get(table);
    if (pending != null && !pending.abandoned()) {
      throw new NftablesException(
          NftablesException.Reason.TRIAL_PENDING,
          Trial.pending(table, " by process " + ProcessHandle.current().pid()));
    }
    Optional<String> recovered = recoverLocked(table);
    Optional<JsonArray> previous = Optional.ofNullable(tables.get(table));
    put(table, listingOf(plan, ++tableHandles));
    long version = versions.get(table);
    Trial[] self = new Trial[1];
    self[0] =
        new Trial(
            plan,
            recovered,
            new Trial.Ending() {
              @Override
              public void confirm() {
                synchronized (FakeNftables.this) {
                  trials.remove(table);
                }
              }

              @Override
              public Trial.Rollback rollback() {
                synchronized (FakeNftables.this) {
                  Pending p = trials.get(table);
                  if (p == null || p.trial() != self[0]) {
                    throw new IllegalStateException(
                        "this trial was abandoned and rolled back by recover");
                  }
                  trials.remove(table);
                  return undo(table, previous, version);
                }
              }
            });
    trials.put(table, new Pending(self[0], previous, version, false));
    return self[0];
  }

  @Override
  public synchronized boolean trialPending(RedirectPlan plan) {
    open(plan);
    return trials.containsKey(NftRenderer.tableName(plan));
  }

  @Override
  public synchronized Optional<String> recover(RedirectPlan plan) {
    open(plan);
    return recoverLocked(NftRenderer.tableName(plan));
  }

  private Optional<String> recoverLocked(String table) {
    Pending p = trials.get(table);
    if (p == null || !p.abandoned()) {
      return Optional.empty();
    }
    trials.remove(table);
    Trial.Rollback undone = undo(table, p.previous(), p.version());
    return Optional.of(Trial.recoveredText(table, ProcessHandle.current().pid(), undone));
  }

  private Trial.Rollback undo(String table, Optional<JsonArray> previous, long version) {
    if (versions.getOrDefault(table, 0L) != version) {
      return Trial.superseded(table);
    }
    if (previous.isPresent()) {
      put(table, previous.get());
    } else {
      drop(table);
    }
    return Trial.restored(table, previous.isPresent());
  }

  /**
   * Simulates the end of the process that began {@code trial}, unconfirmed ({@code kill -9}): the
   * trial then awaits {@link #recover} (or the next {@link #begin} of its table), which rolls it
   * back as the real executor does for a trial whose owner is gone.
   *
   * @throws IllegalArgumentException when the trial is not one of this fake's pending trials
   */
  public synchronized void abandon(Trial trial) {
    for (Map.Entry<String, Pending> e : trials.entrySet()) {
      if (e.getValue().trial() == trial) {
        e.setValue(new Pending(trial, e.getValue().previous(), e.getValue().version(), true));
        return;
      }
    }
    throw new IllegalArgumentException("trial: not a pending trial of this executor");
  }

  /**
   * Simulates {@code nft flush ruleset}: every table is gone, as after a reload of the firewall.
   */
  public synchronized void flushRuleset() {
    requireOpen();
    for (String name : List.copyOf(tables.keySet())) {
      drop(name);
    }
  }

  /**
   * Simulates deleting, by hand, the map element or the rule that implements {@code rule} in the
   * plan's table ({@code nft delete element ...} or {@code nft delete rule ... handle N}).
   *
   * @throws IllegalArgumentException when the table does not hold that redirect
   */
  public synchronized void deleteRedirect(RedirectPlan plan, RedirectRule rule) {
    open(plan);
    Objects.requireNonNull(rule, "rule");
    String name = NftRenderer.tableName(plan);
    JsonArray t = tables.get(name);
    Optional<LiveRule> live = inspect(plan).find(rule);
    if (t == null || live.isEmpty()) {
      throw new IllegalArgumentException(
          "rule: table inet "
              + name
              + " holds no redirect "
              + rule.scope()
              + " "
              + rule.describe());
    }
    JsonArray items = t.deepCopy();
    String map = mapOf(items, live.get().handle());
    for (int i = 0; i < items.size(); i++) {
      JsonObject o = items.get(i).getAsJsonObject();
      if (map.isEmpty()
          && o.get("rule") instanceof JsonObject r
          && r.get("handle").getAsLong() == live.get().handle()) {
        items.remove(i);
        break;
      }
      if (!map.isEmpty()
          && o.get("map") instanceof JsonObject m
          && map.equals(name(m))
          && m.get("elem") instanceof JsonArray elements) {
        for (int k = 0; k < elements.size(); k++) {
          if (elements.get(k).getAsJsonArray().get(0).getAsInt() == rule.fromPort()) {
            elements.remove(k);
            break;
          }
        }
        break;
      }
    }
    put(name, items);
  }

  /** The map the rule with {@code handle} looks ports up in, or "" for a plain rule. */
  private static String mapOf(JsonArray items, long handle) {
    for (JsonElement item : items) {
      if (item.getAsJsonObject().get("rule") instanceof JsonObject r
          && r.get("handle").getAsLong() == handle) {
        for (JsonElement e : r.getAsJsonArray("expr")) {
          if (e.getAsJsonObject().get("match") instanceof JsonObject m
              && m.get("right") instanceof JsonPrimitive p
              && p.isString()
              && p.getAsString().startsWith("@")) {
            return p.getAsString().substring(1);
          }
        }
      }
    }
    return "";
  }

  private static String name(JsonObject o) {
    return o.get("name") instanceof JsonPrimitive p ? p.getAsString() : "";
  }

  /**
   * The plan's table as {@code nft -j list table inet NAME} prints it ({@code {"nftables": [
   * {"metainfo": ...}, {"table": ...}, ...]}}), or empty when it does not exist. Edit it and hand
   * it to {@link #replaceListing} to simulate any other change.
   */
  public synchronized Optional<String> listing(RedirectPlan plan) {
    open(plan);
    JsonArray t = tables.get(NftRenderer.tableName(plan));
    return t == null ? Optional.empty() : Optional.of(document(t).toString());
  }

  /**
   * Replaces the plan's table with the one {@code json} lists, as a change made behind the
   * executor's back would: a chain's policy, a rule or an element added by hand, a table flag. The
   * text has {@link #listing}'s form, and every object in it must belong to the plan's table.
   *
   * @throws IllegalArgumentException when {@code json} is not such a listing
   */
  public synchronized void replaceListing(RedirectPlan plan, String json) {
    open(plan);
    String name = NftRenderer.tableName(plan);
    JsonArray items;
    try {
      JsonElement root = NftJson.parse(Objects.requireNonNull(json, "json"));
      if (!(root instanceof JsonObject o && o.get("nftables") instanceof JsonArray a)) {
        throw new IllegalArgumentException(
            "json: no \"nftables\" array at the top, as nft -j list table prints");
      }
      items = new JsonArray();
      for (JsonElement item : a) {
        if (!(item instanceof JsonObject object) || object.size() != 1) {
          throw new IllegalArgumentException("json: not an nftables object: " + item);
        }
        Map.Entry<String, JsonElement> e = object.entrySet().iterator().next();
        if (e.getKey().equals("metainfo")) {
          continue;
        }
        JsonObject value = e.getValue() instanceof JsonObject v ? v : new JsonObject();
        String owner = e.getKey().equals("table") ? name(value) : string(value, "table");
        if (!name.equals(owner) || !FAMILY.equals(string(value, "family"))) {
          throw new IllegalArgumentException(
              "json: " + e.getKey() + " of another table than inet " + name + ": " + item);
        }
        items.add(item);
      }
    } catch (JsonParseException e) {
      throw new IllegalArgumentException("json: malformed (" + e.getMessage() + ")", e);
    }
    if (items.isEmpty() || !items.get(0).getAsJsonObject().has("table")) {
      throw new IllegalArgumentException("json: the listing must begin with its table");
    }
    put(name, items);
  }

  private static String string(JsonObject o, String key) {
    return o.get(key) instanceof JsonPrimitive p ? p.getAsString() : "";
  }

  @Override
  public synchronized void close() {
    closed = true;
  }

  // ---- the model -----------------------------------------------------------------------------

  private void open(RedirectPlan plan) {
    Objects.requireNonNull(plan, "plan");
    requireOpen();
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("this Nftables executor is closed");
    }
  }

  private void put(String name, JsonArray table) {
    tables.put(name, table);
    versions.merge(name, 1L, Long::sum);
  }

  private void drop(String name) {
    if (tables.remove(name) != null) {
      versions.merge(name, 1L, Long::sum);
    }
  }

  private static JsonObject document(JsonArray items) {
    JsonObject meta = new JsonObject();
    meta.addProperty("version", "privport-fake");
    meta.addProperty("release_name", "in memory");
    meta.addProperty("json_schema_version", 1);
    JsonArray all = new JsonArray();
    all.add(object("metainfo", meta));
    all.addAll(items);
    return object("nftables", all);
  }

  /**
   * The table a fresh apply of {@code plan} creates, as libnftables lists it: the table, then its
   * maps, chains and rules; handles numbered as the kernel numbers them in one new table (chains
   * first, then maps, then rules in chain order).
   */
  private static JsonArray listingOf(RedirectPlan plan, long tableHandle) {
    String table = NftRenderer.tableName(plan);
    List<NftRenderer.Group> groups = NftRenderer.groups(plan.rules());
    List<NftRenderer.Chain> tableChains = NftRenderer.chains(groups);
    List<List<JsonObject>> rules = new ArrayList<>();
    List<JsonObject> maps = new ArrayList<>();
    for (NftRenderer.Chain ch : tableChains) {
      String chain = ch.name();
      List<JsonObject> chainRules = new ArrayList<>();
      rules.add(chainRules);
      for (NftRenderer.Group g : ch.groups()) {
        if (g.mapped()) {
          JsonObject map = identity(table, g.mapName());
          map.addProperty("type", "inet_service");
          map.addProperty("map", "inet_service");
          JsonArray elements = new JsonArray();
          g.rules().stream()
              .sorted(java.util.Comparator.comparingInt(RedirectRule::fromPort))
              .forEach(
                  r -> {
                    JsonArray pair = new JsonArray();
                    pair.add(r.fromPort());
                    pair.add(r.toPort());
                    elements.add(pair);
                  });
          map.add("elem", elements);
          maps.add(map);
        }
        for (NftJson.Rule r : NftJson.rules(g)) {
          chainRules.add(rule(table, chain, r.comment(), r.expr()));
        }
      }
    }
    // The maps come before the chains in the listing, but the kernel numbers the chains first.
    long handle = 1;
    List<JsonObject> chains = new ArrayList<>();
    for (NftRenderer.Chain ch : tableChains) {
      JsonObject c = new JsonObject();
      c.addProperty("family", FAMILY);
      c.addProperty("table", table);
      c.addProperty("name", ch.name());
      c.addProperty("handle", handle++);
      c.addProperty("type", "nat");
      c.addProperty("hook", ch.hook());
      c.addProperty("prio", NftRenderer.NAT_PRIORITY);
      c.addProperty("policy", "accept");
      chains.add(c);
    }
    for (JsonObject m : maps) {
      m.addProperty("handle", handle++);
    }
    JsonArray items = new JsonArray();
    JsonObject t = new JsonObject();
    t.addProperty("family", FAMILY);
    t.addProperty("name", table);
    t.addProperty("handle", tableHandle);
    items.add(object("table", t));
    for (JsonObject m : maps) {
      items.add(object("map", reorderedMap(m)));
    }
    for (JsonObject c : chains) {
      items.add(object("chain", c));
    }
    for (List<JsonObject> chainRules : rules) {
      for (JsonObject r : chainRules) {
        r.addProperty("handle", handle++);
        items.add(object("rule", reorderedRule(r)));
      }
    }
    return items;
  }

  private static JsonObject identity(String table, String name) {
    JsonObject o = new JsonObject();
    o.addProperty("family", FAMILY);
    o.addProperty("name", name);
    o.addProperty("table", table);
    return o;
  }

  /** libnftables' order of a map's attributes: family, name, table, type, handle, map, elem. */
  private static JsonObject reorderedMap(JsonObject m) {
    JsonObject o = new JsonObject();
    for (String key : List.of("family", "name", "table", "type", "handle", "map", "elem")) {
      o.add(key, m.get(key));
    }
    return o;
  }

  private static JsonObject rule(String table, String chain, String comment, JsonArray expr) {
    JsonObject r = new JsonObject();
    r.addProperty("family", FAMILY);
    r.addProperty("table", table);
    r.addProperty("chain", chain);
    r.addProperty("comment", comment);
    JsonArray withCounters = new JsonArray();
    for (JsonElement e : expr) {
      if (e instanceof JsonObject o && o.get("counter") instanceof JsonObject) {
        JsonObject counter = new JsonObject();
        counter.addProperty("packets", 0);
        counter.addProperty("bytes", 0);
        withCounters.add(object("counter", counter));
      } else {
        withCounters.add(e);
      }
    }
    r.add("expr", withCounters);
    return r;
  }

  /** libnftables' order of a rule's attributes: family, table, chain, handle, comment, expr. */
  private static JsonObject reorderedRule(JsonObject r) {
    JsonObject o = new JsonObject();
    for (String key : List.of("family", "table", "chain", "handle", "comment", "expr")) {
      o.add(key, r.get(key));
    }
    return o;
  }

  private static JsonObject object(String key, JsonElement value) {
    JsonObject o = new JsonObject();
    o.add(key, value);
    return o;
  }
}
