package dev.privport.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * A small unified diff for showing stale files: common lines at both ends are trimmed, and the
 * changed middle is shown as removed then added lines, with three lines of context. Not minimal for
 * scattered changes, but always correct and readable for the edits config files see.
 */
final class Diff {
  private static final int CONTEXT = 3;

  private Diff() {}

  static String unified(String path, String expected, String actual) {
    List<String> a = lines(actual);
    List<String> b = lines(expected);
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
    int from = Math.max(0, prefix - CONTEXT);
    int aEnd = Math.min(a.size(), a.size() - suffix + CONTEXT);
    int bEnd = Math.min(b.size(), b.size() - suffix + CONTEXT);
    StringBuilder out =
        new StringBuilder()
            .append("--- ")
            .append(path)
            .append(" (checked in)\n")
            .append("+++ ")
            .append(path)
            .append(" (rendered from the plan)\n")
            .append("@@ -")
            .append(from + 1)
            .append(',')
            .append(aEnd - from)
            .append(" +")
            .append(from + 1)
            .append(',')
            .append(bEnd - from)
            .append(" @@\n");
    for (int i = from; i < prefix; i++) {
      out.append(' ').append(a.get(i)).append('\n');
    }
    for (int i = prefix; i < a.size() - suffix; i++) {
      out.append('-').append(a.get(i)).append('\n');
    }
    for (int i = prefix; i < b.size() - suffix; i++) {
      out.append('+').append(b.get(i)).append('\n');
    }
    for (int i = a.size() - suffix; i < aEnd; i++) {
      out.append(' ').append(a.get(i)).append('\n');
    }
    return out.toString();
  }

  private static List<String> lines(String text) {
    List<String> out = new ArrayList<>(List.of(text.split("\n", -1)));
    if (!out.isEmpty() && out.get(out.size() - 1).isEmpty()) {
      out.remove(out.size() - 1);
    }
    return out;
  }
}
