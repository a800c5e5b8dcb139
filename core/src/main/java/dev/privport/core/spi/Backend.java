package dev.privport.core.spi;

import java.util.Locale;

/**
 * What privport can render: the three firewall backends and the remedies that let a service bind a
 * low port itself. One constant per way; each knows the Maven module that provides it, the name the
 * command line gives it, and whether it is a firewall.
 *
 * <p>"Nothing needed" (advice) and "all" (the command line's selection) are not backends, so they
 * are not constants here: advice says {@code Optional.empty()}, the command line has its own
 * selection type.
 */
public enum Backend {
  /** An nft table of the plan's own ({@code privport-nft}). */
  NFT("privport-nft", "nft", true),
  /** iptables/ip6tables nat chains of the plan's own ({@code privport-iptables}). */
  IPTABLES("privport-iptables", "iptables", true),
  /** firewalld direct rules or policies ({@code privport-firewalld}). */
  FIREWALLD("privport-firewalld", "firewalld", true),
  /** A user-space TCP forwarder ({@code redir}) under systemd. */
  REDIR("privport-core", "redir", false),
  /** Lowering {@code net.ipv4.ip_unprivileged_port_start} (a sysctl drop-in). */
  UNPRIVILEGED_PORT_START("privport-core", "sysctl", false),
  /** {@code CAP_NET_BIND_SERVICE} as a file capability on one binary. */
  CAPABILITY("privport-core", "capability", false),
  /** Widening {@code net.ipv4.ping_group_range} for unprivileged ICMP echo. */
  PING_GROUP_RANGE("privport-core", "ping-group-range", false);

  private final String artifactId;
  private final String cliName;
  private final boolean firewall;

  Backend(String artifactId, String cliName, boolean firewall) {
    this.artifactId = artifactId;
    this.cliName = cliName;
    this.firewall = firewall;
  }

  /** The Maven coordinates of the module that provides this backend. */
  public String coordinates() {
    return "dev.privport:" + artifactId;
  }

  /** The name the command line's {@code --backend} gives it, e.g. {@code sysctl}. */
  public String cliName() {
    return cliName;
  }

  /**
   * Whether it redirects in the kernel's firewall (nft, iptables, firewalld) rather than a remedy.
   */
  public boolean firewall() {
    return firewall;
  }

  /**
   * The constant's name in lower case ({@code unprivileged_port_start}), as JSON output spells it.
   */
  public String jsonName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
