package dev.privport.examples.bench;

import dev.privport.core.Command;
import dev.privport.core.Protocol;
import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import dev.privport.firewalld.FirewalldRenderer;
import dev.privport.iptables.IptablesRenderer;
import dev.privport.nft.NftRenderer;
import dev.privport.nft.Nftables;
import dev.privport.nft.StateDirectory;
import dev.privport.testkit.fixtures.FirewalldDaemon;
import dev.privport.testkit.lab.Kernel;
import dev.privport.testkit.lab.Lab;
import dev.privport.testkit.lab.Netns;
import dev.privport.testkit.process.Cmd;
import dev.privport.testkit.traffic.Echo;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * privport's benchmark: prints a Markdown report whose figures are each the median of several runs.
 *
 * <ol>
 *   <li>render time and allocation for 1 to 100 000 redirects, and 100 000 in a 64 MiB heap;
 *   <li>apply latency in a namespace: in-process libnftables, {@code nft -f}, {@code
 *       iptables-restore}, one {@code iptables} process per rule, {@code firewall-cmd} direct
 *       rules;
 *   <li>data plane: TCP connections per second over veth through a redirect among 1 or 10 000, vs
 *       10 000 linear iptables rules, vs a direct connection.
 * </ol>
 *
 * Kernel parts need root; without it they are left out with a note. Run: {@code mvn -q -B -pl
 * examples exec:exec@bench} after {@code mvn -q -B -DskipTests install}.
 */
public final class Benchmark {
  private static final StringBuilder REPORT = new StringBuilder();
  private static final List<String> RATIOS = new ArrayList<>();

  private Benchmark() {}

  /**
   * N TCP redirects, IPv4, incoming only, 20000.. to 40000..; the last (hit) one is the highest
   * port; alternating protocols would halve each group, so all are TCP: one map of N entries.
   */
  static RedirectPlan plan(int n) {
    RedirectPlan.Builder b = RedirectPlan.builder();
    if (n > 20_000) {
      // Beyond one protocol's ports: both protocols, both families, both scopes (the render test).
      for (int i = 0; i < n; i++) {
        b.add(Redirect.of(i % 2 == 0 ? Protocol.TCP : Protocol.UDP, 1 + i / 2, 10_001 + i / 2));
      }
      return b.build();
    }
    for (int i = 0; i < n; i++) {
      b.add(Redirect.tcp(20_000 + i, 40_000 + i).ipv4Only().incomingOnly());
    }
    return b.build();
  }

  /** The port the data-plane client connects to: the plan's last redirect. */
  static int hitPort(int n) {
    return 20_000 + n - 1;
  }

  public static void main(String[] args) throws Exception {
    line("# privport benchmark");
    line("");
    line("Machine: " + machine());
    line("");
    renderSection();
    if (!Kernel.isRoot()) {
      line("Apply and data-plane sections left out: they need root (network namespaces).");
    } else {
      applySection();
      dataPlaneSection();
    }
    line("");
    line("## Ratios");
    line("");
    RATIOS.forEach(r -> line("- " + r));
    System.out.print(REPORT);
  }

  // ---- 1. rendering ----

  private static void renderSection() throws Exception {
    line("## 1. Render (nft backend, median of 5 after warm-up)");
    line("");
    line("| redirects | build plan + render | per redirect | allocated | output |");
    line("| ---: | ---: | ---: | ---: | ---: |");
    NftRenderer renderer = new NftRenderer();
    double perRedirect1k = 0;
    for (int n : new int[] {1, 100, 10_000, 100_000}) {
      for (int w = 0; w < 3; w++) {
        renderer.render(plan(n));
      }
      long[] bytes = new long[1];
      int[] size = new int[1];
      long nanos =
          median(
              5,
              () -> {
                long before = allocated();
                long t = System.nanoTime();
                String text = renderer.render(plan(n));
                long elapsed = System.nanoTime() - t;
                bytes[0] = allocated() - before;
                size[0] = text.length();
                return elapsed;
              });
      double per = nanos / 1000.0 / n;
      if (n == 100_000) perRedirect1k = per;
      line(
          String.format(
              Locale.ROOT,
              "| %,d | %s | %.2f µs | %s | %s |",
              n,
              ms(nanos),
              per,
              mib(bytes[0]),
              mib(size[0])));
    }
    Cmd.Result small =
        Cmd.run(
            List.of(
                javaBin(),
                "-Xmx64m",
                "-cp",
                classpath(),
                RenderInSmallHeap.class.getName(),
                "100000"),
            null);
    line("");
    line(
        "100 000 redirects in a fresh JVM with -Xmx64m: "
            + (small.ok()
                ? "ok, " + small.stdout().split(" ")[0] + " ms (cold JVM, no warm-up)"
                : "FAILED: " + small.stderr().lines().findFirst().orElse("")));
    line("");
    RATIOS.add(
        String.format(
            Locale.ROOT,
            "render 100 000 redirects: %.2f µs each (linear: see the per-redirect column)",
            perRedirect1k));
  }

