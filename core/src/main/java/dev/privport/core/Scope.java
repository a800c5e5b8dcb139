package dev.privport.core;

/** Which traffic a {@link Redirect} catches. */
public enum Scope {
  /**
   * Packets from other hosts addressed to one of this host's own addresses (the prerouting hook).
   * Traffic the host only routes, to containers, VMs or other machines, is never matched.
   */
  INCOMING,
  /**
   * Connections this host makes to itself, such as {@code curl http://localhost/} (the output hook,
   * traffic leaving on {@code lo}).
   */
  LOCAL
}
