package dev.privport.nft;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import dev.privport.testkit.lab.Kernel;
import dev.privport.testkit.lab.Netns;
import dev.privport.testkit.process.Cmd;
import dev.privport.testkit.traffic.Echo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.SkipExecutionHook;
import net.jqwik.api.statistics.Statistics;

/**
 * The incremental apply equals a full replace: over random sequences of plan changes, an executor
 * that applies each change in one namespace (taking the element path where it can) ends with the
 * same {@code nft -s list table} and the same traffic as {@code nft -f} of the whole plan in a
 * second namespace. The sequences include changes that must fall back to a full replace (a group
 * crossing the map threshold, a rule or an element added behind the executor's back, a flushed
 * ruleset) and trials confirmed or rolled back between incremental applies; the path each apply
 * took is checked where it is known.
 */
@AddLifecycleHook(IncrementalApplyProperties.NeedsKernel.class)
class IncrementalApplyProperties {
  private static final int[] TARGETS = {41_000, 41_001, 41_002, 41_003, 41_004, 41_005};

  private static Netns inc;
  private static Netns ref;
  private static Echo.Servers incServers;
  private static Echo.Servers refServers;
  private static LibnftablesExecutor nft;
  private static Path stateDir;

  /** Skips without root or nft, with the reason; never with PRIVPORT_REQUIRE_KERNEL=1. */
  public static final class NeedsKernel implements SkipExecutionHook {
    @Override
    public SkipResult shouldBeSkipped(LifecycleContext context) {
      if (Kernel.required()) {
        return SkipResult.doNotSkip();
      }
      if (!Kernel.isRoot()) {
        return SkipResult.skip(Kernel.skipReason("this test needs root to create namespaces"));
      }
      if (!Kernel.onPath("nft")) {
        return SkipResult.skip(Kernel.skipReason("the command 'nft' is not installed"));
      }
      return SkipResult.doNotSkip();
    }
  }

  @BeforeContainer
  static void start() throws IOException {
    inc = Netns.create("nftexec");
    ref = Netns.create("nftexec");
    incServers = inc.call(() -> new Echo.Servers(TARGETS));
    refServers = ref.call(() -> new Echo.Servers(TARGETS));
    stateDir = Files.createTempDirectory("privport-incremental-");
    nft = inc.call(() -> Nftables.open(StateDirectory.at(stateDir.resolve("state"))));
  }

  @AfterContainer
  static void stop() {
    try {
      if (nft != null) nft.close();
      if (incServers != null) incServers.close();
      if (refServers != null) refServers.close();
    } finally {
      if (inc != null) inc.close();
      if (ref != null) ref.close();
      if (stateDir != null) Cmd.run("rm", "-rf", "--", stateDir.toString());
    }
  }

  enum Kind {
    /** A new plan, unrelated to the last. */
    NEW,
    /** The last plan with a few redirects added, removed and retargeted in each group. */
    MUTATE,
    /** The last plan with the targets of 1-3 map elements changed. */
    RETARGET,
    /** The last plan with 1-3 elements added to or removed from one map (a new count). */
    GROW,
    /** The last plan again. */
    SAME,
    /**
     * RETARGET (or SAME where there is no map) after a rule was added to the table by hand: a
     * change the element path alone would leave in place.
     */
    FOREIGN_RULE,
    /** RETARGET (or SAME) after a map element was added by hand. */
    FOREIGN_ELEMENT,
    /** RETARGET (or SAME) after {@code nft flush ruleset}. */
    FLUSH,
    /** MUTATE tried ({@link Nftables#begin}) and rolled back. */
    TRIAL_ROLLBACK,
    /** MUTATE tried and confirmed. */
    TRIAL_CONFIRM
  }

  /**
   * One step: its kind, a plan for NEW (three groups: TCP IPv4 local-only, UDP both families and
   * scopes, TCP IPv4 incoming-only, each from-port to a target), and a seed for the changes.
   */
  record Step(
      Kind kind,
      Map<Integer, Integer> local,
      Map<Integer, Integer> udp,
      Map<Integer, Integer> incoming,
      long seed) {}

