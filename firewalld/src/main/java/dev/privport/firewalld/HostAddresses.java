package dev.privport.firewalld;

import static dev.privport.core.Checks.check;

import com.google.common.collect.ImmutableList;
import com.google.common.net.InetAddresses;
import dev.privport.core.Family;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;

/**
 * This host's own addresses, which the policy route must be told: firewalld's rich rules cannot say
 * "addressed to this host" the way {@code fib daddr type local} or {@code -m addrtype} do, so
 * privport names each address instead, and traffic the host only routes is never redirected.
 *
 * @param addresses unicast address literals (no names, so nothing is ever looked up in DNS)
 */
public record HostAddresses(List<InetAddress> addresses) {
  /**
   * Checks each address as firewalld's own check would ({@code inet_pton}: no zone index) and
   * further to what can be one of this host's unicast addresses.
   */
  public HostAddresses {
    check(addresses != null, "hostAddresses", null, "must not be null");
    addresses = ImmutableList.copyOf(addresses);
    for (InetAddress a : addresses) {
      String text = InetAddresses.toAddrString(a);
      if (a instanceof Inet6Address v6) {
        check(
            v6.getScopeId() == 0 && v6.getScopedInterface() == null,
            "hostAddress",
            text
                + "%"
                + (v6.getScopedInterface() != null
                    ? v6.getScopedInterface().getName()
                    : v6.getScopeId()),
            ZONE_INDEX);
      }
      check(
          !a.isAnyLocalAddress()
              && !a.isMulticastAddress()
              && !a.isLoopbackAddress()
              && !a.isLinkLocalAddress(),
          "hostAddress",
          text,
          "must be a unicast, non-loopback, non-link-local address");
      if (a instanceof Inet4Address) {
        byte[] b = a.getAddress();
        check(
            !text.equals("255.255.255.255"),
            "hostAddress",
            text,
            "must be a unicast address of this host, not the broadcast address");
        check(
            b[0] != 0,
            "hostAddress",
            text,
            "must be a unicast address of this host, not in 0.0.0.0/8 (\"this network\")");
      }
    }
  }

  private static final String ZONE_INDEX =
      "must not carry a zone index ('%...'; firewalld refuses it)";

  /**
   * Parses address literals, e.g. {@code HostAddresses.of("192.0.2.1", "2001:db8::1")}: the forms
   * firewalld takes, no zone index, no IPv4-mapped IPv6 form (which would silently become IPv4).
   */
  public static HostAddresses of(String... literals) {
    check(literals != null, "hostAddresses", null, "must not be null");
    ImmutableList.Builder<InetAddress> out = ImmutableList.builder();
    for (String literal : literals) {
      check(
          literal != null && InetAddresses.isInetAddress(literal),
          "hostAddress",
          literal,
          "must be an IPv4 or IPv6 address literal");
      check(literal.indexOf('%') < 0, "hostAddress", literal, ZONE_INDEX);
      InetAddress address = InetAddresses.forString(literal);
      check(
          !(address instanceof Inet4Address) || !literal.contains(":"),
          "hostAddress",
          literal,
          "must not be an IPv4-mapped IPv6 address (write "
              + InetAddresses.toAddrString(address)
              + ")");
      out.add(address);
    }
    return new HostAddresses(out.build());
  }

  /** No addresses: enough for plans with only LOCAL redirects. */
  public static HostAddresses none() {
    return new HostAddresses(List.of());
  }

  /** The addresses of one family, as firewalld writes them. */
  List<String> of(Family family) {
    return addresses.stream()
        .filter(a -> (a instanceof Inet4Address) == (family == Family.IPV4))
        .map(InetAddresses::toAddrString)
        .toList();
  }
}