  // ---- 2. apply ----

  private static void applySection() throws Exception {
    line(
        "## 2. Apply latency in a network namespace (median of 5; per-rule iptables and firewall-cmd: median of 3)");
    line("");
    line(
        "| redirects | in-process libnftables | nft -f | iptables-restore | iptables per rule | firewall-cmd direct |");
    line("| ---: | ---: | ---: | ---: | ---: | ---: |");
    try (Netns ns = Netns.create();
        Netns fwNs = Netns.create();
        FirewalldDaemon fw = FirewalldDaemon.start(fwNs)) {
      Path dir = Files.createTempDirectory("privport-bench-");
      // the executor's lock in the benchmark's own directory, never the host's /run/privport
      Nftables nft = ns.call(() -> Nftables.open(StateDirectory.at(dir.resolve("state"))));
      for (int n : new int[] {1, 100, 1_000, 10_000}) {
        RedirectPlan plan = plan(n);
        String script = plan.toNft();
        Path file = Files.writeString(dir.resolve("plan.nft"), script);
        String restore = new IptablesRenderer().renderAll(plan).restoreIpv4().orElseThrow();
        Path restoreFile = Files.writeString(dir.resolve("rules.v4"), restore);
        for (int w = 0; w < 3; w++) {
          nft.apply(plan); // warm the JVM
        }
        // Steady state for both: the plan's table is present and gets replaced.
        long inProcess =
            median(
                5,
                () -> {
                  long t = System.nanoTime();
                  nft.apply(plan);
                  return System.nanoTime() - t;
                });
        long nftF =
            median(5, () -> ns.call(() -> timeProcess(List.of("nft", "-f", file.toString()))));
        long iptRestore =
            median(
                5,
                () -> {
                  ns.sh("nft", "flush", "ruleset");
                  return ns.call(
                      () ->
                          timeProcess(
                              List.of("iptables-restore", "--noflush", restoreFile.toString())));
                });
        String perRule = "-";
        if (n <= 1_000) {
          List<Command> commands = perRuleCommands(plan);
          perRule =
              ms(
                  median(
                      3,
                      () -> {
                        ns.sh("nft", "flush", "ruleset");
                        return ns.call(
                            () -> {
                              long t = System.nanoTime();
                              for (Command c : commands) {
                                timeProcess(c.argv());
                              }
                              return System.nanoTime() - t;
                            });
                      }));
        }
        String firewallCmd = "-";
        if (n <= 100) {
          List<Command> adds = new FirewalldRenderer().renderDirect(plan).runtimeAdd();
          firewallCmd =
              ms(
                  median(
                      3,
                      () -> {
                        fw.cmd("--reload").orThrow();
                        long t = System.nanoTime();
                        for (Command c : adds) {
                          fw.runner().run(c);
                        }
                        return System.nanoTime() - t;
                      }));
        }
        line(
            String.format(
                Locale.ROOT,
                "| %,d | %s | %s | %s | %s | %s |",
                n,
                ms(inProcess),
                ms(nftF),
                ms(iptRestore),
                perRule,
                firewallCmd));
        RATIOS.add(
            String.format(
                Locale.ROOT,
                "apply %,d redirects in-process vs nft -f: %.3f x (%s vs %s)",
                n,
                (double) inProcess / nftF,
                ms(inProcess),
                ms(nftF)));
      }
      nft.close();
    }
    line("");
    line(
        "In-process and `nft -f` re-apply the plan over its existing table (delete and define in one transaction), the"
            + " steady state of an application or operator re-applying; the iptables tools load into an emptied nat table."
            + " Processes are started directly inside the namespace (no `ip netns exec` in the timing). The executor was"
            + " opened once (a context costs 13-15 ms to free) and warmed up.");
    line("");
  }

