package dev.privport.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.testkit.process.Cmd;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * {@link Diff} against the real GNU {@code diff -u} on random edits: byte-identical output where
 * the minimal edit is unique (distinct lines, as most lines of rendered rules are), and a diff of
 * the same, minimal size that {@code patch} applies where lines repeat.
 */
class DiffProperties {
  private static Path dir;

  /** An old text and the text after 0..6 random edits, each with or without a final newline. */
  record Edit(String before, String after) {}

  @BeforeContainer
  static void makeDirectory() throws IOException {
    dir = Files.createTempDirectory("privport-diff-");
  }

  @AfterContainer
  static void cleanUp() throws IOException {
    if (dir != null) {
      try (var files = Files.list(dir)) {
        for (Path f : files.toList()) {
          Files.delete(f);
        }
      }
      Files.delete(dir);
    }
  }

  @Provide
  Arbitrary<Edit> distinctLines() {
    return edits(false);
  }

  @Provide
  Arbitrary<Edit> repeatedLines() {
    return edits(true);
  }

  @Property(tries = 300)
  void distinctLinesGiveExactlyTheOutputOfDiffU(@ForAll("distinctLines") Edit e) {
    assertThat(Diff.unified("old", "new", e.before(), e.after())).isEqualTo(gnuDiff(e, false));
  }

  @Property(tries = 300)
  void repeatedLinesGiveAMinimalDiffThatPatchApplies(@ForAll("repeatedLines") Edit e) {
    String mine = Diff.unified("old", "new", e.before(), e.after());
    assertThat(changedLines(mine)).isEqualTo(changedLines(gnuDiff(e, true)));
    if (!e.before().equals(e.after())) {
      Path target = write("target", e.before());
      Cmd.Result r =
          Cmd.run(List.of("patch", "-s", "--no-backup-if-mismatch", target.toString()), mine);
      assertThat(r.exitCode()).as(r.stderr() + r.stdout()).isZero();
      assertThat(read(target)).isEqualTo(e.after());
    }
  }

  private static String gnuDiff(Edit e, boolean minimal) {
    Path a = write("a", e.before());
    Path b = write("b", e.after());
    List<String> argv = new ArrayList<>(List.of("diff", "-u", "--label", "old", "--label", "new"));
    if (minimal) {
      argv.add("--minimal");
    }
    argv.addAll(List.of(a.toString(), b.toString()));
    Cmd.Result r = Cmd.run(argv, "");
    assertThat(r.exitCode()).as(r.stderr()).isBetween(0, 1);
    return r.stdout();
  }

  private static long changedLines(String diff) {
    return diff.lines()
        .filter(l -> !l.startsWith("---") && !l.startsWith("+++"))
        .filter(l -> l.startsWith("-") || l.startsWith("+"))
        .count();
  }

  private static Arbitrary<Edit> edits(boolean repeated) {
    Arbitrary<List<Integer>> ops = Arbitraries.integers().between(0, 1 << 20).list().ofMaxSize(18);
    return Combinators.combine(
            Arbitraries.integers().between(0, 40),
            ops,
            Arbitraries.of(true, false),
            Arbitraries.of(true, false))
        .as(
            (size, codes, oldNewline, newNewline) -> {
              List<String> before = new ArrayList<>();
              for (int i = 0; i < size; i++) {
                before.add(
                    repeated ? "x" + Math.floorMod(codes.hashCode() + i * 7, 3) : "line " + i);
              }
              List<String> after = new ArrayList<>(before);
              int fresh = 0;
              // Three numbers per edit: kind, position, content.
              for (int k = 0; k + 2 < codes.size(); k += 3) {
                int pos = codes.get(k + 1);
                String line = repeated ? "x" + codes.get(k + 2) % 3 : "new " + fresh++;
                switch (codes.get(k) % 3) {
                  case 0 -> after.add(pos % (after.size() + 1), line);
                  case 1 -> {
                    if (!after.isEmpty()) {
                      after.remove(pos % after.size());
                    }
                  }
                  default -> {
                    if (!after.isEmpty()) {
                      after.set(pos % after.size(), line);
                    }
                  }
                }
              }
              return new Edit(text(before, oldNewline), text(after, newNewline));
            });
  }

  private static String text(List<String> lines, boolean finalNewline) {
    String joined = String.join("\n", lines);
    return lines.isEmpty() || !finalNewline ? joined : joined + "\n";
  }

  private static Path write(String name, String text) {
    try {
      return Files.writeString(dir.resolve(name), text, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
