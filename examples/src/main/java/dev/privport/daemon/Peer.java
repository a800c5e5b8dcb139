package dev.privport.daemon;

import java.util.Locale;

/**
 * The caller of a request as the kernel reports it ({@code SO_PEERCRED}): never taken from the
 * request itself. Ids are unsigned 32-bit values held in an {@code int}.
 *
 * @param uid the peer's effective uid when it connected
 * @param gid the peer's effective gid when it connected
 */
public record Peer(int uid, int gid) {
  /** Whether the peer is root. */
  public boolean isRoot() {
    return uid == 0;
  }

  /** The name of the plan (and so of the table {@code inet privport-NAME}) the peer owns. */
  public String planName() {
    return planName(uid);
  }

  /** The plan name owned by {@code uid}: {@code u} and the decimal uid (at most 11 characters). */
  public static String planName(int uid) {
    return "u" + Integer.toUnsignedString(uid);
  }

  /** {@code uid=N gid=M}, as log lines name a caller. */
  @Override
  public String toString() {
    return String.format(
        Locale.ROOT, "uid=%s gid=%s", Integer.toUnsignedString(uid), Integer.toUnsignedString(gid));
  }
}
