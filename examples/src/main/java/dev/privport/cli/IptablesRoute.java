package dev.privport.cli;

import dev.privport.core.Command;
import dev.privport.core.CommandRunner;
import dev.privport.core.Family;
import dev.privport.core.RedirectPlan;
import dev.privport.core.RedirectRule;
import dev.privport.core.Scope;
import dev.privport.core.SubprocessRunner;
import dev.privport.iptables.IptablesArgs;
import dev.privport.nft.StateDirectory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The iptables route: the plan's nat chains ({@code PRIVPORT[-NAME]-IN}, {@code -LOCAL}) and their
 * jumps, as the iptables backend renders them, through the host's {@code iptables} (iptables-nft or
 * iptables-legacy, whichever {@code iptables} is).
 *
 * <p>It reads the nat table with {@code iptables-save -c -t nat} (one process per family), works
 * out the difference to the plan, and writes it with one {@code iptables-restore --noflush} per
 * family. A restore is one transaction, so a rejected change leaves that family as it was, where
 * the guarded per-rule commands of {@code renderAll} would stop half-way; and two processes cost
 * what hundreds of commands would. Nothing is written when the live chains already are the plan, so
 * applying twice keeps the counters. Should the second family's restore fail, the first one's is
 * put back. Only the plan's chains and the plan's jumps to them are touched; every other rule stays
 * where it is.
 */
final class IptablesRoute implements Route {
  private static final long TIMEOUT_SECONDS = 120;

  @Override
  public String target(RedirectPlan plan) {
    return "iptables nat chains "
        + IptablesArgs.chain(plan, Scope.INCOMING)
        + ", "
        + IptablesArgs.chain(plan, Scope.LOCAL);
  }

  /**
   * One rule in a chain as {@code iptables-save} prints it, after {@code -A CHAIN}.
   *
   * @param spec the rule's words
   * @param packets its packet counter
   * @param bytes its byte counter
   */
  record Line(String spec, long packets, long bytes) {}

  /**
   * What one family's nat table holds of a plan.
   *
   * @param chains the plan's chains that exist, each with its rules in order
   * @param jumps every rule, in any other chain, that jumps to one of the plan's chains, as {@code
   *     -A CHAIN words}
   */
  record Snapshot(Map<String, List<Line>> chains, List<String> jumps) {
    Snapshot {
      chains = new LinkedHashMap<>(chains);
      jumps = List.copyOf(jumps);
    }

    static final Snapshot EMPTY = new Snapshot(Map.of(), List.of());

    boolean isEmpty() {
      return chains.isEmpty() && jumps.isEmpty();
    }
  }

  // ---- what the plan wants ----

  /** What the plan puts into {@code family}'s nat table. */
  static Snapshot planned(RedirectPlan plan, Family family) {
    Map<String, List<Line>> chains = new LinkedHashMap<>();
    List<String> jumps = new ArrayList<>();
    for (Scope scope : Scope.values()) {
      List<Line> lines = new ArrayList<>();
      for (RedirectRule r : plan.rules()) {
        if (r.scope() == scope && r.families().contains(family)) {
          lines.add(new Line(spec(r), 0, 0));
        }
      }
      if (!lines.isEmpty()) {
        String chain = IptablesArgs.chain(plan, scope);
        chains.put(chain, lines);
        jumps.add(jump(plan, scope));
      }
    }
    return new Snapshot(chains, jumps);
  }

  private static String spec(RedirectRule r) {
    return IptablesArgs.restoreWords(IptablesArgs.ruleArgs(r));
  }

  private static String jump(RedirectPlan plan, Scope scope) {
    return "-A "
        + IptablesArgs.builtinChain(scope)
        + " "
        + IptablesArgs.restoreWords(IptablesArgs.scopeGuard(scope))
        + " -j "
        + IptablesArgs.chain(plan, scope);
  }

  private static Set<String> chainNames(RedirectPlan plan) {
    return Set.of(IptablesArgs.chain(plan, Scope.INCOMING), IptablesArgs.chain(plan, Scope.LOCAL));
  }

  // ---- reading ----

  /** What {@code family}'s nat table holds of the plan now. */
  Snapshot read(RedirectPlan plan, Family family) {
    String program = program(family, "-save");
    if (SubprocessRunner.locate(program).isEmpty()) {
      return Snapshot.EMPTY; // no such iptables: nothing of the plan can be there
    }
    Result r = run(List.of(program, "-c", "-t", IptablesArgs.TABLE), "");
    if (r.status() != 0) {
      throw new IllegalStateException(
          program + " -c -t nat exited " + r.status() + ": " + oneLine(r.output()));
    }
    return parse(r.output(), chainNames(plan));
  }