  @Provide
  Arbitrary<List<Step>> steps() {
    Arbitrary<Integer> target = Arbitraries.of(41_000, 41_001, 41_002, 41_003, 41_004, 41_005);
    Arbitrary<Step> step =
        Combinators.combine(
                Arbitraries.frequencyOf(
                    net.jqwik.api.Tuple.of(2, Arbitraries.just(Kind.NEW)),
                    net.jqwik.api.Tuple.of(4, Arbitraries.just(Kind.MUTATE)),
                    net.jqwik.api.Tuple.of(3, Arbitraries.just(Kind.RETARGET)),
                    net.jqwik.api.Tuple.of(3, Arbitraries.just(Kind.GROW)),
                    net.jqwik.api.Tuple.of(1, Arbitraries.just(Kind.SAME)),
                    net.jqwik.api.Tuple.of(1, Arbitraries.just(Kind.FOREIGN_RULE)),
                    net.jqwik.api.Tuple.of(1, Arbitraries.just(Kind.FOREIGN_ELEMENT)),
                    net.jqwik.api.Tuple.of(1, Arbitraries.just(Kind.FLUSH)),
                    net.jqwik.api.Tuple.of(1, Arbitraries.just(Kind.TRIAL_ROLLBACK)),
                    net.jqwik.api.Tuple.of(1, Arbitraries.just(Kind.TRIAL_CONFIRM))),
                Arbitraries.maps(Arbitraries.integers().between(20_000, 20_015), target)
                    .ofMaxSize(14),
                Arbitraries.maps(Arbitraries.integers().between(21_000, 21_011), target)
                    .ofMaxSize(10),
                Arbitraries.maps(Arbitraries.integers().between(22_000, 22_011), target)
                    .ofMinSize(1)
                    .ofMaxSize(12),
                Arbitraries.longs())
            .as(Step::new);
    return step.list().ofMinSize(3).ofMaxSize(6);
  }

  /** The three groups of a plan, from-port to target. */
  private record Groups(
      TreeMap<Integer, Integer> local,
      TreeMap<Integer, Integer> udp,
      TreeMap<Integer, Integer> incoming) {
    RedirectPlan plan() {
      RedirectPlan.Builder b = RedirectPlan.builder();
      local.forEach((f, t) -> b.add(Redirect.tcp(f, t).ipv4Only().localOnly()));
      udp.forEach((f, t) -> b.add(Redirect.udp(f, t)));
      incoming.forEach((f, t) -> b.add(Redirect.tcp(f, t).ipv4Only().incomingOnly()));
      return b.build();
    }

    Groups copy() {
      return new Groups(new TreeMap<>(local), new TreeMap<>(udp), new TreeMap<>(incoming));
    }
  }

  private static Groups of(Step s) {
    return new Groups(
        new TreeMap<>(s.local()), new TreeMap<>(s.udp()), new TreeMap<>(s.incoming()));
  }

  private static Groups mutate(Groups g, Random random) {
    Groups next = g.copy();
    mutate(next.local, 20_000, 20_015, random);
    mutate(next.udp, 21_000, 21_011, random);
    mutate(next.incoming, 22_000, 22_011, random);
    if (next.incoming.isEmpty()) {
      next.incoming.put(22_000, TARGETS[0]);
    }
    return next;
  }

  private static void mutate(TreeMap<Integer, Integer> group, int low, int high, Random random) {
    for (int i = random.nextInt(3); i > 0 && !group.isEmpty(); i--) {
      List<Integer> keys = new ArrayList<>(group.keySet());
      group.remove(keys.get(random.nextInt(keys.size())));
    }
    for (int i = random.nextInt(3); i > 0; i--) {
      group.put(low + random.nextInt(high - low + 1), TARGETS[random.nextInt(TARGETS.length)]);
    }
    retarget(group, random.nextInt(3), random);
  }

  private static boolean foreignKind(Kind kind) {
    return kind == Kind.FOREIGN_RULE || kind == Kind.FOREIGN_ELEMENT || kind == Kind.FLUSH;
  }

