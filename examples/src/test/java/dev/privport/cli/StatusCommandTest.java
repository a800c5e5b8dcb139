package dev.privport.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.privport.nft.StateDirectory;
import dev.privport.testkit.lab.Kernel;
import dev.privport.testkit.lab.Netns;
import dev.privport.testkit.process.TempDirs;
import dev.privport.testkit.traffic.Echo;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code privport status} and {@code status --json} in a namespace of the test's own: exit 0 only
 * when the table is exactly as planned; each drift made with {@code nft} is one {@code drift:} line
 * and one entry of the JSON's {@code differences}, with exit 1. The command runs in-process on a
 * thread inside the namespace, so its libnftables context lives there.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StatusCommandTest {
  private static final String RULE =
      "fib daddr type local tcp dport 80 counter redirect to :8080 comment \"tcp 80 -> 8080\"";
  private static final String[] ONE = {"80:8080"};
  private static final String[] MAPPED = {"20000-20009:30000", "--incoming-only"};

  private Netns ns;
  private Path stateDir;
  private String stateProperty;

  record Run(int exitCode, String stdout, String stderr) {}

  @BeforeAll
  void start() throws IOException {
    Kernel.requireRoot();
    Kernel.requireCommand("nft");
    ns = Netns.create();
    // apply runs in this JVM: its lock goes to a directory of the test's own, not /run/privport
    stateDir = Files.createTempDirectory("privport-status-");
    stateProperty =
        System.setProperty(StateDirectory.PROPERTY, stateDir.resolve("state").toString());
  }

  @AfterAll
  void stop() {
    if (ns != null) ns.close();
    if (stateDir != null) {
      if (stateProperty == null) {
        System.clearProperty(StateDirectory.PROPERTY);
      } else {
        System.setProperty(StateDirectory.PROPERTY, stateProperty);
      }
      TempDirs.delete(stateDir);
    }
  }

  @BeforeEach
  void empty() {
    ns.sh("nft", "flush", "ruleset");
  }

  private Run privport(String... args) {
    return ns.call(
        () -> {
          StringWriter out = new StringWriter();
          StringWriter err = new StringWriter();
          int code = Privport.run(args, new PrintWriter(out), new PrintWriter(err));
          return new Run(code, out.toString(), err.toString());
        });
  }

  private static String[] concat(String first, String[] rest) {
    return Stream.concat(Stream.of(first), Stream.of(rest)).toArray(String[]::new);
  }

  private Run status(String... plan) {
    return privport(concat("status", plan));
  }

  private JsonObject json(int exitCode, String... plan) {
    Run r = privport(concat("status", concat("--json", plan)));
    assertThat(r.exitCode()).as(r.stderr()).isEqualTo(exitCode);
    assertThat(r.stderr()).isEmpty();
    JsonObject o = JsonParser.parseString(r.stdout()).getAsJsonObject();
    assertThat(o.get("schema").getAsString()).isEqualTo("privport.status/1");
    return o;
  }

  private static List<String> lines(JsonObject status) {
    List<String> out = new ArrayList<>();
    for (JsonElement d : status.getAsJsonArray("differences")) {
      JsonObject o = d.getAsJsonObject();
      assertThat(o.get("line").getAsString())
          .isEqualTo(o.get("object").getAsString() + ": " + o.get("text").getAsString());
      out.add(o.get("line").getAsString());
    }
    return out;
  }

  private void apply(String... plan) {
    Run r = privport(concat("apply", concat("--keep-flows", plan)));
    assertThat(r.exitCode()).as(r.stderr()).isZero();
  }

  private long handleOf(String chain, String text) {
    for (String line : ns.sh("nft", "-a", "list", "chain", "inet", "privport", chain).split("\n")) {
      if (line.contains(text)) {
        return Long.parseLong(line.substring(line.lastIndexOf("handle ") + 7).strip());
      }
    }
    throw new AssertionError("no rule with " + text + " in chain " + chain);
  }

  @Test
  void absentThenInSyncWithCountersFromRealTraffic() throws Exception {
    Run absent = status(ONE);
    assertThat(absent.exitCode()).isEqualTo(1);
    assertThat(absent.stdout()).contains("table inet privport: absent");
    JsonObject absentJson = json(1, ONE);
    assertThat(absentJson.getAsJsonObject("table").get("present").getAsBoolean()).isFalse();
    assertThat(absentJson.get("inSync").getAsBoolean()).isFalse();

    apply(ONE);
    try (Echo.Servers servers = ns.call(() -> new Echo.Servers(80, 8080))) {
      assertThat(ns.call(() -> Echo.tcp("127.0.0.1", 80))).isEqualTo("port=8080");
    }
    Run ok = status(ONE);
    assertThat(ok.exitCode()).as(ok.stdout()).isZero();
    assertThat(ok.stdout())
        .contains("local     *          tcp 80 -> 8080         yes             1")
        .endsWith("in sync with the plan\n")
        .doesNotContain("drift");

    JsonObject json = json(0, ONE);
    assertThat(json.get("inSync").getAsBoolean()).isTrue();
    assertThat(json.getAsJsonObject("table").get("name").getAsString()).isEqualTo("privport");
    assertThat(json.getAsJsonArray("differences")).isEmpty();
    JsonArray redirects = json.getAsJsonArray("redirects");
    assertThat(redirects).hasSize(2);
    JsonObject local = null;
    for (JsonElement e : redirects) {
      JsonObject r = e.getAsJsonObject();
      assertThat(r.get("live").getAsBoolean()).isTrue();
      assertThat(r.get("protocol").getAsString()).isEqualTo("tcp");
      assertThat(r.get("from").getAsInt()).isEqualTo(80);
      assertThat(r.get("to").getAsInt()).isEqualTo(8080);
      if (r.get("scope").getAsString().equals("local")) {
        local = r;
      }
    }
    assertThat(local).isNotNull();
    assertThat(local.get("packets").getAsLong()).isEqualTo(1);
    assertThat(local.get("bytes").getAsLong()).isPositive();
    assertThat(local.get("chain").getAsString()).isEqualTo("local");
    assertThat(local.get("interface").isJsonNull()).isTrue();
  }

  /** A drift made by hand, and the one line status must report for it. */
  record Drift(
      String name,
      String[] plan,
      List<String> nftScripts,
      Function<StatusCommandTest, String> line) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Arguments> drifts() {
    String recreate =
        "flush chain inet privport incoming\n"
            + "delete chain inet privport incoming\n"
            + "add chain inet privport incoming %s\n"
            + "add rule inet privport incoming "
            + RULE
            + "\n";
    return Stream.of(
            new Drift(
                "dormant table",
                ONE,
                List.of("add table inet privport { flags dormant; }"),
                t -> "table: flags dormant, plan says none"),
            new Drift(
                "policy drop",
                ONE,
                List.of("chain inet privport incoming { policy drop; }"),
                t -> "chain incoming: policy drop, plan says accept"),
            new Drift(
                "extra base chain",
                ONE,
                List.of(
                    "add chain inet privport sneaky { type filter hook output priority 0; policy drop; }"),
                t ->
                    "chain sneaky: not in the plan (type filter hook output priority 0 policy drop, 0"
                        + " rules)"),
            new Drift(
                "regular chain",
                ONE,
                List.of(String.format(recreate, "")),
                t ->
                    "chain incoming: a regular chain, plan says a base chain: type nat hook"
                        + " prerouting priority -100 policy accept"),
            new Drift(
                "other hook",
                ONE,
                List.of(
                    String.format(
                        recreate, "{ type nat hook output priority -100; policy accept; }")),
                t -> "chain incoming: hook output, plan says prerouting"),
            new Drift(
                "other priority",
                ONE,
                List.of(
                    String.format(
                        recreate, "{ type nat hook prerouting priority -90; policy accept; }")),
                t -> "chain incoming: priority -90, plan says -100"),
            new Drift(
                "fib saddr",
                ONE,
                List.of(
                    "flush chain inet privport incoming\nadd rule inet privport incoming "
                        + RULE.replace("fib daddr", "fib saddr")
                        + "\n"),
                t ->
                    "chain incoming: rule \"tcp 80 -> 8080\" (handle "
                        + t.handleOf("incoming", "tcp dport 80")
                        + "): fib saddr type local, plan says fib daddr type local"),
            new Drift(
                "extra map",
                ONE,
                List.of(
                    "add map inet privport extra { type inet_service : inet_service; elements = { 1 :"
                        + " 2 }; }"),
                t -> "map extra: not in the plan (type inet_service : inet_service, 1 element)"),
            new Drift(
                "extra element",
                MAPPED,
                List.of("add element inet privport incoming_tcp { 81 : 8081 }"),
                t -> "map incoming_tcp: element 81 : 8081 not in the plan"),
            new Drift(
                "missing element",
                MAPPED,
                List.of("delete element inet privport incoming_tcp { 20003 }"),
                t -> "map incoming_tcp: element 20003 missing, plan says 20003 : 30003"))
        .map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("drifts")
  void eachDriftIsOneLineAndExit1(Drift drift) {
    apply(drift.plan());
    assertThat(status(drift.plan()).exitCode()).as("in sync before the drift").isZero();
    for (String script : drift.nftScripts()) {
      ns.execWithInput(script + "\n", "nft", "-f", "-").orThrow();
    }
    String line = drift.line().apply(this);

    Run text = status(drift.plan());
    assertThat(text.exitCode()).as(text.stdout()).isEqualTo(1);
    assertThat(text.stdout().lines().filter(l -> l.startsWith("drift: ")))
        .containsExactly("drift: " + line);
    assertThat(text.stdout()).endsWith("NOT in sync with the plan: 1 difference\n");

    JsonObject json = json(1, drift.plan());
    assertThat(json.get("inSync").getAsBoolean()).isFalse();
    assertThat(json.getAsJsonObject("table").get("present").getAsBoolean()).isTrue();
    assertThat(lines(json)).containsExactly(line);
  }
}
