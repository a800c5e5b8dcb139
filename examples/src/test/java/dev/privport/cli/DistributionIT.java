package dev.privport.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.MoreCollectors;
import dev.privport.core.RedirectPlan;
import dev.privport.testkit.lab.Kernel;
import dev.privport.testkit.lab.Netns;
import dev.privport.testkit.process.Cmd;
import dev.privport.testkit.process.TempDirs;
import dev.privport.testkit.traffic.Echo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import picocli.CommandLine;

/**
 * The operator's archive, {@code privport-VERSION.tar.gz}, as {@code mvn package} leaves it: it is
 * unpacked (into a directory whose name has a space) and its launcher, completion script and man
 * pages are used as an operator would. Runs after {@code package} (failsafe).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DistributionIT {
  private Path tmp;
  private Path home;

  private Cmd.Result privport(Map<String, String> env, String... args) throws Exception {
    List<String> argv = new ArrayList<>(List.of(home.resolve("bin/privport").toString()));
    argv.addAll(List.of(args));
    return Cmd.runAsUser(env, argv);
  }

  @BeforeAll
  void unpack() throws Exception {
    Kernel.requireCommand("tar", "bash", "man");
    Path archive = Path.of(System.getProperty("privport.dist", "missing"));
    assertThat(archive).as("mvn package leaves the archive").exists();
    tmp = Files.createTempDirectory("privport-dist-");
    home = unpack(archive, tmp.resolve("unpacked"));
    assertThat(home.getFileName().toString()).matches("privport-[0-9][^/]*");
  }

  /** Unpacks the operator's archive into {@code into}; its one top directory. */
  static Path unpack(Path archive, Path into) throws IOException {
    Files.createDirectories(into);
    Cmd.run("tar", "-xzf", archive.toString(), "-C", into.toString()).orThrow();
    try (Stream<Path> top = Files.list(into)) {
      return top.collect(MoreCollectors.onlyElement());
    }
  }

  @AfterAll
  void delete() {
    TempDirs.delete(tmp);
  }

  @Test
  void theArchiveHoldsWhatAnOperatorNeeds() throws IOException {
    assertThat(Files.isExecutable(home.resolve("bin/privport"))).isTrue();
    for (String f :
        List.of(
            "lib/privport.jar",
            "lib/privport.classlist",
            "share/bash-completion/completions/privport",
            "README.md",
            "LICENSE")) {
      assertThat(home.resolve(f)).as(f).isRegularFile();
    }
  }

  @Test
  void theLauncherRendersAndMakesItsClassDataArchiveOnce() throws Exception {
    Map<String, String> env = Map.of("HOME", tmp.resolve("home").toString());
    Cmd.Result first = privport(env, "render", "80:8080");
    assertThat(first.exitCode()).as(first.stderr()).isZero();
    assertThat(first.stdout()).isEqualTo(RedirectPlan.of(80, 8080).toNft());
    assertThat(first.stderr()).isEmpty();
    List<Path> archives = jsa(home.resolve("lib"));
    assertThat(archives).as("made on the first run, in lib/ (writable here)").hasSize(1);

    // The second run maps privport's classes from it (and picocli's, Java 5 class files, which JDK
    // 17 archives only in a static archive, for the command lines DirectRun leaves to picocli).
    assertThat(loadedFrom("render", "80:8080", "dev.privport.cli.DirectRun"))
        .isEqualTo("shared objects file");
    assertThat(jsa(home.resolve("lib"))).isEqualTo(archives);
    assertThat(loadedFrom("render", "--help", "picocli.CommandLine"))
        .isEqualTo("shared objects file");

    // Without the archive (turned off): the same output, classes from the jar.
    Cmd.Result off =
        privport(
            Map.of(
                "PRIVPORT_CDS",
                "0",
                "PRIVPORT_JAVA_OPTS",
                "-Xlog:class+load=info:file=" + tmp.resolve("off.log")),
            "render",
            "80:8080");
    assertThat(off.stdout()).isEqualTo(first.stdout());
    assertThat(Files.readString(tmp.resolve("off.log")))
        .contains("dev.privport.cli.DirectRun source: file:");

    // Unpacked where the path has a space: JDK 17 cannot match an archive there, so none is made.
    Path spaced = unpack(Path.of(System.getProperty("privport.dist")), tmp.resolve("with space"));
    Cmd.Result there =
        Cmd.runAsUser(
            Map.of(), List.of(spaced.resolve("bin/privport").toString(), "render", "80:8080"));
    assertThat(there.exitCode()).as(there.stderr()).isZero();
    assertThat(there.stdout()).isEqualTo(first.stdout());
    assertThat(jsa(spaced.resolve("lib"))).isEmpty();

    Cmd.Result bad = privport(Map.of(), "render", "80:99999");
    assertThat(bad.exitCode()).isEqualTo(2);
    assertThat(bad.stderr()).isEqualTo("privport: toPort must be a port in 1..65535, got 99999\n");
  }

  @Test
  void aJarPutInPlaceAfterTheArchiveGetsANewArchiveAndUserOptionsWin() throws Exception {
    Path copy = unpack(Path.of(System.getProperty("privport.dist")), tmp.resolve("replaced"));
    Map<String, String> env = Map.of("HOME", tmp.resolve("home").toString());
    String privport = copy.resolve("bin/privport").toString();
    assertThat(Cmd.runAsUser(env, List.of(privport, "render", "80:8080")).exitCode()).isZero();
    List<Path> first = jsa(copy.resolve("lib"));
    assertThat(first).hasSize(1);
    java.nio.file.attribute.FileTime made = Files.getLastModifiedTime(first.get(0));
    // The same bytes put in place again, its size and modification time kept, as a reproducible
    // build of another commit could have them: only its status-change time tells it is new.
    Path jar = copy.resolve("lib/privport.jar");
    Path fresh = copy.resolve("lib/privport.jar.new");
    Files.copy(jar, fresh, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
    Thread.sleep(20); // a status-change time after the archive's, on any file system's clock
    Files.move(fresh, jar, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    assertThat(Cmd.runAsUser(env, List.of(privport, "render", "80:8080")).exitCode()).isZero();
    List<Path> second = jsa(copy.resolve("lib"));
    assertThat(second).hasSize(1);
    assertThat(Files.getLastModifiedTime(second.get(0))).as("made again").isGreaterThan(made);

    // PRIVPORT_JAVA_OPTS come after the launcher's own options: -Xshare:off wins over its archive.
    Cmd.Result off =
        Cmd.runAsUser(
            Map.of(
                "PRIVPORT_JAVA_OPTS",
                "-Xshare:off -Xlog:class+load=info:file=" + tmp.resolve("user-off.log")),
            List.of(privport, "render", "80:8080"));
    assertThat(off.exitCode()).as(off.stderr()).isZero();
    assertThat(Files.readString(tmp.resolve("user-off.log"))).doesNotContain("shared objects file");
  }

  @Test
  void aClassListTheJvmCannotDumpIsTriedOnceAndTheCommandStillRuns() throws Exception {
    Path broken = unpack(Path.of(System.getProperty("privport.dist")), tmp.resolve("broken"));
    Path list = broken.resolve("lib/privport.classlist");
    // A damaged class list: JDK 17's dump stops at a line it cannot parse. (Repeating the whole
    // list no longer does: it crashed the dump only through repeated lambda-proxy lines, and the
    // launcher's render and apply now run no lambda of that kind.)
    Files.writeString(list, Files.readString(list) + "@lambda-proxy\n");
    Path cwd = Files.createDirectories(tmp.resolve("cwd"));
    for (int i = 0; i < 2; i++) {
      ProcessBuilder pb =
          new ProcessBuilder(broken.resolve("bin/privport").toString(), "render", "80:8080")
              .directory(cwd.toFile());
      Process p = pb.start();
      var out = Cmd.drain(p.getInputStream());
      var err = Cmd.drain(p.getErrorStream());
      assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as(err.join()).isZero();
      assertThat(out.join()).isEqualTo(RedirectPlan.of(80, 8080).toNft());
      assertThat(err.join()).isEmpty();
    }
    assertThat(jsa(broken.resolve("lib"))).isEmpty();
    try (Stream<Path> files = Files.list(broken.resolve("lib"))) {
      assertThat(files.map(f -> f.getFileName().toString()))
          .as("the failure is remembered, not retried on every run")
          .anyMatch(n -> n.matches("privport-[0-9]+\\.failed"))
          .noneMatch(n -> n.endsWith(".tmp"));
    }
    try (Stream<Path> files = Files.list(cwd)) {
      assertThat(files).as("no JVM crash report left in the working directory").isEmpty();
    }
  }

  @Test
  void theLauncherWorksThroughALinkAndRefusesAnOldOrMissingJava() throws Exception {
    Path bin = Files.createDirectories(tmp.resolve("links"));
    Files.createSymbolicLink(bin.resolve("pp"), home.resolve("bin/privport"));
    Cmd.Result linked = Cmd.runAsUser(Map.of(), List.of(bin.resolve("pp").toString(), "--version"));
    assertThat(linked.exitCode()).as(linked.stderr()).isZero();
    assertThat(linked.stdout()).startsWith("privport ");

    // A link to bin/ itself: lib/ is found beside the link's target, not beside the link.
    Path binLink = Files.createSymbolicLink(tmp.resolve("bin-link"), home.resolve("bin"));
    Cmd.Result viaDirectory =
        Cmd.runAsUser(Map.of(), List.of(binLink.resolve("privport").toString(), "--version"));
    assertThat(viaDirectory.exitCode()).as(viaDirectory.stderr()).isZero();

    Cmd.Result noJavaHome =
        privport(Map.of("JAVA_HOME", tmp.resolve("nojava").toString()), "--version");
    assertThat(noJavaHome.exitCode()).isEqualTo(3);
    assertThat(noJavaHome.stderr()).contains("has no bin/java");

    // A Java 11 (its release file says so; the binary would not even be started).
    Path old = tmp.resolve("jdk-11");
    Files.createDirectories(old.resolve("bin"));
    Files.writeString(old.resolve("release"), "JAVA_VERSION=\"11.0.2\"\n");
    Files.writeString(old.resolve("bin/java"), "#!/bin/sh\nexit 99\n");
    old.resolve("bin/java").toFile().setExecutable(true);
    Cmd.Result tooOld = privport(Map.of("JAVA_HOME", old.toString()), "--version");
    assertThat(tooOld.exitCode()).isEqualTo(3);
    assertThat(tooOld.stderr()).contains("Java 17 or later is needed").contains("11.0.2");

    // No JAVA_HOME, and a PATH with the tools the launcher uses but no java.
    Path tools = Files.createDirectories(tmp.resolve("tools"));
    for (String tool :
        List.of(
            "sh",
            "readlink",
            "ls",
            "sed",
            "dirname",
            "head",
            "cksum",
            "find",
            "uname",
            "mkdir",
            "mv",
            "rm")) {
      Files.createSymbolicLink(
          tools.resolve(tool), dev.privport.core.SubprocessRunner.locate(tool).orElseThrow());
    }
    ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/privport").toString(), "-V");
    pb.environment().remove("JAVA_HOME");
    pb.environment().put("PATH", tools.toString());
    Process p = pb.start();
    var err = Cmd.drain(p.getErrorStream());
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isEqualTo(3);
    assertThat(err.join()).contains("Java 17 or later is needed: install it, or set JAVA_HOME");
  }

  @Test
  void theCompletionScriptCompletesCommandsAndOptions() throws Exception {
    Path script = home.resolve("share/bash-completion/completions/privport");
    String bash =
        "source '"
            + script
            + "' && complete -p privport"
            + " && COMP_WORDS=(privport ins) COMP_CWORD=1 && _complete_privport"
            + " && echo \"words: ${COMPREPLY[*]}\""
            + " && COMP_WORDS=(privport install --no-) COMP_CWORD=2 && _complete_privport"
            + " && echo \"options: ${COMPREPLY[*]}\"";
    Cmd.Result r = Cmd.runAsUser(Map.of(), List.of("bash", "-c", bash));
    assertThat(r.exitCode()).as(r.stderr()).isZero();
    assertThat(r.stdout())
        .contains("-F _complete_privport privport")
        .contains("words: install\n")
        .contains("options: --no-start\n");
  }

  @Test
  void everyManPageRenders() throws Exception {
    TreeSet<String> expected = new TreeSet<>(List.of("privport.1"));
    new CommandLine(new Privport.All())
        .getSubcommands()
        .keySet()
        .forEach(name -> expected.add("privport-" + name + ".1"));
    Path man1 = home.resolve("share/man/man1");
    TreeSet<String> pages = new TreeSet<>();
    try (Stream<Path> files = Files.list(man1)) {
      files.forEach(f -> pages.add(f.getFileName().toString()));
    }
    assertThat(pages).isEqualTo(expected);
    for (String page : pages) {
      Cmd.Result r =
          Cmd.runAsUser(
              Map.of("MANWIDTH", "80", "MAN_KEEP_FORMATTING", "0", "LC_ALL", "C"),
              List.of("man", "--warnings", "-l", man1.resolve(page).toString()));
      assertThat(r.exitCode()).as(page + ": " + r.stderr()).isZero();
      assertThat(r.stderr()).as(page).isEmpty();
      String name = page.substring(0, page.length() - 2);
      // Bold and underline as overstrikes ("N\bN"), as man prints them to a pipe: plain text.
      String text = r.stdout().replaceAll(".\b", "");
      assertThat(text).as(page).contains("NAME", name + " - ", "SYNOPSIS");
    }
  }

  /** The launcher applies and removes a plan in a namespace; traffic shows it. */
  @Test
  void theLauncherAppliesInANamespace() throws Exception {
    Kernel.requireRoot();
    Kernel.requireCommand("nft");
    try (Netns ns = Netns.create("install");
        Echo.Servers servers = ns.call(() -> new Echo.Servers(80, 8080))) {
      List<String> prefix = List.of("ip", "netns", "exec", ns.name());
      List<String> apply = new ArrayList<>(prefix);
      apply.addAll(List.of(home.resolve("bin/privport").toString(), "apply", "80:8080"));
      Cmd.Result r = Cmd.runAsUser(Map.of(), apply);
      assertThat(r.exitCode()).as(r.stderr()).isZero();
      assertThat(ns.call(() -> Echo.tcp("127.0.0.1", 80))).isEqualTo("port=8080");
      List<String> remove = new ArrayList<>(prefix);
      remove.addAll(List.of(home.resolve("bin/privport").toString(), "remove", "80:8080"));
      assertThat(Cmd.runAsUser(Map.of(), remove).exitCode()).isZero();
      assertThat(ns.call(() -> Echo.tcp("127.0.0.1", 80))).isEqualTo("port=80");
    }
  }

  /**
   * Where a launcher run of {@code render OPTION} loaded {@code className} from, as its
   * class-loading log says ("shared objects file": the archive); the class is loaded exactly once.
   */
  private String loadedFrom(String command, String option, String className) throws Exception {
    Path log = tmp.resolve("class-load-" + option.replaceAll("[^a-z0-9]", "") + ".log");
    Cmd.Result r =
        privport(
            Map.of("PRIVPORT_JAVA_OPTS", "-Xlog:class+load=info:file=" + log), command, option);
    assertThat(r.exitCode()).as(r.stderr()).isZero();
    List<String> lines =
        Files.readAllLines(log).stream().filter(l -> l.contains(" " + className + " ")).toList();
    assertThat(lines).as(className + " loaded once").hasSize(1);
    return lines.get(0).replaceFirst("^.* source: ", "");
  }

  private static List<Path> jsa(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.getFileName().toString().endsWith(".jsa")).sorted().toList();
    }
  }
}
