package dev.privport.cli;

import com.github.difflib.DiffUtils;
import com.github.difflib.patch.AbstractDelta;
import java.util.ArrayList;
import java.util.List;

/**
 * A minimal unified diff in the format of GNU {@code diff -u} (three lines of context, hunks closer
 * than 2 x 3 unchanged lines joined, {@code \ No newline at end of file} after a last line without
 * one). The edit script is java-diff-utils' Myers diff, so it is minimal; where several minimal
 * scripts exist, GNU diff may pick another one of the same size.
 */
final class Diff {
  private static final int CONTEXT = 3;
  private static final String NO_NEWLINE = "\\ No newline at end of file\n";

  private Diff() {}

  /**
   * The diff turning {@code oldText} into {@code newText}, empty when they are equal.
   *
   * @param oldLabel the {@code ---} line's label
   * @param newLabel the {@code +++} line's label
   */
  static String unified(String oldLabel, String newLabel, String oldText, String newText) {
    if (oldText.equals(newText)) {
      return "";
    }
    List<String> a = lines(oldText);
    List<String> b = lines(newText);
    // A line keeps its '\n', so a lost final newline is a changed line, as in diff -u.
    List<AbstractDelta<String>> deltas = new ArrayList<>(DiffUtils.diff(a, b).getDeltas());
    StringBuilder out = new StringBuilder();
    out.append("--- ").append(oldLabel).append('\n');
    out.append("+++ ").append(newLabel).append('\n');
    int i = 0;
    while (i < deltas.size()) {
      // Join the following deltas while the unchanged run between them is at most 2 x CONTEXT.
      int j = i;
      while (j + 1 < deltas.size()
          && start(deltas.get(j + 1)) - end(deltas.get(j)) <= 2 * CONTEXT) {
        j++;
      }
      hunk(out, a, b, deltas.subList(i, j + 1));
      i = j + 1;
    }
    return out.toString();
  }

  private static void hunk(
      StringBuilder out, List<String> a, List<String> b, List<AbstractDelta<String>> group) {
    AbstractDelta<String> first = group.get(0);
    AbstractDelta<String> last = group.get(group.size() - 1);
    int before = Math.min(CONTEXT, start(first));
    int aFrom = start(first) - before;
    int bFrom = first.getTarget().getPosition() - before;
    int after = Math.min(CONTEXT, a.size() - end(last));
    int aTo = end(last) + after;
    int bTo = last.getTarget().getPosition() + last.getTarget().size() + after;
    out.append("@@ -")
        .append(range(aFrom, aTo - aFrom))
        .append(" +")
        .append(range(bFrom, bTo - bFrom))
        .append(" @@\n");
    int ai = aFrom;
    for (AbstractDelta<String> d : group) {
      for (; ai < start(d); ai++) {
        line(out, ' ', a.get(ai));
      }
      // Removed lines first, then added ones, as diff -u prints a change.
      d.getSource().getLines().forEach(l -> line(out, '-', l));
      d.getTarget().getLines().forEach(l -> line(out, '+', l));
      ai = end(d);
    }
    for (; ai < aTo; ai++) {
      line(out, ' ', a.get(ai));
    }
  }

  /** diff -u's range: "start,count", the start alone for one line, the line before for none. */
  private static String range(int from, int count) {
    if (count == 1) {
      return Integer.toString(from + 1);
    }
    return (count == 0 ? from : from + 1) + "," + count;
  }

  private static void line(StringBuilder out, char tag, String line) {
    out.append(tag).append(line);
    if (!line.endsWith("\n")) {
      out.append('\n').append(NO_NEWLINE);
    }
  }

  private static int start(AbstractDelta<String> d) {
    return d.getSource().getPosition();
  }

  private static int end(AbstractDelta<String> d) {
    return d.getSource().getPosition() + d.getSource().size();
  }

  /** The lines of {@code text}, each with its '\n'; only the last may lack one. */
  private static List<String> lines(String text) {
    List<String> out = new ArrayList<>();
    int from = 0;
    while (from < text.length()) {
      int nl = text.indexOf('\n', from);
      int to = nl < 0 ? text.length() : nl + 1;
      out.add(text.substring(from, to));
      from = to;
    }
    return out;
  }
}
