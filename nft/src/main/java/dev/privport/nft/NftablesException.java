package dev.privport.nft;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * A failure of the libnftables executor, carrying libnftables' own error text and, when it names
 * one, the offending line of the script. The ruleset is unchanged whenever this is thrown by a run:
 * libnftables commits a script as one transaction or not at all.
 */
public class NftablesException extends RuntimeException {
  /** What kind of failure it was, read from libnftables' own (never localised) messages. */
  public enum Reason {
    /** libnftables.so.1 is not installed (or not where the dynamic linker looks). */
    LIBRARY_MISSING,
    /** A libnftables.so.1 file exists but does not load (not a library, truncated, wrong arch). */
    LIBRARY_UNLOADABLE,
    /** jnr-ffi cannot start its native stub (jffi): no directory to unpack it into. */
    FFI_UNAVAILABLE,
    /** The process ran out of file descriptors (its {@code ulimit -n}). */
    RESOURCE_LIMIT,
    /** No netfilter netlink socket could be opened. */
    NETLINK_UNAVAILABLE,
    /** The process lacks CAP_NET_ADMIN. */
    PERMISSION,
    /** A table, chain or rule named by the script does not exist. */
    NOT_FOUND,
    /** An object the script creates already exists. */
    ALREADY_EXISTS,
    /** libnftables or the kernel rejected the script for any other reason. */
    REJECTED,
    /** The state directory ({@link StateDirectory}) cannot be used. */
    STATE_DIRECTORY,
    /** A trial was refused: the table's current state could not be put back afterwards. */
    NOT_RESTORABLE,
    /** A trial was refused: another trial of the same table awaits confirmation. */
    TRIAL_PENDING,
    /** libnftables printed output that cannot be read (malformed JSON, say). */
    MALFORMED_OUTPUT
  }

  private final Reason reason;
  private final String errorText;
  private final OptionalInt line;
  private final Optional<String> lineText;

  NftablesException(
      Reason reason,
      String message,
      String errorText,
      OptionalInt line,
      Optional<String> lineText) {
    super(message);
    this.reason = reason;
    this.errorText = errorText;
    this.line = line;
    this.lineText = lineText;
  }

  NftablesException(Reason reason, String message) {
    this(reason, message, "", OptionalInt.empty(), Optional.empty());
  }

  /**
   * Throws {@link Reason#LIBRARY_MISSING}, "{@code why}: add the Maven artifact {@code artifact}",
   * when {@code className}, of an optional dependency, cannot be loaded.
   */
  static void requireClass(String className, String why, String artifact) {
    try {
      Class.forName(className);
    } catch (ClassNotFoundException e) {
      throw new NftablesException(
          Reason.LIBRARY_MISSING, why + ": add the Maven artifact " + artifact);
    }
  }

  /** The kind of failure. */
  public Reason reason() {
    return reason;
  }

  /** libnftables' error buffer, verbatim. */
  public String errorText() {
    return errorText;
  }

  /** The 1-based line of the script the error points at, if any. */
  public OptionalInt line() {
    return line;
  }

  /** The text of that line. */
  public Optional<String> lineText() {
    return lineText;
  }
}
