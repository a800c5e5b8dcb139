package dev.privport.examples.bench;

import dev.privport.cli.Privport;
import dev.privport.testkit.fixtures.FirewalldDaemon;
import dev.privport.testkit.lab.Kernel;
import dev.privport.testkit.lab.Netns;
import dev.privport.testkit.process.Cmd;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * {@code privport apply|status|remove --backend nft|iptables|firewalld} as CLI processes, side by
 * side: apply with the plan absent, apply again (nothing to change), status, remove, for plans of 1
 * and 1 000 TCP redirects (IPv4 and IPv6, incoming and local). nft and iptables act in one
 * namespace, firewalld in another with a private firewalld. Prints a Markdown table of medians and
 * spreads (min-max) of wall time, JVM start included. Run as root: {@code java -cp <examples test
 * class path> dev.privport.examples.bench.CliBackendsBench [runs]}.
 */
public final class CliBackendsBench {
  private CliBackendsBench() {}

  public static void main(String[] args) throws Exception {
    if (!Kernel.isRoot() || !Kernel.onPath("firewalld") || !Kernel.onPath("iptables-restore")) {
      System.out.println("CLI backends benchmark: needs root, iptables and firewalld; left out.");
      return;
    }
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    Path state =
        Files.createTempDirectory(
            "clibackends-bench",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Path plans = Files.createTempDirectory("clibackends-plans");
    try (Netns plain = Netns.create("clibackends");
        Netns fwns = Netns.create("clibackends");
        FirewalldDaemon fw = FirewalldDaemon.start(fwns)) {
      System.out.println(
          "| backend | redirects | apply (absent) | apply again | status | remove |\n"
              + "| --- | ---: | ---: | ---: | ---: | ---: |");
      for (int n : new int[] {1, 1000}) {
        StringBuilder text = new StringBuilder("name bench\n");
        for (int i = 0; i < n; i++) {
          text.append(20_000 + i).append(':').append(40_000 + i).append('\n');
        }
        Path plan = Files.writeString(plans.resolve("bench-" + n + ".plan"), text);
        for (String backend : List.of("nft", "iptables", "firewalld")) {
          Netns ns = backend.equals("firewalld") ? fwns : plain;
          String bus = backend.equals("firewalld") ? fw.busAddress() : "unix:path=/nonexistent";
          List<List<Long>> times =
              List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
          for (int r = 0; r < runs; r++) {
            String[][] ops = {
              {"apply", "--keep-flows"},
              {"apply", "--keep-flows"},
              {"status"},
              {"remove", "--keep-flows"}
            };
            for (int op = 0; op < ops.length; op++) {
              long t0 = System.nanoTime();
              List<String> argv =
                  new ArrayList<>(
                      List.of(
                          "ip",
                          "netns",
                          "exec",
                          ns.name(),
                          "env",
                          "DBUS_SYSTEM_BUS_ADDRESS=" + bus,
                          Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                          "-Dprivport.state.dir=" + state,
                          "-cp",
                          System.getProperty("java.class.path"),
                          Privport.class.getName()));
              argv.addAll(List.of(ops[op]));
              argv.addAll(List.of("--backend", backend, "--plan", plan.toString()));
              Cmd.Result res = Cmd.run(argv, "");
              long ms = (System.nanoTime() - t0) / 1_000_000;
              if (res.exitCode() != 0) {
                throw new IllegalStateException(
                    backend + " " + ops[op][0] + " exited " + res.exitCode() + ": " + res.stderr());
              }
              times.get(op).add(ms);
            }
          }
          StringBuilder row = new StringBuilder("| " + backend + " | " + n + " |");
          for (List<Long> t : times) {
            Collections.sort(t);
            row.append(
                String.format(
                    Locale.ROOT,
                    " %,d ms (%,d-%,d) |",
                    t.get(t.size() / 2),
                    t.get(0),
                    t.get(t.size() - 1)));
          }
          System.out.println(row);
        }
      }
    } finally {
      for (Path dir : List.of(state, plans)) {
        try (var files = Files.walk(dir)) {
          files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
      }
    }
  }
}