  /** The plan as one {@code iptables -A} process per rule (plus the chain and jump). */
  private static List<Command> perRuleCommands(RedirectPlan plan) {
    return new IptablesRenderer()
        .renderAll(plan).apply().stream()
            .filter(s -> s.command().program().equals("iptables"))
            .filter(s -> s.guard().isEmpty() || s.kind() == dev.privport.core.Step.Kind.UNLESS)
            .map(dev.privport.core.Step::command)
            .toList();
  }

  // ---- 3. data plane ----

  private static void dataPlaneSection() throws Exception {
    int n = 10_000;
    int rounds = 5;
    line("## 3. Data plane: TCP connections per second over veth");
    line("");
    line(
        "Connect, 5-byte request, reply, close, in a bounded loop of 1.5 s from the client namespace to the host's;"
            + " the five paths take turns in "
            + rounds
            + " rounds after a warm-up, each figure the median of its rounds.");
    line("");
    line(
        "| path | connections/s | spread of rounds | vs direct (same NAT table) | vs plain direct |");
    line("| --- | ---: | ---: | ---: | ---: |");
    String linearRules = new IptablesRenderer().renderAll(plan(n)).restoreIpv4().orElseThrow();
    record Scenario(String label, int port, Setup setup) {}
    List<Scenario> paths =
        List.of(
            new Scenario("direct to the service port, no rules at all", 40_000, lab -> {}),
            new Scenario(
                "direct to the service port, privport's 10 000-entry table loaded",
                40_000 + n - 1,
                lab -> load(lab, plan(n))),
            new Scenario("privport, 1 redirect", hitPort(1), lab -> load(lab, plan(1))),
            new Scenario(
                "privport, 10 000 redirects (one map), hit last",
                hitPort(n),
                lab -> load(lab, plan(n))),
            new Scenario(
                "10 000 linear iptables rules, hit last",
                hitPort(n),
                lab ->
                    lab.host
                        .execWithInput(linearRules, "iptables-restore", "--noflush")
                        .orThrow()));
    double[][] rates = new double[paths.size()][rounds];
    try (Lab lab = Lab.create();
        Echo.Servers service = lab.host.call(() -> new Echo.Servers(40_000, 40_000 + n - 1))) {
      lab.client.sh("sysctl", "-qw", "net.ipv4.ip_local_port_range=1024 65000");
      lab.client.call(
          () -> connectionsPerSecond(Lab.HOST_V4, 40_000, 3_000)); // warm-up: JIT, caches
      for (int round = 0; round < rounds; round++) {
        for (int i = 0; i < paths.size(); i++) {
          Scenario path = paths.get(i);
          lab.host.sh("nft", "flush", "ruleset");
          path.setup().apply(lab);
          String check = lab.client.call(() -> Echo.tcp(Lab.HOST_V4, path.port()));
          if (!check.startsWith("port=4")) {
            throw new IllegalStateException(
                path.label() + ": the path does not reach the service: " + check);
          }
          rates[i][round] =
              lab.client.call(() -> connectionsPerSecond(Lab.HOST_V4, path.port(), 1_500));
        }
      }
    }
    double[] median = new double[paths.size()];
    for (int i = 0; i < paths.size(); i++) {
      Arrays.sort(rates[i]);
      median[i] = rates[i][rounds / 2];
    }
    double plain = median[0];
    double directWithTable = median[1];
    for (int i = 0; i < paths.size(); i++) {
      line(
          String.format(
              Locale.ROOT,
              "| %s | %,.0f | %,.0f-%,.0f | %.2f x | %.2f x |",
              paths.get(i).label(),
              median[i],
              rates[i][0],
              rates[i][rounds - 1],
              median[i] / directWithTable,
              median[i] / plain));
    }
    line("");
    double one = median[2];
    double many = median[3];
    double linear = median[4];
    RATIOS.add(String.format(Locale.ROOT, "data plane, 10 000 redirects vs 1: %.2f x", many / one));
    RATIOS.add(
        String.format(
            Locale.ROOT,
            "data plane, privport 10 000 vs direct with the same NAT table: %.2f x",
            many / directWithTable));
    RATIOS.add(
        String.format(
            Locale.ROOT, "data plane, privport 10 000 vs plain direct: %.2f x", many / plain));
    RATIOS.add(
        String.format(
            Locale.ROOT,
            "data plane, 10 000 linear iptables rules vs privport's map: %.2f x",
            linear / many));
  }

