package dev.privport.examples.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Cold start of the command line, measured side by side in one run: {@code java -version} against
 * the unpacked archive's {@code bin/privport} (class-data-sharing archive on, and off), the jar run
 * as {@code java -jar} (how the command line ran before the archive existed), {@code apply} in a
 * network namespace, and {@code nft -f} for scale. The cases take turns in every round, so a
 * machine busy with something else slows them alike; the table shows the median and the spread of
 * the rounds, in wall time and in CPU time (user + system), both taken by bash around the command.
 *
 * <p>Run it after {@code mvn package}, as root for the apply rows (JDK only, no class path):
 *
 * <pre>
 * java examples/src/test/java/dev/privport/examples/bench/ColdStart.java [ARCHIVE.tar.gz] [ROUNDS] [BASELINE.tar.gz]
 * </pre>
 *
 * <p>With a {@code BASELINE} archive (e.g. one built from an earlier commit), its launcher's render
 * and apply take their turns in the same rounds: before and after, side by side.
 */
public final class ColdStart {
  private ColdStart() {}

  /**
   * One measured command, and what runs before each run of it, unmeasured ({@code setup}: empty for
   * most).
   */
  record Case(String name, List<String> argv, Map<String, String> env, List<String> setup) {
    Case(String name, List<String> argv, Map<String, String> env) {
      this(name, argv, env, List.of());
    }
  }

  /** Wall and CPU time of one run, in milliseconds. */
  record Sample(double wallMs, double cpuMs) {}

  public static void main(String[] args) throws Exception {
    Path archive = args.length > 0 ? Path.of(args[0]) : findArchive();
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 11;
    Path baselineArchive = args.length > 2 ? Path.of(args[2]) : null;
    Path tmp = Files.createTempDirectory("privport-coldstart-");
    String ns = "ppcoldstart-" + ProcessHandle.current().pid();
    boolean netns = false;
    try {
      Path home = unpack(archive, tmp.resolve("measured"));
      String privport = home.resolve("bin/privport").toString();
      String baseline = null;
      if (baselineArchive != null) {
        baseline =
            unpack(baselineArchive, tmp.resolve("baseline")).resolve("bin/privport").toString();
        run(List.of(baseline, "render", "80:8080"), Map.of(), true); // makes its archive
      }
      String jar = home.resolve("lib/privport.jar").toString();
      String java = javaBinary();
      // The first run makes the class-data-sharing archive; it is not one of the measured runs.
      run(List.of(privport, "render", "80:8080"), Map.of(), true);
      Path nft = tmp.resolve("plan.nft");
      Files.writeString(
          nft, run(List.of(privport, "render", "80:8080"), Map.of(), true), StandardCharsets.UTF_8);

      List<Case> cases = new ArrayList<>();
      cases.add(new Case("java -version", List.of(java, "-version"), Map.of()));
      cases.add(
          new Case("privport render 80:8080", List.of(privport, "render", "80:8080"), Map.of()));
      cases.add(
          new Case(
              "privport render 80:8080, PRIVPORT_CDS=0",
              List.of(privport, "render", "80:8080"),
              Map.of("PRIVPORT_CDS", "0")));
      if (baseline != null) {
        cases.add(
            new Case(
                "baseline: privport render 80:8080",
                List.of(baseline, "render", "80:8080"),
                Map.of()));
      }
      cases.add(
          new Case(
              "java -jar privport.jar render 80:8080",
              List.of(java, "-jar", jar, "render", "80:8080"),
              Map.of()));
      boolean root = "0".equals(run(List.of("id", "-u"), Map.of(), true).strip());
      if (root) {
        run(List.of("ip", "netns", "add", ns), Map.of(), true);
        netns = true;
        run(List.of("ip", "-n", ns, "link", "set", "lo", "up"), Map.of(), true);
        List<String> in = List.of("ip", "netns", "exec", ns);
        // The executor's lock goes to a directory of the benchmark's own, not the host's /run.
        String state = "-Dprivport.state.dir=" + tmp.resolve("state");
        Map<String, String> stateEnv = Map.of("PRIVPORT_JAVA_OPTS", state);
        cases.add(new Case("ip netns exec NS true", concat(in, "true"), Map.of()));
        // Each apply, and nft -f, finds no table (deleted before it, unmeasured): an apply that
        // changes something. An apply over the same plan changes nothing and is measured apart.
        List<String> noTable = concat(in, "nft", "delete", "table", "inet", "privport");
        cases.add(
            new Case(
                "privport apply 80:8080 (in NS)",
                concat(in, privport, "apply", "--keep-flows", "80:8080"),
                stateEnv,
                noTable));
        if (baseline != null) {
          cases.add(
              new Case(
                  "baseline: privport apply 80:8080 (in NS)",
                  concat(in, baseline, "apply", "--keep-flows", "80:8080"),
                  stateEnv,
                  noTable));
        }
        cases.add(
            new Case(
                "java -jar privport.jar apply 80:8080 (in NS)",
                concat(in, java, state, "-jar", jar, "apply", "--keep-flows", "80:8080"),
                Map.of(),
                noTable));
        cases.add(
            new Case(
                "privport apply 80:8080 again, as planned (in NS)",
                concat(in, privport, "apply", "--keep-flows", "80:8080"),
                stateEnv));
        cases.add(
            new Case(
                "nft -f plan.nft (in NS)",
                concat(in, "nft", "-f", nft.toString()),
                Map.of(),
                noTable));
      }

      Map<Case, List<Sample>> samples = new LinkedHashMap<>();
      cases.forEach(c -> samples.put(c, new ArrayList<>()));
      for (Case c : cases) {
        measure(c); // warm the page cache; not counted
      }
      for (int r = 0; r < rounds; r++) {
        for (Case c : cases) {
          samples.get(c).add(measure(c));
        }
      }
      print(samples, rounds, root);
    } finally {
      if (netns) {
        run(List.of("ip", "netns", "del", ns), Map.of(), false);
      }
      run(List.of("rm", "-rf", "--", tmp.toString()), Map.of(), false);
    }
  }

