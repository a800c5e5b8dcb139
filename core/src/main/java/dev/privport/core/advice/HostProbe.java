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

  /** Whether a firewalld daemon is running. */
  boolean firewalldRunning();

  /** Whether {@code libnftables.so.1} is installed where the dynamic linker finds it. */
  boolean libnftablesInstalled();
}
