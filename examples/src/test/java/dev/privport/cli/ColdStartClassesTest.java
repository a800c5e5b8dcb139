package dev.privport.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.core.RedirectPlan;
import dev.privport.testkit.lab.Kernel;
import dev.privport.testkit.lab.Netns;
import dev.privport.testkit.process.Cmd;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.Command;

/**
 * Cold start: a run loads the classes of the command it runs and nothing else. Read from the JVM's
 * own class loading log ({@code -Xlog:class+load}) of a separate process, as an operator runs it:
 * no other subcommand's class (whose model picocli would build by reflection), no picocli model at
 * all for the command lines {@link DirectRun} reads, and for {@code render} none of the executors'
 * libraries (jnr-ffi, Gson, dbus-java).
 */
class ColdStartClassesTest {
  @TempDir Path tmp;

  /** Runs the command line in a JVM of its own (in {@code ns} unless null); returns its log. */
  private List<String> loaded(Netns ns, String... args) throws Exception {
    Path log = tmp.resolve("class-load.log");
    Files.deleteIfExists(log);
    List<String> argv = new ArrayList<>();
    if (ns != null) {
      argv.addAll(List.of("ip", "netns", "exec", ns.name()));
    }
    argv.addAll(
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xshare:off",
            "-Xlog:class+load=info:file=" + log,
            "-Dprivport.state.dir=" + tmp.resolve("state"),
            "-cp",
            System.getProperty("java.class.path"),
            Privport.class.getName()));
    argv.addAll(List.of(args));
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    p.getOutputStream().close();
    var out = Cmd.drain(p.getInputStream());
    try {
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("privport finished").isTrue();
      assertThat(p.exitValue()).as(out.join()).isZero();
    } finally {
      p.destroyForcibly();
    }
    if (args[0].equals("render")) {
      assertThat(out.join()).isEqualTo(RedirectPlan.of(80, 8080).toNft());
    }
    try (Stream<String> lines = Files.lines(log, StandardCharsets.UTF_8)) {
      // "[0.012s][info][class,load] java.lang.Object source: jrt:/java.base"
      return lines
          .map(l -> l.replaceFirst("^.*\\[class,load\\] ", ""))
          .map(l -> l.replaceFirst(" .*$", ""))
          .toList();
    }
  }

  /** The classes of every subcommand but {@code name}. */
  private static List<String> otherCommands(String name) {
    return Stream.of(Privport.All.class.getAnnotation(Command.class).subcommands())
        .filter(c -> !c.getAnnotation(Command.class).name().equals(name))
        .map(Class::getName)
        .toList();
  }

  @Test
  void renderLoadsNoOtherCommandAndNoExecutorLibrary() throws Exception {
    List<String> classes = loaded(null, "render", "80:8080");
    assertThat(classes).contains(RenderCommand.class.getName());
    assertThat(classes).doesNotContainAnyElementsOf(otherCommands("render"));
    assertThat(classes)
        .filteredOn(
            c ->
                c.startsWith("jnr.")
                    || c.startsWith("com.kenai.jffi.")
                    || c.startsWith("com.google.gson.")
                    || c.startsWith("org.freedesktop.dbus.")
                    || c.startsWith("dev.privport.daemon."))
        .isEmpty();
    // Read by DirectRun: picocli builds no model of the command line.
    assertThat(classes).doesNotContain("picocli.CommandLine");
    // A record's generated equals/hashCode is an invokedynamic bootstrap that spins method
    // handles and classes at its first run; the records render hashes have their own.
    assertThat(classes)
        .as("a record's generated equals or hashCode ran")
        .doesNotContain("java.lang.runtime.ObjectMethods");
  }

  @Test
  void privportClassesConcatenateStringsWithoutInvokedynamic() throws Exception {
    // -XDstringConcat=inline (the parent pom): each new shape of an indy concatenation spins
    // method handles at its first run, a cost every short run paid again.
    List<Path> roots = new ArrayList<>();
    for (Class<?> c :
        List.of(
            Privport.class,
            RedirectPlan.class,
            dev.privport.nft.NftRenderer.class,
            dev.privport.iptables.IptablesRenderer.class,
            dev.privport.firewalld.FirewalldRenderer.class)) {
      roots.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()));
    }
    byte[] indy = "makeConcatWithConstants".getBytes(StandardCharsets.US_ASCII);
    List<String> offenders = new ArrayList<>();
    int classes = 0;
    for (Path root : roots) {
      // A module's classes: a directory in the reactor build, else its jar.
      if (Files.isDirectory(root)) {
        try (Stream<Path> files = Files.walk(root)) {
          for (Path f : files.filter(f -> f.toString().endsWith(".class")).toList()) {
            classes++;
            if (contains(Files.readAllBytes(f), indy)) {
              offenders.add(root.relativize(f).toString());
            }
          }
        }
      } else {
        try (java.util.zip.ZipFile jar = new java.util.zip.ZipFile(root.toFile())) {
          for (var e : java.util.Collections.list(jar.entries())) {
            if (e.getName().endsWith(".class")) {
              classes++;
              try (var in = jar.getInputStream(e)) {
                if (contains(in.readAllBytes(), indy)) {
                  offenders.add(root.getFileName() + "!" + e.getName());
                }
              }
            }
          }
        }
      }
    }
    assertThat(classes).isGreaterThan(100);
    assertThat(offenders).as("classes with an invokedynamic string concatenation").isEmpty();
  }

  private static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  @Test
  void applyThroughLibnftablesLoadsNoOtherCommandAndNoDbus() throws Exception {
    Kernel.requireRoot();
    Kernel.requireCommand("nft");
    try (Netns ns = Netns.create("coldstart")) {
      List<String> classes = loaded(ns, "apply", "--keep-flows", "80:8080");
      assertThat(classes).contains(ApplyCommand.class.getName());
      assertThat(ns.sh("nft", "list", "table", "inet", "privport")).contains("redirect to :8080");
      assertThat(classes).doesNotContainAnyElementsOf(otherCommands("apply"));
      assertThat(classes).filteredOn(c -> c.startsWith("org.freedesktop.dbus.")).isEmpty();
      assertThat(classes).doesNotContain("picocli.CommandLine");
      // Gson's type adapters (140 classes) stay unloaded: trees are read and written by hand.
      assertThat(classes)
          .doesNotContain("com.google.gson.Gson", "com.google.gson.internal.bind.TypeAdapters");
      // No process: the default backend's probe reads iptables' variant from its binary's name.
      assertThat(classes).doesNotContain("java.lang.ProcessImpl");
      assertThat(classes)
          .as("a record's generated equals or hashCode ran")
          .doesNotContain("java.lang.runtime.ObjectMethods");
    }
  }
}
