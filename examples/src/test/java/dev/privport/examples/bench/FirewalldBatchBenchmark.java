package dev.privport.examples.bench;

import dev.privport.core.Command;
import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import dev.privport.firewalld.Firewalld;
import dev.privport.firewalld.FirewalldDirectRules;
import dev.privport.firewalld.FirewalldPolicies;
import dev.privport.firewalld.FirewalldRenderer;
import dev.privport.firewalld.HostAddresses;
import dev.privport.testkit.fixtures.FirewalldDaemon;
import dev.privport.testkit.lab.Kernel;
import dev.privport.testkit.lab.Netns;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Applying a plan through firewalld, side by side: one {@code firewall-cmd} call, today's route of
 * one {@code firewall-cmd --direct --add-rule} per rule, and the in-process {@link Firewalld}
 * executor (one permanent update and one reload over D-Bus), for direct rules and policies. Prints
 * a Markdown table: median, spread (min-max) and the ratio to one {@code firewall-cmd} call.
 *
 * <p>firewalld runs in a namespace of its own on a private bus ({@link FirewalldDaemon}); {@code
 * firewall-cmd} only talks D-Bus, so it runs from here with {@code DBUS_SYSTEM_BUS_ADDRESS}, as the
 * executor does: no {@code ip netns exec} in any timing. Run (root): {@code mvn -q -B -pl examples
 * exec:exec@bench-firewalld} after building.
 */
public final class FirewalldBatchBenchmark {
  private static final FirewalldRenderer FIREWALLD = new FirewalldRenderer();
  private static final HostAddresses HOST = HostAddresses.of("192.0.2.1");
  private static final int RUNS = 7;

  private static String bus;
  private static final List<String> ROWS = new ArrayList<>();

  private FirewalldBatchBenchmark() {}

  /** N TCP redirects, IPv4, incoming only, 20000.. to 40000..: one direct rule each. */
  static RedirectPlan plan(int n) {
    RedirectPlan.Builder b = RedirectPlan.builder().name("bench");
    for (int i = 0; i < n; i++) {
      b.add(Redirect.tcp(20_000 + i, 40_000 + i).ipv4Only().incomingOnly());
    }
    return b.build();
  }

  public static void main(String[] args) throws Exception {
    if (!Kernel.isRoot() || !Kernel.onPath("firewalld")) {
      System.out.println("firewalld benchmark: needs root and firewalld; left out.");
      return;
    }
    try (Netns ns = Netns.create();
        FirewalldDaemon fw = FirewalldDaemon.start(ns)) {
      bus = "unix:path=" + fw.configDir().getParent().resolve("bus.sock");
      try (Firewalld executor = Firewalld.connect(bus)) {
        run(executor);
      }
    }
  }

