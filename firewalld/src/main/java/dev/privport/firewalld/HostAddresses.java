package dev.privport.firewalld;

import static dev.privport.core.Checks.check;

import com.google.common.collect.ImmutableList;
import com.google.common.net.InetAddresses;
import dev.privport.core.Family;
import java.net.Inet4Address;
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
  public HostAddresses {
    addresses = ImmutableList.copyOf(addresses);
    for (InetAddress a : addresses) {
      check(
          !a.isAnyLocalAddress()
              && !a.isMulticastAddress()
              && !a.isLoopbackAddress()
              && !a.isLinkLocalAddress(),
          "hostAddress",
          a.getHostAddress(),
          "must be a unicast, non-loopback, non-link-local address");
    }
  }

  /** Parses address literals, e.g. {@code HostAddresses.of("192.0.2.1", "2001:db8::1")}. */
  public static HostAddresses of(String... literals) {
    ImmutableList.Builder<InetAddress> out = ImmutableList.builder();
    for (String literal : literals) {
      check(
          literal != null && InetAddresses.isInetAddress(literal),
          "hostAddress",
          literal,
          "must be an IPv4 or IPv6 address literal");
      out.add(InetAddresses.forString(literal));
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
