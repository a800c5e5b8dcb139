package dev.privport.cli;

import com.github.difflib.DiffUtils;
import com.github.difflib.patch.AbstractDelta;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal unified diff in the format of GNU {@code diff -u} (three lines of context, hunks closer
 * than 2 x 3 unchanged lines joined, {@code \ No newline at end of file} after a last line without
 * one). The edit script is java-diff-utils' Myers diff, so it is minimal; where several minimal
 * scripts exist, GNU diff may pick another one of the same size. Costly inputs: see {@link
 * #changes}.
 */
final class Diff {
  private static final int CONTEXT = 3;
  private static final String NO_NEWLINE = "\\ No newline at end of file\n";

  /** Myers' cost is about (N + M) x D steps; beyond this many, see {@link #changes}. */
  private static final long MAX_COST = 50_000_000L;

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
    // A line keeps its '\n', so a lost final newline is a changed line, as in diff -u.
    List<String> a = lines(oldText);
    List<String> b = lines(newText);
    List<Change> changes = changes(a, b);
    StringBuilder out = new StringBuilder();
    out.append("--- ").append(oldLabel).append('\n');
    out.append("+++ ").append(newLabel).append('\n');
    int i = 0;
    while (i < changes.size()) {
      // Join the following changes while the unchanged run between them is at most 2 x CONTEXT.
      int j = i;
      while (j + 1 < changes.size()
          && changes.get(j + 1).aFrom() - changes.get(j).aTo() <= 2 * CONTEXT) {
        j++;
      }
      hunk(out, a, b, changes.subList(i, j + 1));
      i = j + 1;
    }
    return out.toString();
  }

  /** Lines {@code a[aFrom, aTo)} are replaced by {@code b[bFrom, bTo)}; one side may be empty. */
  private record Change(int aFrom, int aTo, int bFrom, int bTo) {}

  /**
   * The minimal changes from {@code a} to {@code b}. Before the Myers diff, the common prefix and
   * suffix are set aside and so are lines that occur on one side only: none of them changes the
   * minimal edit, and a foreign file (nothing in common with the rendering) then costs nothing.
   * When the rest would still cost more than {@link #MAX_COST} steps, the middle is replaced
   * wholesale: a correct diff, not a minimal one, as GNU diff does for costly inputs.
   */
  private static List<Change> changes(List<String> a, List<String> b) {
    int prefix = 0;
    while (prefix < a.size() && prefix < b.size() && a.get(prefix).equals(b.get(prefix))) {
      prefix++;
    }
    int suffix = 0;
    while (suffix < a.size() - prefix
        && suffix < b.size() - prefix
        && a.get(a.size() - 1 - suffix).equals(b.get(b.size() - 1 - suffix))) {
      suffix++;
    }
    List<String> aMid = a.subList(prefix, a.size() - suffix);
    List<String> bMid = b.subList(prefix, b.size() - suffix);
    Map<String, Integer> aCount = counts(aMid);
    Map<String, Integer> bCount = counts(bMid);
    List<Integer> aKept = kept(aMid, bCount);
    List<Integer> bKept = kept(bMid, aCount);
    // An upper bound of the common lines, hence a lower bound of the edit distance D.
    long common = 0;
    for (Map.Entry<String, Integer> e : aCount.entrySet()) {
      common += Math.min(e.getValue(), bCount.getOrDefault(e.getKey(), 0));
    }
    long n = (long) aKept.size() + bKept.size();
    List<int[]> matches = new ArrayList<>();
    if (n * (n - 2 * common) <= MAX_COST) {
      List<String> a2 = aKept.stream().map(aMid::get).toList();
      List<String> b2 = bKept.stream().map(bMid::get).toList();
      int x = 0;
      int y = 0;
      for (AbstractDelta<String> d : DiffUtils.diff(a2, b2).getDeltas()) {
        for (; x < d.getSource().getPosition(); x++, y++) {
          matches.add(new int[] {prefix + aKept.get(x), prefix + bKept.get(y)});
        }
        x += d.getSource().size();
        y += d.getTarget().size();
      }
      for (; x < a2.size(); x++, y++) {
        matches.add(new int[] {prefix + aKept.get(x), prefix + bKept.get(y)});
      }
    }
    matches.add(new int[] {a.size() - suffix, b.size() - suffix});
    List<Change> out = new ArrayList<>();
    int aNext = prefix;
    int bNext = prefix;
    for (int[] m : matches) {
      if (m[0] > aNext || m[1] > bNext) {
        out.add(new Change(aNext, m[0], bNext, m[1]));
      }
      aNext = m[0] + 1;
      bNext = m[1] + 1;
    }
    return out;
  }

  private static Map<String, Integer> counts(List<String> lines) {
    Map<String, Integer> out = new HashMap<>();
    lines.forEach(l -> out.merge(l, 1, Integer::sum));
    return out;
  }

  /** Indexes of the lines of {@code lines} that occur on the other side at all. */
  private static List<Integer> kept(List<String> lines, Map<String, Integer> other) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      if (other.containsKey(lines.get(i))) {
        out.add(i);
      }
    }
    return out;
  }

  private static void hunk(StringBuilder out, List<String> a, List<String> b, List<Change> group) {
    Change first = group.get(0);
    Change last = group.get(group.size() - 1);
    int before = Math.min(CONTEXT, first.aFrom());
    int aFrom = first.aFrom() - before;
    int bFrom = first.bFrom() - before;
    int after = Math.min(CONTEXT, a.size() - last.aTo());
    int aTo = last.aTo() + after;
    int bTo = last.bTo() + after;
    out.append("@@ -")
        .append(range(aFrom, aTo - aFrom))
        .append(" +")
        .append(range(bFrom, bTo - bFrom))
        .append(" @@\n");
    int ai = aFrom;
    for (Change c : group) {
      for (; ai < c.aFrom(); ai++) {
        line(out, ' ', a.get(ai));
      }
      // Removed lines first, then added ones, as diff -u prints a change.
      a.subList(c.aFrom(), c.aTo()).forEach(l -> line(out, '-', l));
      b.subList(c.bFrom(), c.bTo()).forEach(l -> line(out, '+', l));
      ai = c.aTo();
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
