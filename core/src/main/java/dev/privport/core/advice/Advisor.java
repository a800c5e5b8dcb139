package dev.privport.core.advice;

import dev.privport.core.Checks;
import dev.privport.core.Protocol;
import dev.privport.core.spi.Backend;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Says which remedies serve a privileged port on a host, and which to use. The order of preference:
 * nothing, if the port is already bindable; firewalld's backend where firewalld manages this
 * network namespace (one place for the host's firewall; iptables chains added behind its back
 * vanish on its reload, while an nft table of the plan's own survives); nft (except where iptables
 * is iptables-legacy, to keep one framework); iptables; redir for TCP; lowering the unprivileged
 * port start; a file capability.
 */
public final class Advisor {
  private Advisor() {}

  /** The advice for {@code port}/{@code protocol} on a host with {@code facts}. */
  public static Advice advise(HostFacts facts, Protocol protocol, int port) {
    Checks.port("port", port);
    List<Advice.Option> options = new ArrayList<>();
    int start = facts.unprivilegedPortStart().orElse(1024);
    options.add(
        port >= start
            ? nothingNeeded(
                true,
                "port " + port + " is already bindable: ip_unprivileged_port_start is " + start)
            : nothingNeeded(
                false, "port " + port + " is privileged: ip_unprivileged_port_start is " + start));
    // A firewall redirect for UDP needs conntrack to move senders that are already sending.
    String udpNote =
        protocol == Protocol.UDP && !facts.conntrack()
            ? "; install conntrack too, or UDP senders already sending keep their old path after an apply"
            : "";
    options.add(
        facts.firewalldRunning()
            ? option(
                Backend.FIREWALLD,
                true,
                "firewalld manages this network namespace: use the firewalld backend, permanent"
                    + " (--permanent, direct.xml or policy files), because runtime rules do not"
                    + " survive firewall-cmd --reload"
                    + udpNote)
            : option(
                Backend.FIREWALLD,
                false,
                "firewalld does not manage this network namespace (firewall-cmd --state)"));
    boolean legacyHost = facts.iptables() == HostFacts.Iptables.LEGACY;
    String legacyTables =
        facts.legacyTables().isEmpty()
            ? ""
            : "; iptables-legacy tables are loaded here ("
                + String.join(", ", facts.legacyTables())
                + "): their rules apply alongside nftables', see iptables-legacy-save";
    String nftWhat;
    if (facts.nft() && facts.libnftables()) {
      nftWhat =
          "nftables is installed: one table of the plan's own, kernel NAT, TCP and UDP, IPv4 and"
              + " IPv6, applicable in-process through libnftables";
    } else if (facts.nft()) {
      nftWhat =
          "nft is installed: one table of the plan's own, loaded with nft -f (no libnftables, so"
              + " not in-process)";
    } else {
      nftWhat =
          "libnftables is installed but the nft command is not: privport apply works in-process;"
              + " install nftables to load rendered files with nft -f";
    }
    if (facts.firewalldRunning()) {
      nftWhat +=
          "; the plan's own table survives firewalld's start, --reload and --complete-reload"
              + " (nftables backend), so it also works beside firewalld";
    }
    if (legacyHost) {
      nftWhat +=
          "; but this host's iptables is iptables-legacy: prefer the iptables backend, so every"
              + " rule stays in one framework";
    }
    options.add(
        facts.nft() || facts.libnftables()
            ? option(Backend.NFT, true, nftWhat + legacyTables + udpNote)
            : option(Backend.NFT, false, "neither nft nor libnftables is installed"));
    String beside =
        facts.firewalldRunning()
            ? "; WARNING: firewalld runs here and a plain firewall-cmd --reload deletes chains"
                + " added behind its back: use the firewalld backend (its direct rules carry the"
                + " same arguments)"
            : "";
    options.add(
        switch (facts.iptables()) {
          case NFT ->
              option(
                  Backend.IPTABLES,
                  true,
                  "iptables-nft is installed: the plan's own nat chains"
                      + beside
                      + legacyTables
                      + udpNote);
          case LEGACY ->
              option(
                  Backend.IPTABLES,
                  true,
                  "iptables-legacy is installed: the plan's own nat chains, in legacy tables like"
                      + " the host's other rules"
                      + beside
                      + udpNote);
          case NONE -> option(Backend.IPTABLES, false, "iptables is not installed");
        });
    options.add(
        protocol == Protocol.TCP
            ? option(
                Backend.REDIR,
                true,
                facts.redir()
                    ? "redir is installed: a user-space TCP forwarder under systemd (IPv4 only, hides client addresses)"
                    : "install redir for a user-space TCP forwarder under systemd (IPv4 only, hides client addresses)")
            : option(Backend.REDIR, false, "redir forwards TCP only"));
    options.add(
        facts.unprivilegedPortStart().isPresent()
            ? option(
                Backend.UNPRIVILEGED_PORT_START,
                port < start,
                "lowering ip_unprivileged_port_start to "
                    + port
                    + " makes every port >= "
                    + port
                    + " bindable by any user")
            : option(
                Backend.UNPRIVILEGED_PORT_START,
                false,
                "this kernel has no ip_unprivileged_port_start (< 4.11)"));
    options.add(
        option(
            Backend.CAPABILITY,
            true,
            "setcap cap_net_bind_service=ep on the service's own binary (rootlesskit for rootless Docker)"));

    Advice.Option recommended = null;
    for (Advice.Option o : options) { // a loop: a stream's findFirst spins the JDK's lambdas
      if (o.applicable() && (!o.backend().equals(Optional.of(Backend.NFT)) || !legacyHost)) {
        recommended = o;
        break;
      }
    }
    if (recommended == null) {
      throw new IllegalStateException("no option applies"); // CAPABILITY always applies
    }
    return new Advice(port, protocol, options, recommended);
  }

  private static Advice.Option option(Backend backend, boolean applicable, String reason) {
    return new Advice.Option(Optional.of(backend), applicable, reason);
  }

  private static Advice.Option nothingNeeded(boolean applicable, String reason) {
    return new Advice.Option(Optional.empty(), applicable, reason);
  }
}
