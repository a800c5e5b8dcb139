package dev.privport.nft;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;
import dev.privport.core.RedirectRule;
import dev.privport.core.Scope;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * libnftables' JSON (schema 1, {@code libnftables-json(5)}) on both sides of a comparison: strict
 * parsing of what it prints, the expressions of the rules {@link NftRenderer} writes, built as
 * libnftables prints them, and a canonical text (keys sorted, counter values dropped) that makes
 * two expressions equal exactly when they match the same packets the same way.
 *
 * <p>Trees are read and written here with Gson's stream classes only, never through a {@code Gson}
 * instance or {@link JsonElement#toString()}: either initialises Gson's type adapters, 140 classes
 * whose loading was a tenth of a short {@code apply} or {@code status}.
 */
final class NftJson {

  private NftJson() {}

  /**
   * Parses one JSON document strictly (Gson's default is lenient).
   *
   * @throws JsonParseException when the text is not exactly one well-formed JSON value
   */
  static JsonElement parse(String text) {
    try {
      JsonReader reader = new JsonReader(new StringReader(text));
      reader.setStrictness(Strictness.STRICT);
      JsonElement value = read(reader);
      if (reader.peek() != JsonToken.END_DOCUMENT) {
        throw new JsonParseException("trailing characters after the JSON value");
      }
      return value;
    } catch (IOException | IllegalStateException | NumberFormatException e) {
      throw new JsonParseException(e.getMessage(), e);
    }
  }

  /** Reads one value at the reader's position as a tree (the reader's strictness applies). */
  static JsonElement read(JsonReader reader) throws IOException {
    JsonToken token = reader.peek();
    switch (token) {
      case BEGIN_ARRAY -> {
        JsonArray a = new JsonArray();
        reader.beginArray();
        while (reader.hasNext()) {
          a.add(read(reader));
        }
        reader.endArray();
        return a;
      }
      case BEGIN_OBJECT -> {
        JsonObject o = new JsonObject();
        reader.beginObject();
        while (reader.hasNext()) {
          String name = reader.nextName();
          o.add(name, read(reader));
        }
        reader.endObject();
        return o;
      }
      case STRING -> {
        return new JsonPrimitive(reader.nextString());
      }
      case NUMBER -> {
        return new JsonPrimitive(number(reader.nextString()));
      }
      case BOOLEAN -> {
        return new JsonPrimitive(reader.nextBoolean());
      }
      case NULL -> {
        reader.nextNull();
        return JsonNull.INSTANCE;
      }
      default -> throw new IllegalStateException("expected a JSON value but was " + token);
    }
  }

  /**
   * A number as a {@code long} where it is an integer in range (every number libnftables prints:
   * ports, handles, priorities, counters), so that it equals the same number built in code; else as
   * a {@link BigDecimal}.
   */
  private static Number number(String text) {
    boolean integer = !text.isEmpty() && text.length() <= 18;
    for (int i = 0; integer && i < text.length(); i++) {
      char c = text.charAt(i);
      integer = (c >= '0' && c <= '9') || (i == 0 && c == '-' && text.length() > 1);
    }
    return integer ? Long.parseLong(text) : new BigDecimal(text);
  }

  /** {@code value}'s JSON text, as {@link JsonElement#toString()} writes it. */
  static String text(JsonElement value) {
    StringWriter out = new StringWriter();
    try {
      JsonWriter w = new JsonWriter(out);
      w.setStrictness(Strictness.LENIENT);
      write(value, w);
      w.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringWriter does not fail
    }
    return out.toString();
  }

  private static void write(JsonElement e, JsonWriter w) throws IOException {
    if (e instanceof JsonObject o) {
      w.beginObject();
      for (Map.Entry<String, JsonElement> entry : o.entrySet()) {
        w.name(entry.getKey());
        write(entry.getValue(), w);
      }
      w.endObject();
    } else if (e instanceof JsonArray a) {
      w.beginArray();
      for (JsonElement item : a) {
        write(item, w);
      }
      w.endArray();
    } else if (e instanceof JsonPrimitive p) {
      if (p.isString()) {
        w.value(p.getAsString());
      } else if (p.isBoolean()) {
        w.value(p.getAsBoolean());
      } else {
        w.value(p.getAsNumber());
      }
    } else {
      w.nullValue();
    }
  }

  /** A rule {@link NftRenderer} writes: its expression as libnftables lists it, and its comment. */
  record Rule(JsonArray expr, String comment) {}

  /**
   * The rules {@link NftRenderer} writes for {@code group}, in order: one map rule whose comment
   * counts the redirects, or one rule per redirect described by its comment.
   */
  static List<Rule> rules(NftRenderer.Group group) {
    if (group.mapped()) {
      return List.of(
          new Rule(mapRule(group.head(), group.mapName()), group.rules().size() + " redirects"));
    }
    List<Rule> rules = new ArrayList<>(group.rules().size());
    for (RedirectRule r : group.rules()) {
      rules.add(new Rule(plainRule(r), r.describe()));
    }
    return rules;
  }

  /** The expression of the one rule {@link NftRenderer} writes for {@code rule}. */
  static JsonArray plainRule(RedirectRule rule) {
    JsonArray expr = matches(rule);
    expr.add(match(payload(rule), new JsonPrimitive(rule.fromPort())));
    expr.add(counter());
    expr.add(object("redirect", object("port", new JsonPrimitive(rule.toPort()))));
    return expr;
  }

  /** The expression of the map rule {@link NftRenderer} writes for a group led by {@code head}. */
  static JsonArray mapRule(RedirectRule head, String mapName) {
    JsonArray expr = matches(head);
    expr.add(match(payload(head), new JsonPrimitive("@" + mapName)));
    expr.add(counter());
    JsonObject map = new JsonObject();
    map.add("key", payload(head));
    map.addProperty("data", "@" + mapName);
    expr.add(object("redirect", object("port", object("map", map))));
    return expr;
  }

  private static JsonArray matches(RedirectRule rule) {
    JsonArray expr = new JsonArray();
    if (rule.scope() == Scope.INCOMING) {
      rule.inputInterface()
          .ifPresent(
              i ->
                  expr.add(match(meta("iifname"), new JsonPrimitive(NftRenderer.nftInterface(i)))));
    } else {
      expr.add(match(meta("oifname"), new JsonPrimitive("lo")));
    }
    if (rule.singleFamily()) {
      expr.add(match(meta("nfproto"), new JsonPrimitive(rule.family().keyword())));
    }
    if (rule.scope() == Scope.INCOMING) {
      JsonObject fib = new JsonObject();
      fib.addProperty("result", "type");
      JsonArray flags = new JsonArray();
      flags.add("daddr");
      fib.add("flags", flags);
      expr.add(match(object("fib", fib), new JsonPrimitive("local")));
    }
    return expr;
  }

  private static JsonObject payload(RedirectRule rule) {
    JsonObject payload = new JsonObject();
    payload.addProperty("protocol", rule.protocol().keyword());
    payload.addProperty("field", "dport");
    return object("payload", payload);
  }

  private static JsonObject meta(String key) {
    return object("meta", object("key", new JsonPrimitive(key)));
  }

  private static JsonObject match(JsonElement left, JsonElement right) {
    JsonObject match = new JsonObject();
    match.addProperty("op", "==");
    match.add("left", left);
    match.add("right", right);
    return object("match", match);
  }

  private static JsonObject counter() {
    return object("counter", new JsonObject());
  }

  private static JsonObject object(String key, JsonElement value) {
    JsonObject o = new JsonObject();
    o.add(key, value);
    return o;
  }

  /**
   * The canonical text of a rule's expression list: keys sorted, and an anonymous counter's values
   * dropped (they count packets, they do not change what the rule does).
   */
  static String canonical(JsonArray expr) {
    StringBuilder out = new StringBuilder(64 * expr.size());
    out.append('[');
    for (int i = 0; i < expr.size(); i++) {
      if (i > 0) {
        out.append(',');
      }
      write(withoutCounterValues(expr.get(i)), out);
    }
    return out.append(']').toString();
  }

  /** The canonical text of any value: object keys sorted, nothing else changed. */
  static String canonical(JsonElement value) {
    StringBuilder out = new StringBuilder();
    write(value, out);
    return out.toString();
  }

  private static JsonElement withoutCounterValues(JsonElement e) {
    if (e.isJsonObject()
        && e.getAsJsonObject().size() == 1
        && e.getAsJsonObject().get("counter") instanceof JsonObject) {
      return counter();
    }
    return e;
  }

  private static void write(JsonElement e, StringBuilder out) {
    if (e.isJsonObject()) {
      Map<String, JsonElement> sorted = new TreeMap<>(e.getAsJsonObject().asMap());
      out.append('{');
      boolean first = true;
      for (Map.Entry<String, JsonElement> entry : sorted.entrySet()) {
        if (!first) {
          out.append(',');
        }
        first = false;
        out.append(text(new JsonPrimitive(entry.getKey()))).append(':');
        write(entry.getValue(), out);
      }
      out.append('}');
    } else if (e.isJsonArray()) {
      out.append('[');
      JsonArray a = e.getAsJsonArray();
      for (int i = 0; i < a.size(); i++) {
        if (i > 0) {
          out.append(',');
        }
        write(a.get(i), out);
      }
      out.append(']');
    } else {
      out.append(text(e));
    }
  }

  /**
   * One expression in nft's own words where it is one of the forms privport renders ({@code fib
   * saddr type local}, {@code tcp dport 80}, {@code redirect to :8080}); its canonical JSON
   * otherwise.
   */
  static String describe(JsonElement e) {
    if (e.isJsonPrimitive()) {
      return e.getAsString();
    }
    if (e.isJsonArray()
        && e.getAsJsonArray().asList().stream().allMatch(JsonElement::isJsonPrimitive)) {
      List<String> words = new ArrayList<>();
      e.getAsJsonArray().forEach(w -> words.add(w.getAsString()));
      return String.join(",", words);
    }
    if (e.isJsonObject()
        && e.getAsJsonObject().size() == 1
        && e.getAsJsonObject().entrySet().iterator().next().getValue().isJsonNull()) {
      return e.getAsJsonObject().keySet().iterator().next(); // a verdict: {"accept": null}
    }
    if (e.isJsonObject() && e.getAsJsonObject().size() == 1) {
      JsonObject o = e.getAsJsonObject();
      if (o.get("counter") instanceof JsonObject) {
        return "counter";
      }
      if (o.get("match") instanceof JsonObject m
          && m.get("op") instanceof JsonPrimitive op
          && m.has("left")
          && m.has("right")) {
        String left = operand(m.get("left"));
        String right = operand(m.get("right"));
        if (left != null && right != null) {
          String operator = op.getAsString();
          return left + ("==".equals(operator) ? " " : " " + operator + " ") + right;
        }
      }
      if (o.get("redirect") instanceof JsonObject r && r.size() == 1 && r.has("port")) {
        JsonElement port = r.get("port");
        if (port.isJsonPrimitive()) {
          return "redirect to :" + port.getAsString();
        }
        if (port instanceof JsonObject p
            && p.get("map") instanceof JsonObject map
            && operand(map.get("key")) != null
            && map.get("data") instanceof JsonPrimitive data) {
          return "redirect to :" + operand(map.get("key")) + " map " + data.getAsString();
        }
      }
    }
    return canonical(e);
  }

  /** A match operand in nft's words, or null when it is not a simple one. */
  private static String operand(JsonElement e) {
    if (e == null) {
      return null;
    }
    if (e.isJsonPrimitive()) {
      return e.getAsJsonPrimitive().getAsString();
    }
    if (!(e instanceof JsonObject o) || o.size() != 1) {
      return null;
    }
    if (o.get("meta") instanceof JsonObject meta && meta.get("key") instanceof JsonPrimitive key) {
      String k = key.getAsString();
      return k.equals("iifname") || k.equals("oifname") ? k : "meta " + k;
    }
    if (o.get("payload") instanceof JsonObject payload
        && payload.get("protocol") instanceof JsonPrimitive protocol
        && payload.get("field") instanceof JsonPrimitive field) {
      return protocol.getAsString() + " " + field.getAsString();
    }
    if (o.get("fib") instanceof JsonObject fib
        && fib.get("result") instanceof JsonPrimitive result
        && fib.get("flags") instanceof JsonArray flags) {
      List<String> names = new ArrayList<>();
      for (JsonElement f : flags) {
        if (!f.isJsonPrimitive()) {
          return null;
        }
        names.add(f.getAsString());
      }
      return "fib " + String.join(" . ", names) + " " + result.getAsString();
    }
    return null;
  }
}