  /** The plan's part of an {@code iptables-save -c} listing of the nat table. */
  static Snapshot parse(String save, Set<String> ours) {
    Map<String, List<Line>> chains = new LinkedHashMap<>();
    List<String> jumps = new ArrayList<>();
    for (String raw : save.split("\n", -1)) {
      String line = raw.strip();
      if (line.startsWith(":")) {
        String name = line.substring(1).split(" ", 2)[0];
        if (ours.contains(name)) chains.put(name, new ArrayList<>());
        continue;
      }
      long packets = 0;
      long bytes = 0;
      if (line.startsWith("[")) {
        int end = line.indexOf("] ");
        String[] counters = line.substring(1, Math.max(1, end)).split(":");
        if (end > 0 && counters.length == 2) {
          try {
            packets = Long.parseLong(counters[0]);
            bytes = Long.parseLong(counters[1]);
          } catch (NumberFormatException e) {
            // Not a user's mistake (exit 2) but a listing this route cannot read: fail, one line.
            throw new IllegalStateException(
                "iptables-save printed counters privport cannot read: " + oneLine(raw), e);
          }
          line = line.substring(end + 2);
        }
      }
      if (!line.startsWith("-A ")) {
        continue;
      }
      String[] parts = line.split(" ", 3);
      String chain = parts[1];
      if (ours.contains(chain)) {
        chains
            .computeIfAbsent(chain, c -> new ArrayList<>())
            .add(new Line(parts.length > 2 ? parts[2] : "", packets, bytes));
      } else if (targetsAny(line, ours)) {
        jumps.add(line);
      }
    }
    return new Snapshot(chains, jumps);
  }

  private static boolean targetsAny(String line, Set<String> ours) {
    String[] w = line.split(" ");
    for (int i = 0; i + 1 < w.length; i++) {
      if ((w[i].equals("-j") || w[i].equals("-g")) && ours.contains(w[i + 1])) {
        return true;
      }
    }
    return false;
  }

  // ---- comparing ----

  @Override
  public Inspection inspect(RedirectPlan plan) {
    Map<Family, Snapshot> live = readAll(plan);
    List<String> differences = new ArrayList<>();
    boolean present = false;
    for (Family f : Family.values()) {
      present |= !live.get(f).isEmpty();
      differences.addAll(differences(program(f, ""), planned(plan, f), live.get(f)));
    }
    // Each family's rules by chain and words, so the lookup per redirect costs constant time.
    Map<Family, Map<String, Line>> index = new EnumMap<>(Family.class);
    for (Family f : Family.values()) {
      Map<String, Line> lines = new HashMap<>();
      live.get(f)
          .chains()
          .forEach((chain, ls) -> ls.forEach(l -> lines.putIfAbsent(chain + " " + l.spec(), l)));
      index.put(f, lines);
    }
    Map<RedirectRule, Counters> in = new LinkedHashMap<>();
    for (RedirectRule r : plan.rules()) {
      long packets = 0;
      long bytes = 0;
      boolean all = true;
      String key = IptablesArgs.chain(plan, r.scope()) + " " + spec(r);
      String jump = jump(plan, r.scope());
      for (Family f : r.families()) {
        Line line = index.get(f).get(key);
        all &= line != null && live.get(f).jumps().contains(jump);
        if (line != null) {
          packets += line.packets();
          bytes += line.bytes();
        }
      }
      if (all) {
        in.put(r, new Counters(packets, bytes));
      }
    }
    return new Inspection(present, in, differences);
  }

