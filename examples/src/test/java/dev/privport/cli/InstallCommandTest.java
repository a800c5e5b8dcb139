package dev.privport.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.core.RedirectPlan;
import dev.privport.nft.NftServiceUnit;
import dev.privport.testkit.lab.Kernel;
import dev.privport.testkit.lab.Netns;
import dev.privport.testkit.process.UnitFiles;
import dev.privport.testkit.traffic.Echo;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code privport install} and {@code uninstall} under a staging root ({@code --root}): the files,
 * idempotence, refusals (a file privport did not write, another plan's, a link out of the root, bad
 * input), and the installed unit's lines run as written in a namespace with real traffic.
 */
class InstallCommandTest {
  @TempDir Path root;
  @TempDir Path elsewhere;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    out.getBuffer().setLength(0);
    err.getBuffer().setLength(0);
    return Privport.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
  }

  private Path rules(String q) {
    return root.resolve("etc/privport/" + q + ".nft");
  }

  private Path unit(String q) {
    return root.resolve("etc/systemd/system/" + q + ".service");
  }

  /** Every file below {@code dir} with its content: the whole visible state of a root. */
  private static Map<String, String> tree(Path dir) throws IOException {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.toList()) {
        String key = dir.relativize(p).toString();
        files.put(
            key + (Files.isDirectory(p) ? "/" : ""),
            Files.isRegularFile(p) ? Files.readString(p) : "");
      }
    }
    return files;
  }

  @Test
  void installWritesTheRenderedFilesAndIsIdempotent() throws IOException {
    assertThat(run("install", "--root", root.toString(), "80:8080")).as(err.toString()).isZero();
    NftServiceUnit expected = NftServiceUnit.of(RedirectPlan.of(80, 8080));
    assertThat(Files.readString(rules("privport"))).isEqualTo(expected.rules().content());
    assertThat(Files.readString(unit("privport"))).isEqualTo(expected.unit().content());
    assertThat(Files.getPosixFilePermissions(unit("privport")))
        .isEqualTo(PosixFilePermissions.fromString("rw-r--r--"));
    assertThat(out.toString())
        .contains("wrote " + rules("privport"), "wrote " + unit("privport"))
        .contains("no service was started");
    Map<String, String> once = tree(root);
    assertThat(once.keySet())
        .containsExactly(
            "/",
            "etc/",
            "etc/privport/",
            "etc/privport/privport.nft",
            "etc/systemd/",
            "etc/systemd/system/",
            "etc/systemd/system/privport.service");

    assertThat(run("install", "--root", root.toString(), "80:8080")).isZero();
    assertThat(out.toString()).contains("unchanged " + rules("privport"));
    assertThat(tree(root)).isEqualTo(once);

    // The same as render --out writes.
    assertThat(run("render", "--out", elsewhere.toString(), "80:8080")).isZero();
    assertThat(Files.readString(elsewhere.resolve("systemd/privport.service")))
        .isEqualTo(expected.unit().content());

    // A changed plan replaces the plan's own files.
    assertThat(run("install", "--root", root.toString(), "80:8081")).isZero();
    assertThat(Files.readString(rules("privport"))).contains("redirect to :8081");
  }

  @Test
  void uninstallRemovesOnlyThisPlansFilesAndIsIdempotent() throws IOException {
    assertThat(run("install", "--root", root.toString(), "--name", "web", "80:8080")).isZero();
    Map<String, String> webOnly = tree(root);
    assertThat(run("install", "--root", root.toString(), "81:8081")).isZero();
    assertThat(rules("privport")).exists();

    assertThat(run("uninstall", "--root", root.toString(), "81:8081")).isZero();
    assertThat(out.toString())
        .contains("removed " + unit("privport"), "removed " + rules("privport"));
    assertThat(tree(root)).as("the other plan's files stay").isEqualTo(webOnly);
    assertThat(run("uninstall", "--root", root.toString(), "81:8081")).isZero();
    assertThat(out.toString()).contains("absent " + rules("privport"));
    assertThat(tree(root)).isEqualTo(webOnly);

    assertThat(run("uninstall", "--root", root.toString(), "--name", "web")).isZero();
    assertThat(tree(root).keySet())
        .as("privport's own directory goes when empty")
        .containsExactly("/", "etc/", "etc/systemd/", "etc/systemd/system/");
  }

  @Test
  void aFileSomeoneElseWroteIsNeverOverwrittenNorRemoved() throws IOException {
    Files.createDirectories(unit("privport").getParent());
    Files.writeString(unit("privport"), "[Unit]\nDescription=the operator's own\n");
    Map<String, String> before = tree(root);
    assertThat(run("install", "--root", root.toString(), "80:8080")).isEqualTo(3);
    assertThat(err.toString().lines())
        .singleElement()
        .asString()
        .contains(unit("privport").toString(), "was not written by privport");
    assertThat(tree(root)).as("nothing written, not even the rules file").isEqualTo(before);
    assertThat(run("uninstall", "--root", root.toString(), "80:8080")).isEqualTo(3);
    assertThat(tree(root)).isEqualTo(before);

    // Another plan's file at this plan's path: its marker names the other plan.
    Files.delete(unit("privport"));
    assertThat(run("install", "--root", root.toString(), "--name", "web", "80:8080")).isZero();
    Files.move(rules("privport-web"), rules("privport"));
    assertThat(run("install", "--root", root.toString(), "80:8080")).isEqualTo(3);
    assertThat(Files.readString(rules("privport"))).startsWith("# privport plan \"privport-web\"");
  }

  @Test
  void linksAreNotFollowedOutOfTheRoot() throws IOException {
    Files.createDirectories(root.resolve("etc"));
    Files.createSymbolicLink(root.resolve("etc/privport"), elsewhere);
    assertThat(run("install", "--root", root.toString(), "80:8080")).isEqualTo(3);
    assertThat(err.toString()).contains("outside --root");
    assertThat(tree(elsewhere).keySet()).containsExactly("/");
    assertThat(root.resolve("etc/systemd")).doesNotExist();

    // A link where the file goes, even to a file with the marker, is not privport's file.
    Files.delete(root.resolve("etc/privport"));
    Files.createDirectories(root.resolve("etc/privport"));
    Path target = elsewhere.resolve("target.nft");
    Files.writeString(target, RedirectPlan.of(80, 8080).toNft());
    Files.createSymbolicLink(rules("privport"), target);
    assertThat(run("install", "--root", root.toString(), "80:8080")).isEqualTo(3);
    assertThat(err.toString()).contains("is not a regular file privport wrote");
    assertThat(run("uninstall", "--root", root.toString(), "80:8080")).isEqualTo(3);
    assertThat(Files.readString(target)).isEqualTo(RedirectPlan.of(80, 8080).toNft());
  }

  @Test
  void badInputIsRefusedBeforeAnythingIsWritten() throws IOException {
    assertThat(run("install", "--root", root.toString(), "80:80")).isEqualTo(2);
    assertThat(err.toString()).isEqualTo("privport: toPort must differ from fromPort 80, got 80\n");
    assertThat(run("install", "--root", root.resolve("missing").toString(), "80:8080"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("--root must be an existing directory");
    assertThat(run("uninstall", "--root", root.toString())).isEqualTo(2);
    assertThat(err.toString()).contains("no plan given");
    assertThat(run("uninstall", "--root", root.toString(), "--name", "Web;rm")).isEqualTo(2);
    assertThat(err.toString()).contains("name must be 1-12 characters");
    assertThat(tree(root).keySet()).containsExactly("/");
  }

  @Test
  void aFullDiskChangesNothingAndNamesTheFile() throws IOException {
    Kernel.requireRoot();
    Kernel.requireCommand("mount", "umount");
    dev.privport.testkit.process.Cmd.run(
            "mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", root.toString())
        .orThrow();
    try {
      assertThat(run("install", "--root", root.toString(), "80:8080")).isZero();
      Files.write(root.resolve("filler"), new byte[2048]);
      Map<String, String> before = tree(root);
      assertThat(run("install", "--root", root.toString(), "8000-8999:9000")).isEqualTo(3);
      assertThat(err.toString().lines())
          .singleElement()
          .asString()
          .contains("cannot write " + rules("privport"), "No space left on device");
      assertThat(tree(root)).as("the old files, no temporary ones").isEqualTo(before);
    } finally {
      dev.privport.testkit.process.Cmd.run("umount", root.toString()).orThrow();
    }
  }

  /**
   * The installed unit's lines, read from the installed file and run as written (paths mapped into
   * the staging root) in a namespace: start, a reload after {@code nft flush ruleset}, stop twice.
   */
  @Test
  void theInstalledUnitKeepsThePlanAcrossAFlush() throws IOException {
    Kernel.requireRoot();
    Kernel.requireCommand("nft");
    Kernel.require(
        Files.isExecutable(Path.of(NftServiceUnit.NFT_BINARY)),
        NftServiceUnit.NFT_BINARY + " is not installed");
    assertThat(run("install", "--root", root.toString(), "--name", "web", "80:8080")).isZero();
    String text = Files.readString(unit("privport-web"));
    try (Netns ns = Netns.create("install");
        Echo.Servers servers = ns.call(() -> new Echo.Servers(80, 8080))) {
      assertThat(ns.call(() -> Echo.tcp("127.0.0.1", 80))).isEqualTo("port=80");
      for (String step : List.of("ExecStart", "flush", "ExecReload", "ExecStop", "ExecStop")) {
        if (step.equals("flush")) {
          ns.sh("nft", "flush", "ruleset");
          assertThat(ns.call(() -> Echo.tcp("::1", 80))).isEqualTo("port=80");
          continue;
        }
        List<String> words =
            UnitFiles.mappedInto(root, UnitFiles.words(UnitFiles.value(text, step)));
        assertThat(ns.exec(words.toArray(String[]::new)).exitCode()).as(step).isZero();
        String expected = step.equals("ExecStop") ? "port=80" : "port=8080";
        assertThat(ns.call(() -> Echo.tcp("127.0.0.1", 80))).as(step).isEqualTo(expected);
        assertThat(ns.call(() -> Echo.tcp("::1", 80))).as(step).isEqualTo(expected);
      }
    }
  }
}
