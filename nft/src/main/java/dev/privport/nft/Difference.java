package dev.privport.nft;

import java.util.Locale;

/**
 * One way a plan's live table differs from what the plan renders, such as {@code chain incoming:
 * policy drop, plan says accept}.
 *
 * @param object what differs: {@code table}, {@code chain incoming}, {@code map incoming_tcp}
 * @param text how it differs, saying what the plan has where that helps
 */
public record Difference(String object, String text) {
  /** Escapes control characters (from a hand-made rule, say), so that a difference is one line. */
  public Difference {
    object = oneLine(object);
    text = oneLine(text);
  }

  private static String oneLine(String s) {
    if (s.chars().noneMatch(c -> c < 0x20 || c == 0x7f)) {
      return s;
    }
    StringBuilder out = new StringBuilder(s.length() + 16);
    s.chars()
        .forEach(
            c -> {
              if (c < 0x20 || c == 0x7f) {
                out.append(String.format(Locale.ROOT, "\\u%04x", c));
              } else {
                out.append((char) c);
              }
            });
    return out.toString();
  }

  /** The difference as one line: {@code object: text}. */
  public String line() {
    return object + ": " + text;
  }

  @Override
  public String toString() {
    return line();
  }
}