  private static void print(Map<Case, List<Sample>> samples, int rounds, boolean root) {
    System.out.printf(
        Locale.ROOT,
        "Cold start, %d rounds, cases in turn (%s, %d cores, load average %s)%n%n",
        rounds,
        System.getProperty("java.vm.version"),
        Runtime.getRuntime().availableProcessors(),
        loadAverage());
    System.out.println(
        "| command | wall, median | wall, spread | CPU, median | CPU, spread | vs java -version (wall) | vs java -version (CPU) |");
    System.out.println("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    Sample base = null;
    Map<String, Sample> medians = new LinkedHashMap<>();
    for (Map.Entry<Case, List<Sample>> e : samples.entrySet()) {
      List<Sample> s = e.getValue();
      double wall = median(s.stream().mapToDouble(Sample::wallMs).toArray());
      double cpu = median(s.stream().mapToDouble(Sample::cpuMs).toArray());
      double min = s.stream().mapToDouble(Sample::wallMs).min().orElse(0);
      double max = s.stream().mapToDouble(Sample::wallMs).max().orElse(0);
      double cpuMin = s.stream().mapToDouble(Sample::cpuMs).min().orElse(0);
      double cpuMax = s.stream().mapToDouble(Sample::cpuMs).max().orElse(0);
      Sample m = new Sample(wall, cpu);
      if (base == null) {
        base = m;
      }
      medians.put(e.getKey().name(), m);
      System.out.printf(
          Locale.ROOT,
          "| %s | %.0f ms | %.0f-%.0f ms | %s | %s | %.1f x | %s |%n",
          e.getKey().name(),
          wall,
          min,
          max,
          cpu < 0 ? "-" : String.format(Locale.ROOT, "%.0f ms", cpu),
          cpu < 0 ? "-" : String.format(Locale.ROOT, "%.0f-%.0f ms", cpuMin, cpuMax),
          wall / base.wallMs(),
          cpu < 0 || base.cpuMs() <= 0
              ? "-"
              : String.format(Locale.ROOT, "%.1f x", cpu / base.cpuMs()));
    }
    System.out.println();
    Sample render = medians.get("privport render 80:8080");
    goal("privport render 80:8080 <= 3x java -version", render, base, 3);
    if (root) {
      goal(
          "privport apply 80:8080 in a namespace <= 5x java -version",
          medians.get("privport apply 80:8080 (in NS)"),
          base,
          5);
    }
    if (medians.containsKey("baseline: privport render 80:8080")) {
      goal(
          "baseline: privport render 80:8080 <= 3x java -version",
          medians.get("baseline: privport render 80:8080"),
          base,
          3);
      if (root) {
        goal(
            "baseline: privport apply 80:8080 in a namespace <= 5x java -version",
            medians.get("baseline: privport apply 80:8080 (in NS)"),
            base,
            5);
      }
    }
  }

  private static void goal(String what, Sample s, Sample base, double limit) {
    double wall = s.wallMs() / base.wallMs();
    System.out.printf(
        Locale.ROOT,
        "- %s: %.1f x wall (%s), %s CPU%n",
        what,
        wall,
        wall <= limit ? "met" : "not met",
        s.cpuMs() < 0 || base.cpuMs() <= 0
            ? "-"
            : String.format(
                Locale.ROOT,
                "%.1f x (%s)",
                s.cpuMs() / base.cpuMs(),
                s.cpuMs() / base.cpuMs() <= limit ? "met" : "not met"));
  }

  /**
   * One run of {@code c}, timed by bash around the command alone: wall time from {@code
   * EPOCHREALTIME} (microseconds, without bash's own start), CPU time of the command and its
   * children from {@code times} (getrusage, milliseconds). GNU time prints CPU in 10 ms steps, a
   * quarter of {@code java -version}'s, which made the CPU ratios of short runs mostly rounding.
   */
  private static Sample measure(Case c) throws Exception {
    if (!c.setup().isEmpty()) {
      run(c.setup(), Map.of(), false);
    }
    Path times = Files.createTempFile("privport-cpu-", ".txt");
    try {
      List<String> argv = new ArrayList<>();
      argv.addAll(
          List.of(
              "bash",
              "-c",
              "out=$1; shift; t0=$EPOCHREALTIME; \"$@\"; s=$?; t1=$EPOCHREALTIME;"
                  + " { echo \"$t0 $t1\"; times; } >\"$out\"; exit $s",
              "_",
              times.toString()));
      argv.addAll(c.argv());
      long start = System.nanoTime();
      run(argv, c.env(), true);
      double wall = (System.nanoTime() - start) / 1e6;
      List<String> lines = Files.readAllLines(times, StandardCharsets.UTF_8);
      String[] clock = lines.get(0).strip().split("\\s+");
      if (clock.length == 2) {
        // EPOCHREALTIME is "seconds.micros"; the decimal separator follows the locale.
        wall =
            (Double.parseDouble(clock[1].replace(',', '.'))
                    - Double.parseDouble(clock[0].replace(',', '.')))
                * 1000;
      }
      // times: the shell's user and system time, then its children's: "0m0.108s 0m0.052s".
      double cpu = 0;
      for (String t : lines.get(2).strip().split("\\s+")) {
        int m = t.indexOf('m');
        cpu +=
            (Integer.parseInt(t.substring(0, m)) * 60
                    + Double.parseDouble(t.substring(m + 1, t.length() - 1).replace(',', '.')))
                * 1000;
      }
      return new Sample(wall, cpu);
    } finally {
      Files.deleteIfExists(times);
    }
  }

  /** Runs {@code argv} to its end; returns stdout. Output is read fully, so nothing blocks. */
  private static String run(List<String> argv, Map<String, String> env, boolean check)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("timed out: " + argv);
    }
    if (check && p.exitValue() != 0) {
      throw new IllegalStateException(argv + " exited " + p.exitValue() + ": " + out);
    }
    return out;
  }

  private static String javaBinary() {
    String javaHome = System.getenv("JAVA_HOME");
    if (javaHome != null && Files.isExecutable(Path.of(javaHome, "bin", "java"))) {
      return Path.of(javaHome, "bin", "java").toString();
    }
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
      if (Files.isExecutable(Path.of(dir, "java"))) {
        return Path.of(dir, "java").toString();
      }
    }
    throw new IllegalStateException("no java on the PATH (the launcher would fail too)");
  }

  /** Unpacks {@code archive} into the new directory {@code into}; returns its top directory. */
  private static Path unpack(Path archive, Path into) throws Exception {
    Files.createDirectories(into);
    run(List.of("tar", "-xzf", archive.toString(), "-C", into.toString()), Map.of(), true);
    try (Stream<Path> top = Files.list(into)) {
      return top.filter(Files::isDirectory).findFirst().orElseThrow();
    }
  }

  private static Path findArchive() throws IOException {
    try (Stream<Path> files = Files.list(Path.of("examples/target"))) {
      return files
          .filter(f -> f.getFileName().toString().matches("privport-.*\\.tar\\.gz"))
          .max(Comparator.comparing(Path::toString))
          .orElseThrow(() -> new IllegalStateException("run mvn package first"));
    }
  }

  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException e) {
      return "unknown";
    }
  }

  private static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  private static List<String> concat(List<String> prefix, String... rest) {
    List<String> all = new ArrayList<>(prefix);
    all.addAll(List.of(rest));
    return all;
  }
}