  private static void run(Firewalld executor) throws Exception {
    String v = firewallCmd("--version").strip();
    System.out.println("## firewalld: one round trip (firewalld " + v + ")");
    System.out.println();
    // Warm the JVM and firewalld.
    for (int i = 0; i < 3; i++) {
      executor.apply(FIREWALLD.renderDirect(plan(100)));
      executor.remove(FIREWALLD.renderDirect(plan(100)));
    }
    List<String> oneRule = FIREWALLD.renderDirect(plan(1)).runtimeAdd().get(0).argv();
    List<String> oneRemove = FIREWALLD.renderDirect(plan(1)).runtimeRemove().get(0).argv();
    long[] one =
        times(
            RUNS,
            () -> {
              long t = System.nanoTime();
              firewallCmd(oneRule.subList(1, oneRule.size()).toArray(String[]::new));
              long elapsed = System.nanoTime() - t;
              firewallCmd(oneRemove.subList(1, oneRemove.size()).toArray(String[]::new));
              return elapsed;
            });
    long unit = median(one);
    row("one `firewall-cmd --direct --add-rule` call (the unit)", one, unit);

    for (int n : new int[] {1, 100, 1_000}) {
      FirewalldDirectRules direct = FIREWALLD.renderDirect(plan(n));
      long[] apply =
          times(
              RUNS,
              () -> {
                executor.remove(direct);
                long t = System.nanoTime();
                executor.apply(direct);
                return System.nanoTime() - t;
              });
      row(String.format(Locale.ROOT, "executor, direct: apply %,d redirects", n), apply, unit);
      long[] again =
          times(
              RUNS,
              () -> {
                long t = System.nanoTime();
                executor.apply(direct);
                return System.nanoTime() - t;
              });
      row(
          String.format(Locale.ROOT, "executor, direct: apply %,d again (no change)", n),
          again,
          unit);
      long[] remove =
          times(
              RUNS,
              () -> {
                executor.apply(direct);
                long t = System.nanoTime();
                executor.remove(direct);
                return System.nanoTime() - t;
              });
      row(String.format(Locale.ROOT, "executor, direct: remove %,d redirects", n), remove, unit);
      if (n == 100) {
        goal = (double) median(apply) / unit;
      }
    }

    for (int n : new int[] {1, 100}) {
      FirewalldPolicies policies = FIREWALLD.renderPolicies(plan(n), HOST);
      long[] apply =
          times(
              RUNS,
              () -> {
                executor.remove(policies);
                long t = System.nanoTime();
                executor.apply(policies);
                return System.nanoTime() - t;
              });
      row(String.format(Locale.ROOT, "executor, policies: apply %,d redirects", n), apply, unit);
      long[] steps =
          times(
              3,
              () -> {
                executor.remove(policies);
                long t = System.nanoTime();
                for (var step : policies.apply()) {
                  step.execute(FirewalldBatchBenchmark::firewallCmdStatus);
                }
                return System.nanoTime() - t;
              });
      row(
          String.format(
              Locale.ROOT,
              "`firewall-cmd` policy steps (%d calls): apply %,d redirects",
              policies.apply().size(),
              n),
          steps,
          unit);
      executor.remove(policies);
    }

    // Today's route: one firewall-cmd per rule (100 rules take about 25 s a run: 3 runs).
    List<Command> adds = FIREWALLD.renderDirect(plan(100)).runtimeAdd();
    long[] perRule =
        times(
            3,
            () -> {
              firewallCmd("--reload");
              long t = System.nanoTime();
              for (Command c : adds) {
                firewallCmd(c.argv().subList(1, c.argv().size()).toArray(String[]::new));
              }
              return System.nanoTime() - t;
            });
    row("`firewall-cmd` per rule: apply 100 redirects (100 calls)", perRule, unit);
    firewallCmd("--reload");

    System.out.println("| operation | median | spread (min-max) | x one firewall-cmd call |");
    System.out.println("| --- | ---: | ---: | ---: |");
    ROWS.forEach(System.out::println);
    System.out.println();
    System.out.printf(
        Locale.ROOT,
        "Goal: 100 redirects through firewalld <= 10 x one firewall-cmd call: %.2f x, %s%n",
        goal,
        goal <= 10 ? "met" : "NOT met");
  }

  private static double goal;

  private static void row(String what, long[] runs, long unit) {
    long[] sorted = runs.clone();
    Arrays.sort(sorted);
    ROWS.add(
        String.format(
            Locale.ROOT,
            "| %s | %s | %s-%s | %.2f x |",
            what,
            ms(median(sorted)),
            ms(sorted[0]),
            ms(sorted[sorted.length - 1]),
            (double) median(sorted) / unit));
    System.err.println(ROWS.get(ROWS.size() - 1));
  }

  private static long[] times(int runs, Callable<Long> run) throws Exception {
    long[] out = new long[runs];
    for (int i = 0; i < runs; i++) {
      out[i] = run.call();
    }
    return out;
  }

  private static long median(long[] values) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  private static String ms(long nanos) {
    return nanos >= 10_000_000
        ? String.format(Locale.ROOT, "%,d ms", nanos / 1_000_000)
        : String.format(Locale.ROOT, "%.2f ms", nanos / 1e6);
  }

  /** Runs firewall-cmd against the private firewalld; returns its output, throws unless 0. */
  private static String firewallCmd(String... args) throws IOException, InterruptedException {
    List<String> argv = new ArrayList<>(new Command(List.of("firewall-cmd")).resolvedArgv());
    argv.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
    pb.environment().put("DBUS_SYSTEM_BUS_ADDRESS", bus);
    Process p = pb.start();
    String out =
        new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException(
          String.join(" ", argv) + " exited " + p.exitValue() + ": " + out);
    }
    return out;
  }

  private static int firewallCmdStatus(Command c) {
    List<String> argv = new ArrayList<>(c.resolvedArgv());
    ProcessBuilder pb =
        new ProcessBuilder(argv)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD);
    pb.environment().put("DBUS_SYSTEM_BUS_ADDRESS", bus);
    try {
      return pb.start().waitFor();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
