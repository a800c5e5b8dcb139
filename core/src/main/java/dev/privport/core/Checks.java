package dev.privport.core;

import java.util.regex.Pattern;

/**
 * Argument checks whose messages always name the field and the offending value, so that a user who
 * passed bad input sees what to fix in one line. Backends use these too.
 */
public final class Checks {
  private static final Pattern PLAN_NAME = Pattern.compile("[a-z][a-z0-9-]{0,11}");
  private static final Pattern INTERFACE =
      Pattern.compile("[A-Za-z0-9_.-]{1,15}|[A-Za-z0-9_.-]{1,14}\\+");

  /** The longest plan name: short enough for iptables' 28-character chain names. */
  public static final int MAX_PLAN_NAME_LENGTH = 12;

  private Checks() {}

  /** Throws {@link IllegalArgumentException} naming {@code field} and {@code value} unless true. */
  public static void check(boolean condition, String field, Object value, String requirement) {
    if (!condition) {
      throw new IllegalArgumentException(field + " " + requirement + ", got " + show(value));
    }
  }

  /** Checks a TCP/UDP port number: 1..65535. */
  public static int port(String field, int port) {
    check(port >= 1 && port <= 65535, field, port, "must be a port in 1..65535");
    return port;
  }

  /**
   * Checks a plan name: a lower-case letter, then up to 11 lower-case letters, digits or hyphens.
   * The charset is safe in every backend's syntax, in file names and in shell words.
   */
  public static String planName(String name) {
    check(name != null, "name", name, "must not be null");
    check(
        PLAN_NAME.matcher(name).matches(),
        "name",
        name,
        "must be 1-"
            + MAX_PLAN_NAME_LENGTH
            + " characters: a lower-case letter, then lower-case letters, digits or '-'");
    return name;
  }

  /**
   * Checks a Linux interface name: 1-15 bytes of letters, digits, '_', '.' or '-', optionally
   * ending in the wildcard '+' (every interface whose name starts with what precedes it). Linux
   * itself allows more (it forbids only '/', ':' and white space), but nothing wider is needed for
   * real interfaces and the narrow set cannot carry nft, XML or shell syntax.
   */
  public static String interfaceName(String name) {
    check(name != null, "interface", name, "must not be null");
    check(
        INTERFACE.matcher(name).matches() && !name.equals(".") && !name.equals(".."),
        "interface",
        name,
        "must be a Linux interface name: 1-15 characters of letters, digits, '_', '.' or '-',"
            + " optionally ending in the wildcard '+'");
    return name;
  }

  /**
   * Renders a value for an error message: strings quoted, control and non-ASCII characters escaped,
   * long ones cut, so a message stays one readable line whatever the user passed.
   */
  public static String show(Object value) {
    if (!(value instanceof String s)) {
      return String.valueOf(value);
    }
    StringBuilder out = new StringBuilder(s.length() + 2).append('"');
    int shown = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (shown++ == 64) {
        out.append("...(").append(s.length()).append(" chars)");
        break;
      }
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20 || c >= 0x7f) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.append('"').toString();
  }
}