  /**
   * Adds or removes 1-3 elements of a group that is a map and stays one; false when the group is
   * not a map or a free port is lacking.
   */
  private static boolean grow(TreeMap<Integer, Integer> group, int low, int high, Random random) {
    if (group.size() < NftRenderer.MAP_THRESHOLD) {
      return false;
    }
    int n = 1 + random.nextInt(3);
    boolean add = group.size() - n < NftRenderer.MAP_THRESHOLD || random.nextBoolean();
    List<Integer> free = new ArrayList<>();
    for (int p = low; p <= high; p++) {
      if (!group.containsKey(p)) {
        free.add(p);
      }
    }
    if (add && free.size() < n) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      if (add) {
        group.put(
            free.remove(random.nextInt(free.size())), TARGETS[random.nextInt(TARGETS.length)]);
      } else {
        List<Integer> keys = new ArrayList<>(group.keySet());
        group.remove(keys.get(random.nextInt(keys.size())));
      }
    }
    return true;
  }

  private static void retarget(TreeMap<Integer, Integer> group, int n, Random random) {
    for (int i = n; i > 0 && !group.isEmpty(); i--) {
      List<Integer> keys = new ArrayList<>(group.keySet());
      int key = keys.get(random.nextInt(keys.size()));
      int now = group.get(key);
      group.put(key, now == TARGETS[TARGETS.length - 1] ? TARGETS[0] : now + 1);
    }
  }

  @Property(tries = 12)
  void theIncrementalPathEndsAsAFullReplaceDoes(@ForAll("steps") List<Step> steps) {
    inc.sh("nft", "flush", "ruleset");
    ref.sh("nft", "flush", "ruleset");
    Groups current = null; // what both namespaces hold
    boolean recorded = false; // whether the executor knows the table (its last act was an apply)
    for (Step s : steps) {
      Random random = new Random(s.seed());
      Kind kind = current == null && s.kind() != Kind.NEW ? Kind.NEW : s.kind();
      Groups next =
          switch (kind) {
            case NEW -> of(s);
            case SAME -> current;
            case RETARGET, GROW, FOREIGN_RULE, FOREIGN_ELEMENT, FLUSH -> current.copy();
            default -> mutate(current, random);
          };
      boolean mappedRetarget = false;
      if (kind == Kind.RETARGET || foreignKind(kind)) {
        for (TreeMap<Integer, Integer> group : List.of(next.local, next.udp, next.incoming)) {
          if (group.size() >= NftRenderer.MAP_THRESHOLD) {
            retarget(group, 1 + random.nextInt(3), random);
            mappedRetarget = true;
            break;
          }
        }
      }
      boolean mappedGrowth = false;
      if (kind == Kind.GROW) {
        mappedGrowth =
            grow(next.local, 20_000, 20_015, random) || grow(next.udp, 21_000, 21_011, random);
      }
      RedirectPlan plan = next.plan();
      boolean foreign = false;
      switch (kind) {
        case FOREIGN_RULE -> {
          inc.sh("nft", "add rule inet privport incoming tcp dport 9 counter accept");
          foreign = true;
        }
        case FOREIGN_ELEMENT -> {
          for (NftRenderer.Group g : NftRenderer.groups(current.plan().rules())) {
            if (g.mapped()) {
              inc.sh("nft", "add element inet privport " + g.mapName() + " { 29999 : 41000 }");
              foreign = true;
              break;
            }
          }
        }
        case FLUSH -> {
          inc.sh("nft", "flush ruleset");
          foreign = true;
        }
        default -> {}
      }
      Groups expected;
      if (kind == Kind.TRIAL_ROLLBACK) {
        Trial trial = nft.begin(plan);
        assertThat(trial.rollback().restored()).isTrue();
        expected = current;
        recorded = false;
      } else if (kind == Kind.TRIAL_CONFIRM) {
        nft.begin(plan).confirm();
        expected = next;
        recorded = false;
      } else {
        boolean existed = current != null && kind != Kind.FLUSH;
        // From a thread in the namespace: the executor reads the generation only from there.
        inc.call(
            () -> {
              nft.apply(plan);
              return null;
            });
        LibnftablesExecutor.ApplyPath path = nft.lastPath();
        Statistics.collect(kind, path);
        if (foreign) {
          assertThat(path)
              .as("after a change behind the executor's back")
              .isIn(LibnftablesExecutor.ApplyPath.FULL, LibnftablesExecutor.ApplyPath.FRESH);
        } else if (!existed) {
          assertThat(path).isEqualTo(LibnftablesExecutor.ApplyPath.FRESH);
        } else if (!recorded) {
          assertThat(path).isEqualTo(LibnftablesExecutor.ApplyPath.FULL);
        } else if (kind == Kind.SAME) {
          assertThat(path).isEqualTo(LibnftablesExecutor.ApplyPath.UNCHANGED);
        } else if ((kind == Kind.RETARGET && mappedRetarget)
            || (kind == Kind.GROW && mappedGrowth)) {
          assertThat(path).isEqualTo(LibnftablesExecutor.ApplyPath.INCREMENTAL);
        }
        expected = next;
        recorded = true;
      }
      ref.execWithInput(expected.plan().toNft(), "nft", "-f", "-").orThrow();
      assertThat(listing(inc)).as("after %s", kind).isEqualTo(listing(ref));
      sameTraffic(expected, current, next, random);
      current = expected;
    }
  }

  private static String listing(Netns ns) {
    Cmd.Result r = ns.exec("nft", "-s", "list", "table", "inet", "privport");
    return r.stdout() + r.stderr();
  }

  /** TCP to local redirects (and UDP to a few), in both namespaces: the same answers. */
  private static void sameTraffic(Groups expected, Groups before, Groups after, Random random) {
    TreeSet<Integer> tcp = new TreeSet<>(expected.local.keySet());
    if (before != null) tcp.addAll(before.local.keySet());
    tcp.addAll(after.local.keySet());
    List<Integer> ports = new ArrayList<>(tcp);
    java.util.Collections.shuffle(ports, random);
    for (int port : ports.subList(0, Math.min(6, ports.size()))) {
      String got = inc.call(() -> Echo.tcp("127.0.0.1", port));
      assertThat(got).as("tcp %d", port).isEqualTo(ref.call(() -> Echo.tcp("127.0.0.1", port)));
      Integer to = expected.local.get(port);
      assertThat(got).as("tcp %d", port).isEqualTo(to == null ? "refused" : "port=" + to);
    }
    List<Integer> udp = new ArrayList<>(expected.udp.keySet());
    java.util.Collections.shuffle(udp, random);
    for (int port : udp.subList(0, Math.min(2, udp.size()))) {
      String got = inc.call(() -> Echo.udp("127.0.0.1", port));
      assertThat(got).as("udp %d", port).isEqualTo("port=" + expected.udp.get(port));
      assertThat(ref.call(() -> Echo.udp("127.0.0.1", port))).isEqualTo(got);
    }
  }
}
