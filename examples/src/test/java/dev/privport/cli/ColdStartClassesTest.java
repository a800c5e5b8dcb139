package dev.privport.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.core.RedirectPlan;
import dev.privport.testkit.Cmd;
import dev.privport.testkit.Kernel;
import dev.privport.testkit.Netns;
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
 * no other subcommand's class (whose model picocli would build by reflection), and for {@code
 * render} none of the executors' libraries (jnr-ffi, Gson, dbus-java).
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
    }
  }
}
