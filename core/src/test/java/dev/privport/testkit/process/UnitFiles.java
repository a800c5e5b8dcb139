package dev.privport.testkit.process;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads systemd unit files the way systemd does, as far as privport's units need: the value of a
 * key, and an {@code Exec*=} line split into words (double or single quotes, backslash escapes).
 * Tests run those words exactly as written, with absolute paths mapped into a staging root.
 */
public final class UnitFiles {
  private UnitFiles() {}

  /** Every value of {@code key} in {@code unit}, in order ({@code key=value} lines). */
  public static List<String> values(String unit, String key) {
    List<String> values = new ArrayList<>();
    for (String line : unit.split("\n", -1)) {
      if (line.startsWith(key + "=")) {
        values.add(line.substring(key.length() + 1));
      }
    }
    return values;
  }

  /** The one value of {@code key}; fails unless there is exactly one. */
  public static String value(String unit, String key) {
    List<String> values = values(unit, key);
    if (values.size() != 1) {
      throw new AssertionError("expected one " + key + "= line, found " + values);
    }
    return values.get(0);
  }

  /**
   * A command line split into words as systemd splits it. Prefixes such as {@code -} or {@code @}
   * and specifiers ({@code %}) or variables ({@code $}) are refused: privport writes none, and a
   * test that met one would otherwise run something other than what systemd runs.
   */
  public static List<String> words(String line) {
    List<String> words = new ArrayList<>();
    StringBuilder word = null;
    char quote = 0;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '%' || c == '$') {
        throw new IllegalArgumentException("specifier or variable in " + line);
      }
      if (quote == 0 && Character.isWhitespace(c)) {
        if (word != null) {
          words.add(word.toString());
          word = null;
        }
        continue;
      }
      if (word == null) {
        word = new StringBuilder();
      }
      if (c == '\\') {
        if (++i == line.length()) {
          throw new IllegalArgumentException("trailing backslash in " + line);
        }
        char e = line.charAt(i);
        word.append(e == 'n' ? '\n' : e == 't' ? '\t' : e);
      } else if (quote != 0 && c == quote) {
        quote = 0;
      } else if (quote == 0 && (c == '"' || c == '\'')) {
        quote = c;
      } else {
        word.append(c);
      }
    }
    if (quote != 0) {
      throw new IllegalArgumentException("unbalanced quote in " + line);
    }
    if (word != null) {
      words.add(word.toString());
    }
    if (words.isEmpty() || !words.get(0).startsWith("/")) {
      throw new IllegalArgumentException("not an absolute program without prefixes: " + line);
    }
    return words;
  }

  /**
   * {@code words} with every argument under {@code /etc/} moved below {@code root} (the program,
   * word 0, is the real one).
   */
  public static List<String> mappedInto(Path root, List<String> words) {
    List<String> mapped = new ArrayList<>(words.subList(0, 1));
    for (String w : words.subList(1, words.size())) {
      mapped.add(w.startsWith("/etc/") ? root.resolve(w.substring(1)).toString() : w);
    }
    return mapped;
  }
}