  private static void load(Lab lab, RedirectPlan plan) {
    lab.host.execWithInput(plan.toNft(), "nft", "-f", "-").orThrow();
  }

  interface Setup {
    void apply(Lab lab) throws Exception;
  }

  /** A bounded loop: as many connect/request/reply/close cycles as fit in {@code millis}. */
  private static double connectionsPerSecond(String host, int port, long millis)
      throws IOException {
    InetSocketAddress address = new InetSocketAddress(host, port);
    byte[] hello = "hello".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    long deadline = System.nanoTime() + millis * 1_000_000;
    long start = System.nanoTime();
    int count = 0;
    while (System.nanoTime() < deadline && count < 1_000_000) {
      try (Socket s = new Socket()) {
        s.setSoLinger(true, 0); // reset on close: no TIME_WAIT, no port exhaustion on the client
        s.connect(address, 1_000);
        s.getOutputStream().write(hello);
        s.getInputStream().readAllBytes();
      }
      count++;
    }
    return count / ((System.nanoTime() - start) / 1e9);
  }

  // ---- helpers ----

  /** Wall time of {@code argv} run to its end, output discarded; fails unless it exits 0. */
  static long timeProcess(List<String> argv) throws IOException, InterruptedException {
    long t = System.nanoTime();
    Process p =
        new ProcessBuilder(argv)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    int rc = p.waitFor();
    long elapsed = System.nanoTime() - t;
    if (rc != 0) {
      throw new IllegalStateException(String.join(" ", argv) + " exited " + rc);
    }
    return elapsed;
  }

  private static long median(int runs, Callable<Long> run) throws Exception {
    long[] values = new long[runs];
    for (int i = 0; i < runs; i++) {
      values[i] = run.call();
    }
    Arrays.sort(values);
    return values[runs / 2];
  }

  private static long allocated() {
    var bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    return bean.getThreadAllocatedBytes(Thread.currentThread().getId());
  }

  private static String ms(long nanos) {
    return nanos >= 10_000_000
        ? String.format(Locale.ROOT, "%,d ms", nanos / 1_000_000)
        : String.format(Locale.ROOT, "%.2f ms", nanos / 1e6);
  }

  private static String mib(long bytes) {
    return bytes >= 1 << 20
        ? String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1 << 20))
        : String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
  }

  private static String machine() throws IOException {
    String cpu =
        Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
            .filter(l -> l.startsWith("model name"))
            .findFirst()
            .map(l -> l.substring(l.indexOf(':') + 1).trim())
            .orElse("unknown CPU");
    return Runtime.getRuntime().availableProcessors()
        + " cores ("
        + cpu
        + "), "
        + Runtime.getRuntime().maxMemory() / (1 << 20)
        + " MiB max heap, kernel "
        + Cmd.run("uname", "-r").stdout().strip()
        + ", Java "
        + System.getProperty("java.version")
        + ", "
        + (Kernel.onPath("nft") ? Cmd.run("nft", "--version").stdout().strip() : "no nft")
        + ", "
        + (Kernel.onPath("iptables")
            ? Cmd.run("iptables", "--version").stdout().strip()
            : "no iptables");
  }

  private static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static String classpath() {
    return System.getProperty("java.class.path");
  }

  private static void line(String s) {
    REPORT.append(s).append('\n');
  }
}