  /** One line per difference between {@code want} and {@code have}, prefixed by {@code program}. */
  static List<String> differences(String program, Snapshot want, Snapshot have) {
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, List<Line>> e : want.chains().entrySet()) {
      String chain = e.getKey();
      List<Line> live = have.chains().get(chain);
      if (live == null) {
        out.add(program + ": chain " + chain + " missing");
        continue;
      }
      List<String> planned = specs(e.getValue());
      List<String> actual = specs(live);
      if (planned.equals(actual)) {
        continue;
      }
      if (!countDifferences(program + ": chain " + chain + ": rule ", planned, actual, out)) {
        out.add(program + ": chain " + chain + ": rules in another order than the plan");
      }
    }
    for (Map.Entry<String, List<Line>> e : have.chains().entrySet()) {
      if (!want.chains().containsKey(e.getKey())) {
        out.add(
            program
                + ": chain "
                + e.getKey()
                + ": not in the plan ("
                + e.getValue().size()
                + (e.getValue().size() == 1 ? " rule)" : " rules)"));
      }
    }
    countDifferences(program + ": jump ", want.jumps(), have.jumps(), out);
    return out;
  }

  /**
   * Adds to {@code out} one line, {@code prefix} and the value, per value that {@code planned} and
   * {@code actual} hold a different number of times; returns whether it added any (when not, the
   * two differ in order only).
   */
  private static boolean countDifferences(
      String prefix, List<String> planned, List<String> actual, List<String> out) {
    Map<String, Integer> want = counts(planned);
    Map<String, Integer> have = counts(actual);
    Set<String> all = new LinkedHashSet<>(planned);
    all.addAll(actual);
    boolean added = false;
    for (String value : all) {
      int w = want.getOrDefault(value, 0);
      int h = have.getOrDefault(value, 0);
      if (w == h) continue;
      added = true;
      out.add(
          prefix
              + value
              + (h == 0
                  ? ": missing"
                  : w == 0 ? ": not in the plan" : ": present " + h + " times, plan says " + w));
    }
    return added;
  }

  private static List<String> specs(List<Line> lines) {
    return lines.stream().map(Line::spec).toList();
  }

  private static Map<String, Integer> counts(List<String> values) {
    Map<String, Integer> out = new HashMap<>();
    values.forEach(v -> out.merge(v, 1, Integer::sum));
    return out;
  }

  // ---- writing ----

  /**
   * The {@code iptables-restore --noflush} input that turns {@code from} into {@code to}, touching
   * only the plan's chains and jumps that differ; empty when there is nothing to do.
   *
   * @throws IllegalStateException when a chain that must go is the target of a rule privport did
   *     not add (deleting it would fail, and that rule is not privport's to delete)
   */
  static Optional<String> restoreInput(String program, Snapshot from, Snapshot to) {
    StringBuilder out = new StringBuilder("*nat\n");
    boolean changes = false;
    Map<String, Integer> keep = counts(to.jumps());
    for (String j : from.jumps()) {
      if (keep.merge(j, -1, Integer::sum) < 0) {
        out.append("-D").append(j.substring(2)).append('\n');
        changes = true;
      }
    }
    for (Map.Entry<String, List<Line>> e : to.chains().entrySet()) {
      List<Line> was = from.chains().get(e.getKey());
      if (was != null && specs(was).equals(specs(e.getValue()))) {
        continue; // as planned: keep its counters
      }
      out.append(':').append(e.getKey()).append(" - [0:0]\n"); // creates, or empties with --noflush
      for (Line l : e.getValue()) {
        out.append("-A ").append(e.getKey()).append(' ').append(l.spec()).append('\n');
      }
      changes = true;
    }
    for (String chain : from.chains().keySet()) {
      if (to.chains().containsKey(chain)) continue;
      for (String j : to.jumps()) {
        if (targetsAny(j, Set.of(chain))) {
          throw new IllegalStateException(
              program
                  + ": cannot delete chain "
                  + chain
                  + ": a rule privport did not add jumps to it ("
                  + j
                  + "); remove that rule first");
        }
      }
      out.append(':').append(chain).append(" - [0:0]\n-X ").append(chain).append('\n');
      changes = true;
    }
    Map<String, Integer> had = counts(from.jumps());
    for (String j : to.jumps()) {
      if (had.merge(j, -1, Integer::sum) < 0) {
        out.append(j).append('\n');
        changes = true;
      }
    }
    return changes ? Optional.of(out.append("COMMIT\n").toString()) : Optional.empty();
  }

  /**
   * The state {@code family}'s nat table is to reach: the plan's chains and jumps (none of them
   * when {@code remove}), keeping the jumps to its chains that privport did not add.
   */
  private static Snapshot wanted(RedirectPlan plan, Family family, Snapshot live, boolean remove) {
    Snapshot planned = remove ? Snapshot.EMPTY : planned(plan, family);
    List<String> jumps = new ArrayList<>(planned.jumps());
    Set<String> ours = new LinkedHashSet<>();
    for (Scope s : Scope.values()) ours.add(jump(plan, s));
    for (String j : live.jumps()) {
      if (!ours.contains(j)) jumps.add(j); // someone else's rule: not ours to move or delete
    }
    return new Snapshot(planned.chains(), jumps);
  }

  @Override
  public boolean apply(RedirectPlan plan) {
    return converge(plan, false).isPresent();
  }

  @Override
  public boolean remove(RedirectPlan plan) {
    return converge(plan, true).isPresent();
  }

  /**
   * Makes every family hold the plan (or nothing of it); returns what was there before, or empty
   * when nothing had to change.
   */
  private Optional<Map<Family, Snapshot>> converge(RedirectPlan plan, boolean remove) {
    try (StateDirectory.Lock lock = StateDirectory.standard().lock()) {
      Map<Family, Snapshot> before = readAll(plan);
      Map<Family, Snapshot> after = new EnumMap<>(Family.class);
      Map<Family, String> inputs = new EnumMap<>(Family.class);
      for (Family f : Family.values()) {
        after.put(f, wanted(plan, f, before.get(f), remove));
        restoreInput(program(f, ""), before.get(f), after.get(f))
            .ifPresent(text -> inputs.put(f, text));
      }
      if (inputs.isEmpty()) {
        return Optional.empty();
      }
      write(inputs, before, after);
      return Optional.of(before);
    }
  }

  /**
   * Runs each family's restore; when one fails, puts back the families already written, so the plan
   * is never half-applied.
   */
  private void write(
      Map<Family, String> inputs, Map<Family, Snapshot> before, Map<Family, Snapshot> after) {
    List<Family> done = new ArrayList<>();
    for (Map.Entry<Family, String> e : inputs.entrySet()) {
      try {
        restore(e.getKey(), e.getValue());
        done.add(e.getKey());
      } catch (IllegalStateException failure) {
        String back = "";
        for (Family f : done) {
          try {
            restoreInput(program(f, ""), after.get(f), before.get(f))
                .ifPresent(text -> restore(f, text));
          } catch (IllegalStateException again) {
            back = "; " + program(f, "") + " NOT put back: " + again.getMessage();
          }
        }
        throw new IllegalStateException(
            failure.getMessage()
                + (done.isEmpty() || !back.isEmpty() ? back : "; the other family was put back"),
            failure);
      }
    }
  }

  private void restore(Family family, String input) {
    String program = program(family, "-restore");
    Result r = run(List.of(program, "-w", "--noflush"), input);
    if (r.status() != 0) {
      throw new IllegalStateException(
          program
              + " --noflush exited "
              + r.status()
              + ": "
              + oneLine(r.output())
              + "; nothing of this family was changed");
    }
  }

  private Map<Family, Snapshot> readAll(RedirectPlan plan) {
    Map<Family, Snapshot> out = new EnumMap<>(Family.class);
    for (Family f : Family.values()) {
      out.put(f, read(plan, f));
    }
    return out;
  }

  @Override
  public Set<RedirectRule> affected(RedirectPlan plan) {
    return new LinkedHashSet<>(plan.rules());
  }

  /** A trial saves the plan's chains and jumps as they were; a rollback writes them back. */
  @Override
  public Trial begin(RedirectPlan plan) {
    Optional<Map<Family, Snapshot>> before = converge(plan, false);
    return new Trial() {
      @Override
      public void confirm() {}

      @Override
      public Rollback rollback() {
        if (before.isEmpty()) {
          return new Rollback(true, target(plan) + " already held the plan; nothing changed");
        }
        try (StateDirectory.Lock lock = StateDirectory.standard().lock()) {
          Map<Family, Snapshot> now = readAll(plan);
          Map<Family, String> inputs = new EnumMap<>(Family.class);
          for (Family f : Family.values()) {
            restoreInput(program(f, ""), now.get(f), before.get().get(f))
                .ifPresent(text -> inputs.put(f, text));
          }
          write(inputs, now, before.get());
          return new Rollback(true, target(plan) + " are as they were before the trial");
        } catch (RuntimeException e) {
          return new Rollback(false, e.getMessage());
        }
      }
    };
  }

  @Override
  public void close() {}

  // ---- processes and the lock ----

  private static String program(Family family, String suffix) {
    return IptablesArgs.program(family) + suffix;
  }

  private record Result(int status, String output) {}

  /** Runs {@code argv} with {@code input} on stdin; its stdout and stderr together. */
  private static Result run(List<String> argv, String input) {
    Command c = new Command(argv);
    if (SubprocessRunner.locate(c.program()).isEmpty()) {
      throw new IllegalStateException(
          c.program() + " is not installed (Debian, Ubuntu, Fedora: the iptables package)");
    }
    CommandRunner.Outcome o =
        SubprocessRunner.create()
            .withTimeout(Duration.ofSeconds(TIMEOUT_SECONDS))
            .withInput(input)
            .run(c);
    return new Result(o.exitStatus(), o.output());
  }

  private static String oneLine(String s) {
    return String.join("; ", s.strip().split("\\s*\\R+\\s*"));
  }
}
