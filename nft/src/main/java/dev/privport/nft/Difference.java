package dev.privport.nft;

/**
 * One way a plan's live table differs from what the plan renders, such as {@code chain incoming:
 * policy drop, plan says accept}.
 *
 * @param object what differs: {@code table}, {@code chain incoming}, {@code map incoming_tcp}
 * @param text how it differs, saying what the plan has where that helps
 */
public record Difference(String object, String text) {
  /** The difference as one line: {@code object: text}. */
  public String line() {
    return object + ": " + text;
  }

  @Override
  public String toString() {
    return line();
  }
}
