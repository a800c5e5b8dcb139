package dev.privport.firewalld;

/**
 * A {@link Firewalld} operation failed. The message is one line naming the cause (the bus address,
 * firewalld's own error code and text); {@link #reason()} tells the kinds apart.
 */
public final class FirewalldException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why an operation failed. */
  public enum Reason {
    /** The D-Bus system bus could not be reached (no socket, wrong address, bus gone). */
    UNREACHABLE,
    /** The bus answers but firewalld is not on it, or is not in state {@code RUNNING}. */
    NOT_RUNNING,
    /** firewalld (or the bus) refused the caller: not root, or polkit said no. */
    DENIED,
    /**
     * firewalld refused the plan's rules or policies; its previous configuration was put back, so
     * nothing of the plan is left half-applied.
     */
    REJECTED,
    /** Anything else: firewalld answered with an error, or did not answer in time. */
    FAILED
  }

  private final Reason reason;

  FirewalldException(Reason reason, String message, Throwable cause) {
    super(oneLine(message), cause);
    this.reason = reason;
  }

  /** Why the operation failed. */
  public Reason reason() {
    return reason;
  }

  /** Joins the lines of firewalld's multi-line messages (iptables-restore output) with "; ". */
  static String oneLine(String s) {
    if (s == null) {
      return "(no message)";
    }
    return String.join("; ", s.strip().split("\\s*\\R+\\s*"));
  }
}
