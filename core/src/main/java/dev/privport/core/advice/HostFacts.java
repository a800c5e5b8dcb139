package dev.privport.core.advice;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What privport needs to know about a host to advise a remedy.
 *
 * @param unprivilegedPortStart {@code net.ipv4.ip_unprivileged_port_start}, if the kernel has it
 * @param pingGroupRange {@code net.ipv4.ping_group_range}, e.g. {@code "1 0"} (nobody)
 * @param nft whether the {@code nft} command is installed
 * @param iptables which iptables the {@code iptables} command is
 * @param firewalldRunning whether a firewalld daemon manages this network namespace
 * @param libnftables whether {@code libnftables.so.1} is installed (for the in-process executor)
 * @param redir whether {@code redir} is installed
 * @param conntrack whether {@code conntrack} is installed (to move running UDP senders onto a
 *     change)
 * @param legacyTables iptables-legacy tables loaded in this network namespace ({@code nat}, {@code
 *     ip6:nat}): rules there apply alongside nftables'
 */
public record HostFacts(
    OptionalInt unprivilegedPortStart,
    Optional<String> pingGroupRange,
    boolean nft,
    Iptables iptables,
    boolean firewalldRunning,
    boolean libnftables,
    boolean redir,
    boolean conntrack,
    List<String> legacyTables) {

  public HostFacts {
    legacyTables = List.copyOf(legacyTables);
  }

  /** Which iptables a host has. */
  public enum Iptables {
    /** No iptables command. */
    NONE,
    /**
     * iptables-nft: iptables syntax, nftables underneath (the default on current distributions).
     */
    NFT,
    /** iptables-legacy: the old x_tables kernel interface. */
    LEGACY
  }

  /** Reads the facts through {@code probe}. */
  public static HostFacts read(HostProbe probe) {
    OptionalInt start =
        probe
            .sysctl("net.ipv4.ip_unprivileged_port_start")
            .filter(v -> v.matches("\\d+"))
            .map(v -> OptionalInt.of(Integer.parseInt(v)))
            .orElse(OptionalInt.empty());
    Iptables iptables = Iptables.NONE;
    if (probe.onPath("iptables")) {
      String version = probe.output(List.of("iptables", "--version")).orElse("");
      iptables = version.contains("legacy") ? Iptables.LEGACY : Iptables.NFT;
    }
    return new HostFacts(
        start,
        probe.sysctl("net.ipv4.ping_group_range").map(v -> v.replaceAll("\\s+", " ")),
        probe.onPath("nft"),
        iptables,
        probe.firewalldRunning(),
        probe.libnftablesInstalled(),
        probe.onPath("redir"),
        probe.onPath("conntrack"),
        probe.legacyTables());
  }

  /** Reads the real host. */
  public static HostFacts ofThisHost() {
    return read(new SystemHostProbe());
  }
}
