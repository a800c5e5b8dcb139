package dev.privport.firewalld;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privport.core.Family;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Host addresses are validated as firewalld validates them ({@code socket.inet_pton} in its {@code
 * functions.checkIP}/{@code checkIP6}), and further to what can be this host's own unicast address,
 * so nothing privport renders is refused by firewalld later, or silently means another address.
 */
class HostAddressesTest {
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "2001:db8::1%1 | hostAddress must not carry a zone index ('%...'; firewalld refuses it),"
            + " got \"2001:db8::1%1\"",
        "2001:db8::1%eth0 | hostAddress must not carry a zone index ('%...'; firewalld refuses it),"
            + " got \"2001:db8::1%eth0\"",
        "255.255.255.255 | hostAddress must be a unicast address of this host, not the broadcast"
            + " address, got \"255.255.255.255\"",
        "0.1.2.3 | hostAddress must be a unicast address of this host, not in 0.0.0.0/8"
            + " (\"this network\"), got \"0.1.2.3\"",
        "::ffff:192.0.2.1 | hostAddress must not be an IPv4-mapped IPv6 address (write 192.0.2.1),"
            + " got \"::ffff:192.0.2.1\"",
        "[2001:db8::1] | hostAddress must be an IPv4 or IPv6 address literal, got \"[2001:db8::1]\"",
        "192.0.2.01 | hostAddress must be an IPv4 or IPv6 address literal, got \"192.0.2.01\"",
        "192.0.2.1/24 | hostAddress must be an IPv4 or IPv6 address literal, got \"192.0.2.1/24\"",
        "224.0.0.1 | hostAddress must be a unicast, non-loopback, non-link-local address, got"
            + " \"224.0.0.1\"",
        "fe80::1 | hostAddress must be a unicast, non-loopback, non-link-local address, got"
            + " \"fe80::1\"",
      })
  void whatFirewalldRefusesOrIsNoHostAddressIsRefusedInOneLine(String literal, String message) {
    assertThatThrownBy(() -> HostAddresses.of("192.0.2.1", literal))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }

  @ParameterizedTest
  @ValueSource(strings = {"2001:db8::1", "192.0.2.1", "203.0.113.255", "::c000:201"})
  void unicastAddressesAreTaken(String literal) {
    HostAddresses hosts = HostAddresses.of(literal);
    assertThat(hosts.addresses()).hasSize(1);
    assertThat(hosts.of(literal.contains(":") ? Family.IPV6 : Family.IPV4))
        .containsExactly(literal);
  }

  @org.junit.jupiter.api.Test
  void scopedAddressesFromJavaAreRefusedToo() throws Exception {
    InetAddress scoped =
        Inet6Address.getByAddress(null, InetAddress.getByName("2001:db8::1").getAddress(), 1);
    assertThatThrownBy(() -> new HostAddresses(List.of(scoped)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("hostAddress must not carry a zone index");
  }
}
