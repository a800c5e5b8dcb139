package dev.privport.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.testkit.lab.Kernel;
import dev.privport.testkit.process.Cmd;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code render} reads and writes, tried as a hostile user would: output that cannot be
 * written (a full disk, {@code /dev/full}), links planted below {@code --out}, unchanged files,
 * plan files that are devices, FIFOs, directories, not UTF-8 or contradictory. Every refusal is one
 * line, exit 2, before anything is written; every write failure exit 3 with its cause.
 */
class RenderIoTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return Privport.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
  }

  private String errLine() {
    assertThat(err.toString()).as("one line on stderr").containsOnlyOnce("\n").endsWith("\n");
    return err.toString().strip();
  }

  @Test
  void aSymlinkedSubdirectoryIsRefusedBeforeAnythingIsWritten(@TempDir Path dir)
      throws IOException {
    Path rules = Files.createDirectories(dir.resolve("rules"));
    Path elsewhere = Files.createDirectories(dir.resolve("etc-sysctl.d"));
    Files.createSymbolicLink(rules.resolve("sysctl.d"), elsewhere);
    assertThat(run("render", "--backend", "all", "--out", rules.toString(), "80:8080"))
        .isEqualTo(2);
    assertThat(errLine())
        .isEqualTo(
            "privport: --out: "
                + rules.resolve("sysctl.d")
                + " is a symbolic link (to "
                + elsewhere
                + "): privport never writes through links below --out; remove it or render"
                + " elsewhere");
    assertThat(tree(elsewhere)).as("nothing written through the link").isEmpty();
    assertThat(tree(rules)).as("nothing written at all").containsExactly("sysctl.d");
  }

  @Test
  void aSymlinkedFileIsRefusedAndItsTargetUntouched(@TempDir Path dir) throws IOException {
    Path rules = Files.createDirectories(dir.resolve("rules/nftables"));
    Path target = Files.writeString(dir.resolve("victim"), "precious\n");
    Files.createSymbolicLink(rules.resolve("privport.nft"), target);
    assertThat(run("render", "--out", dir.resolve("rules").toString(), "80:8080")).isEqualTo(2);
    assertThat(errLine())
        .startsWith("privport: --out: " + rules.resolve("privport.nft") + " is a symbolic link");
    assertThat(Files.readString(target)).isEqualTo("precious\n");
  }

  @Test
  void unchangedFilesAreLeftUntouchedAndChangedOnesReplacedWithoutTemporaryFiles(@TempDir Path dir)
      throws IOException {
    Path rules = dir.resolve("rules");
    String[] render = {"render", "--backend", "all", "--out", rules.toString(), "--name", "web"};
    assertThat(run(concat(render, "80:8080", "443:8443"))).isZero();
    FileTime past = FileTime.fromMillis(1_000_000_000_000L);
    Map<String, String> before = contents(rules);
    for (String f : before.keySet()) {
      Files.setLastModifiedTime(rules.resolve(f), past);
      Files.setPosixFilePermissions(
          rules.resolve(f), java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
    }
    out.getBuffer().setLength(0);
    assertThat(run(concat(render, "80:8080", "443:8443"))).isZero();
    assertThat(out.toString()).doesNotContain("wrote ").contains("unchanged " + rules);
    for (String f : before.keySet()) {
      assertThat(Files.getLastModifiedTime(rules.resolve(f))).as(f).isEqualTo(past);
    }

    out.getBuffer().setLength(0);
    assertThat(run(concat(render, "80:8080", "443:9443"))).isZero();
    Map<String, String> after = contents(rules);
    assertThat(after.keySet()).as("no temporary file left").isEqualTo(before.keySet());
    List<String> changed = new ArrayList<>();
    for (String f : before.keySet()) {
      boolean same = after.get(f).equals(before.get(f));
      assertThat(Files.getLastModifiedTime(rules.resolve(f)).equals(past)).as(f).isEqualTo(same);
      assertThat(out.toString()).contains((same ? "unchanged " : "wrote ") + rules.resolve(f));
      assertThat(
              java.nio.file.attribute.PosixFilePermissions.toString(
                  Files.getPosixFilePermissions(rules.resolve(f))))
          .as("a replaced file keeps its mode")
          .isEqualTo("rw-r-----");
      if (!same) {
        changed.add(f);
      }
    }
    assertThat(changed).contains("nftables/privport-web.nft").hasSizeLessThan(before.size());
  }

  @Test
  void planFilesThatAreNotRegularFilesAreRefusedInOneLine(@TempDir Path dir) throws Exception {
    Path fifo = dir.resolve("fifo.plan");
    assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
    Path zeroLink = Files.createSymbolicLink(dir.resolve("zero.plan"), Path.of("/dev/zero"));
    for (Path plan : List.of(Path.of("/dev/zero"), zeroLink, fifo)) {
      err.getBuffer().setLength(0);
      assertThat(run("render", "--plan", plan.toString())).as(plan.toString()).isEqualTo(2);
      assertThat(errLine())
          .isEqualTo(
              "privport: plan file " + plan + ": not a regular file (a device, FIFO or socket)");
    }
    err.getBuffer().setLength(0);
    assertThat(run("render", "--plan", dir.toString())).isEqualTo(2);
    assertThat(errLine()).isEqualTo("privport: plan file " + dir + ": is a directory, not a file");
    err.getBuffer().setLength(0);
    assertThat(run("render", "--plan", dir.resolve("nope").toString())).isEqualTo(2);
    assertThat(errLine())
        .isEqualTo("privport: plan file " + dir.resolve("nope") + ": no such file");
  }

  @Test
  void planFilesThatAreNotUtf8OrContradictThemselvesNameFileLineAndColumn(@TempDir Path dir)
      throws IOException {
    Path latin1 = dir.resolve("latin1.plan");
    Files.write(latin1, "name web\n80:8080 # caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1));
    assertThat(run("render", "--plan", latin1.toString())).isEqualTo(2);
    assertThat(errLine())
        .isEqualTo(
            "privport: "
                + latin1
                + ":2:14: not UTF-8: byte 0xE9 at offset 22 (save the file as UTF-8)");
    for (String line :
        List.of(
            "80:8080 ipv4-only ipv6-only",
            "80:8080 incoming-only local-only",
            "80:8080 interface=eth0 interface=eth1")) {
      Path plan = Files.writeString(dir.resolve("c.plan"), line + "\n");
      err.getBuffer().setLength(0);
      out.getBuffer().setLength(0);
      assertThat(run("render", "--plan", plan.toString())).as(line).isEqualTo(2);
      assertThat(errLine()).as(line).startsWith("privport: " + plan + ":1:");
      assertThat(out.toString()).as("nothing rendered").isEmpty();
    }
  }

  @Test
  void outputThatCannotBeWrittenExits3WithTheCause() throws IOException {
    try (FileOutputStream full = new FileOutputStream("/dev/full")) {
      CheckedOutput stdout = new CheckedOutput(full);
      int code =
          Privport.run(
              new String[] {"render", "80:8080"},
              new PrintWriter(stdout, true),
              new PrintWriter(err, true),
              stdout::failure);
      assertThat(code).isEqualTo(3);
      assertThat(errLine())
          .isEqualTo("privport: cannot write standard output: No space left on device");
    }
  }

  /**
   * A real process writing to {@code /dev/full}, and to a 64 KiB tmpfs mounted in a private mount
   * namespace: output that does not fit is exit 3 with the cause, never a cut file with exit 0, and
   * a file that does not fit under {@code --out} leaves the previous one whole and no temporary
   * file behind.
   */
  @Test
  void aFullDiskIsExit3AndLeavesThePreviousFileWhole(@TempDir Path dir) throws IOException {
    Kernel.requireRoot();
    Kernel.requireCommand("unshare", "mount", "sh");
    Path mnt = Files.createDirectories(dir.resolve("mnt"));
    String java =
        Path.of(System.getProperty("java.home"), "bin", "java")
            + " -XX:-UsePerfData -Xshare:auto -cp "
            + System.getProperty("java.class.path")
            + " "
            + Privport.class.getName();
    String script =
        String.join(
            "\n",
            "set -u",
            "M=" + mnt,
            "P='" + java + "'",
            "$P render 80:8080 > /dev/full; echo devfull=$?",
            "mount -t tmpfs -o size=64k tmpfs \"$M\" || exit 99",
            "$P render 10000-19999:30000 > \"$M/stdout.nft\"; echo stdout=$?",
            "rm -f \"$M/stdout.nft\"",
            "$P render --out \"$M/rules\" 80:8080 > /dev/null; echo small=$?",
            "cp \"$M/rules/nftables/privport.nft\" \"" + dir.resolve("small.nft") + "\"",
            "$P render --out \"$M/rules\" 10000-19999:30000 >/dev/null; echo big=$?",
            "ls -A \"$M/rules/nftables\"",
            "cmp \"$M/rules/nftables/privport.nft\" \""
                + dir.resolve("small.nft")
                + "\" && echo whole");
    Cmd.Result r =
        Cmd.run(List.of("unshare", "-m", "--propagation", "private", "sh", "-c", script), null);
    assertThat(r.exitCode()).as(r.stderr()).isZero();
    assertThat(r.stdout().lines().toList())
        .as(r.stderr())
        .containsExactly("devfull=3", "stdout=3", "small=0", "big=3", "privport.nft", "whole");
    assertThat(r.stderr().lines().toList())
        .containsExactly(
            "privport: cannot write standard output: No space left on device",
            "privport: cannot write standard output: No space left on device",
            "privport: cannot write "
                + mnt.resolve("rules/nftables/privport.nft")
                + ": No space left on device");
  }

  private static String[] concat(String[] first, String... more) {
    return Stream.concat(Stream.of(first), Stream.of(more)).toArray(String[]::new);
  }

  private static List<String> tree(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files
          .filter(p -> !p.equals(dir))
          .filter(
              p ->
                  Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                      || Files.isSymbolicLink(p))
          .map(p -> dir.relativize(p).toString())
          .sorted()
          .toList();
    }
  }

  private static Map<String, String> contents(Path dir) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.filter(Files::isRegularFile).toList()) {
        out.put(dir.relativize(p).toString(), Files.readString(p));
      }
    }
    return out;
  }
}
