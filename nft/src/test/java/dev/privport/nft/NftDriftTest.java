package dev.privport.nft;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import dev.privport.testkit.lab.Kernel;
import dev.privport.testkit.lab.Netns;
import dev.privport.testkit.process.TempDirs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@link Nftables#inspect} sees the whole owned table: each test applies a plan in the class's own
 * namespace (emptied before each test), changes one thing behind privport's back with the {@code
 * nft} command, and expects exactly that one difference, named on one line.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NftDriftTest {
  static final RedirectPlan ONE = RedirectPlan.of(80, 8080);
  static final RedirectPlan MAPPED = mapped();

  private static RedirectPlan mapped() {
    RedirectPlan.Builder b = RedirectPlan.builder();
    for (int i = 0; i < 10; i++) {
      b.add(Redirect.tcp(20000 + i, 30000 + i).incomingOnly());
    }
    return b.build();
  }

  static final String RULE =
      "fib daddr type local tcp dport 80 counter redirect to :8080 comment \"tcp 80 -> 8080\"";

  private Netns ns;
  private LibnftablesExecutor nft;
  private Path stateDir;

  @BeforeAll
  void start() throws IOException {
    Kernel.requireRoot();
    Kernel.requireCommand("nft");
    Kernel.require(
        Files.exists(Path.of("/usr/lib/x86_64-linux-gnu/libnftables.so.1"))
            || Files.exists(Path.of("/usr/lib64/libnftables.so.1"))
            || Files.exists(Path.of("/usr/lib/libnftables.so.1")),
        "libnftables.so.1 is not installed (Debian: apt-get install libnftables1)");
    ns = Netns.create();
    // a state directory of the test's own: never the host's /run/privport
    stateDir = Files.createTempDirectory("privport-drift-");
    nft = ns.call(() -> Nftables.open(StateDirectory.at(stateDir.resolve("state"))));
  }

  @AfterAll
  void stop() {
    try {
      if (nft != null) nft.close();
    } finally {
      if (ns != null) ns.close();
      TempDirs.delete(stateDir);
    }
  }

  @BeforeEach
  void emptyRuleset() {
    ns.sh("nft", "flush", "ruleset");
  }

  private void nftScript(String script) {
    ns.execWithInput(script, "nft", "-f", "-").orThrow();
  }

  private List<String> differences(RedirectPlan plan) {
    PlanStatus status = nft.inspect(plan);
    assertThat(status.present()).isTrue();
    List<String> lines = status.differences().stream().map(Difference::line).toList();
    assertThat(status.inSync()).as("%s", lines).isEqualTo(lines.isEmpty());
    return lines;
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
  void aFreshlyAppliedPlanHasNoDifference() {
    nft.apply(ONE);
    assertThat(differences(ONE)).isEmpty();
    nft.apply(MAPPED);
    assertThat(differences(MAPPED)).isEmpty();
  }

  @Test
  void aDormantTable() {
    nft.apply(ONE);
    ns.sh("nft", "add", "table", "inet", "privport", "{ flags dormant; }");
    assertThat(differences(ONE)).containsExactly("table: flags dormant, plan says none");
  }

  @Test
  void aChainPolicyDrop() {
    nft.apply(ONE);
    ns.sh("nft", "chain", "inet", "privport", "incoming", "{ policy drop; }");
    assertThat(differences(ONE)).containsExactly("chain incoming: policy drop, plan says accept");
  }

  @Test
  void anExtraBaseChain() {
    nft.apply(ONE);
    ns.sh(
        "nft",
        "add",
        "chain",
        "inet",
        "privport",
        "sneaky",
        "{ type filter hook output priority 0; policy drop; }");
    assertThat(differences(ONE))
        .containsExactly(
            "chain sneaky: not in the plan (type filter hook output priority 0 policy drop, 0 rules)");
  }

  /** Recreates chain incoming with {@code spec} (empty: a regular chain) and the plan's rule. */
  private void recreateIncoming(String spec) {
    nft.apply(ONE);
    nftScript(
        "flush chain inet privport incoming\n"
            + "delete chain inet privport incoming\n"
            + "add chain inet privport incoming "
            + spec
            + "\n"
            + "add rule inet privport incoming "
            + RULE
            + "\n");
  }

  @Test
  void aPlanChainMadeRegular() {
    recreateIncoming("");
    assertThat(differences(ONE))
        .containsExactly(
            "chain incoming: a regular chain, plan says a base chain: type nat hook prerouting"
                + " priority -100 policy accept");
  }

  @Test
  void aPlanChainMovedToAnotherHook() {
    recreateIncoming("{ type nat hook output priority -100; policy accept; }");
    assertThat(differences(ONE))
        .containsExactly("chain incoming: hook output, plan says prerouting");
  }

  @Test
  void aPlanChainWithAnotherPriority() {
    recreateIncoming("{ type nat hook prerouting priority -90; policy accept; }");
    assertThat(differences(ONE)).containsExactly("chain incoming: priority -90, plan says -100");
  }

  @Test
  void fibSaddrWhereThePlanSaysFibDaddr() {
    nft.apply(ONE);
    long handle = handleOf("incoming", "tcp dport 80");
    ns.sh(
        "nft",
        "replace rule inet privport incoming handle "
            + handle
            + " "
            + RULE.replace("fib daddr", "fib saddr"));
    assertThat(differences(ONE))
        .containsExactly(
            "chain incoming: rule \"tcp 80 -> 8080\" (handle "
                + handle
                + "): fib saddr type local, plan says fib daddr type local");
    assertThat(nft.inspect(ONE).missing()).hasSize(1);
  }

  @Test
  void anExtraMap() {
    nft.apply(ONE);
    ns.sh(
        "nft",
        "add map inet privport extra { type inet_service : inet_service; elements = { 1 : 2 }; }");
    assertThat(differences(ONE))
        .containsExactly(
            "map extra: not in the plan (type inet_service : inet_service, 1 element)");
  }

  @Test
  void anExtraElement() {
    nft.apply(MAPPED);
    ns.sh("nft", "add element inet privport incoming_tcp { 81 : 8081 }");
    assertThat(differences(MAPPED))
        .containsExactly("map incoming_tcp: element 81 : 8081 not in the plan");
  }

  @Test
  void aMissingElement() {
    nft.apply(MAPPED);
    ns.sh("nft", "delete element inet privport incoming_tcp { 20003 }");
    assertThat(differences(MAPPED))
        .containsExactly("map incoming_tcp: element 20003 missing, plan says 20003 : 30003");
  }

  @Test
  void anElementRedirectedElsewhere() {
    nft.apply(MAPPED);
    nftScript(
        "delete element inet privport incoming_tcp { 20003 }\n"
            + "add element inet privport incoming_tcp { 20003 : 9999 }\n");
    assertThat(differences(MAPPED))
        .containsExactly("map incoming_tcp: element 20003 : 9999, plan says 20003 : 30003");
  }

  @Test
  void aRuleAddedByHand() {
    nft.apply(ONE);
    ns.sh("nft", "add rule inet privport local tcp dport 22 accept");
    long handle = handleOf("local", "dport 22");
    assertThat(differences(ONE))
        .containsExactly(
            "chain local: rule (handle " + handle + ") not in the plan: tcp dport 22 accept");
    assertThat(nft.inspect(ONE).unrecognised()).hasSize(1);
  }

  @Test
  void aRuleDeletedByHand() {
    nft.apply(ONE);
    ns.sh(
        "nft", "delete rule inet privport incoming handle " + handleOf("incoming", "tcp dport 80"));
    assertThat(differences(ONE))
        .containsExactly(
            "chain incoming: rule \"tcp 80 -> 8080\" missing, plan says fib daddr type local tcp"
                + " dport 80 counter redirect to :8080");
  }

  @Test
  void rulesInAnotherOrder() {
    RedirectPlan two =
        RedirectPlan.builder()
            .add(Redirect.tcp(80, 8080).localOnly())
            .add(Redirect.tcp(443, 8443).localOnly())
            .build();
    nft.apply(two);
    long first = handleOf("local", "dport 80");
    // Move the first rule to the end: same rules, other order (which decides what matches first).
    nftScript(
        "delete rule inet privport local handle "
            + first
            + "\nadd rule inet privport local oifname \"lo\" tcp dport 80 counter redirect to :8080"
            + " comment \"tcp 80 -> 8080\"\n");
    assertThat(differences(two))
        .containsExactly(
            "chain local: rules in another order than the plan, from handle "
                + handleOf("local", "dport 443"));
  }

  @Test
  void aCommentChanged() {
    nft.apply(ONE);
    long handle = handleOf("local", "tcp dport 80");
    ns.sh(
        "nft",
        "replace rule inet privport local handle "
            + handle
            + " oifname \"lo\" tcp dport 80 counter redirect to :8080 comment \"edited\"");
    assertThat(differences(ONE))
        .containsExactly(
            "chain local: rule (handle "
                + handle
                + ") has comment \"edited\", plan says \"tcp 80 -> 8080\"");
  }

  @Test
  void aMapGivenFlags() {
    nft.apply(MAPPED);
    // A map's flags cannot change in place: recreate it as an interval map with the same elements.
    StringBuilder elements = new StringBuilder();
    for (int i = 0; i < 10; i++) {
      elements.append(i > 0 ? ", " : "").append(20000 + i).append(" : ").append(30000 + i);
    }
    String rule =
        ns.sh("nft", "list chain inet privport incoming")
            .lines()
            .filter(l -> l.contains("@incoming_tcp"))
            .findFirst()
            .orElseThrow()
            .strip();
    nftScript(
        "flush chain inet privport incoming\n"
            + "delete map inet privport incoming_tcp\n"
            + "add map inet privport incoming_tcp { type inet_service : inet_service; flags interval;"
            + " elements = { "
            + elements
            + " }; }\n"
            + "add rule inet privport incoming "
            + rule
            + "\n");
    assertThat(differences(MAPPED))
        .containsExactly("map incoming_tcp: flags interval, plan says none");
  }
}
