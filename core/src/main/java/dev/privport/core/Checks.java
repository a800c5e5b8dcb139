package dev.privport.core;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.Locale;
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
   * The cause of an I/O failure in words, for a message that already names {@code subject}: {@code
   * no such file or directory}, {@code permission denied}, the system's own reason ({@code No space
   * left on device}, {@code Is a directory}). Java's messages for these are often the bare path
   * alone; the path the failure concerns is added only when it is not {@code subject}.
   */
  public static String cause(IOException e, Path subject) {
    String reason;
    if (e instanceof NoSuchFileException) {
      reason = "no such file or directory";
    } else if (e instanceof AccessDeniedException) {
      reason = "permission denied";
    } else if (e instanceof FileAlreadyExistsException) {
      reason = "already exists";
    } else if (e instanceof DirectoryNotEmptyException) {
      reason = "directory not empty";
    } else if (e instanceof NotDirectoryException) {
      reason = "not a directory";
    } else if (e instanceof FileSystemException f && f.getReason() != null) {
      reason = f.getReason();
    } else {
      reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
    if (e instanceof FileSystemException f
        && f.getFile() != null
        && (subject == null || !Path.of(f.getFile()).equals(subject))) {
      reason +=
          " (" + f.getFile() + (f.getOtherFile() == null ? "" : ", " + f.getOtherFile()) + ")";
    }
    return reason;
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
        out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.append('"').toString();
  }
}
