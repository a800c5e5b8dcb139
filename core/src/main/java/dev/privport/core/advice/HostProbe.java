package dev.privport.core.advice;

import java.util.List;
import java.util.Optional;

/**
 * Where a {@link HostFacts} reading comes from: the real host ({@link SystemHostProbe}) or, in
 * tests, a fake that describes a host in any state.
 */
public interface HostProbe {
  /** A sysctl's value as {@code /proc/sys} shows it, trimmed; empty when it does not exist. */
  Optional<String> sysctl(String key);

  /** Whether an executable of that name is on the PATH (or in /usr/sbin, /sbin). */
  boolean onPath(String command);

  /** A command's standard output and error, or empty when it cannot run. */
  Optional<String> output(List<String> argv);

  /**
   * Whether a firewalld daemon manages this network namespace: it answers on the system bus and its
   * process lives in the caller's network namespace (a firewalld elsewhere cannot apply rules
   * here).
   */
  boolean firewalldRunning();

  /**
   * The iptables-legacy (x_tables) tables loaded in this network namespace, e.g. {@code [nat]} from
   * {@code /proc/net/ip_tables_names}, IPv6 ones as {@code ip6:nat}; empty when none are.
   */
  default List<String> legacyTables() {
    return List.of();
  }

  /** Whether {@code libnftables.so.1} is installed where the dynamic linker finds it. */
  boolean libnftablesInstalled();
}
