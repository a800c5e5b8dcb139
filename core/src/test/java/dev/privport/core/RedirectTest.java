package dev.privport.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RedirectTest {
  @Test
  void defaultsToBothFamiliesAndBothScopes() {
    Redirect r = Redirect.tcp(80, 8080);
    assertThat(r.protocol()).isEqualTo(Protocol.TCP);
    assertThat(r.families()).containsExactly(Family.IPV4, Family.IPV6);
    assertThat(r.scopes()).containsExactly(Scope.INCOMING, Scope.LOCAL);
    assertThat(r.inputInterface()).isEmpty();
  }

  @Test
  void withersReturnNewInstancesAndLeaveTheOriginal() {
    Redirect base = Redirect.udp(514, 5514);
    Redirect narrowed = base.ipv4Only().incomingOnly().onInterface("eth0");
    assertThat(narrowed.families()).containsExactly(Family.IPV4);
    assertThat(narrowed.scopes()).containsExactly(Scope.INCOMING);
    assertThat(narrowed.inputInterface()).contains("eth0");
    assertThat(base).isEqualTo(Redirect.udp(514, 5514));
    assertThat(base.ipv6Only().families()).containsExactly(Family.IPV6);
    assertThat(base.localOnly().scopes()).containsExactly(Scope.LOCAL);
  }

  @Test
  void familySetsAreImmutable() {
    assertThatThrownBy(() -> Redirect.tcp(80, 8080).families().clear())
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -1, 65536, 100000})
  void refusesFromPortOutOfRange(int port) {
    assertThatThrownBy(() -> Redirect.tcp(port, 8080))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("fromPort must be a port in 1..65535, got " + port);
  }

  @Test
  void refusesToPortOutOfRangeAndEqualPorts() {
    assertThatThrownBy(() -> Redirect.udp(80, 0))
        .hasMessage("toPort must be a port in 1..65535, got 0");
    assertThatThrownBy(() -> Redirect.tcp(80, 80))
        .hasMessage("toPort must differ from fromPort 80, got 80");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "eth0\"",
        "a b",
        "eth0;",
        "x/y",
        "veth:1",
        "sixteen-chars-xx",
        "é0",
        "eth+0",
        "..",
        "$(reboot)",
        "`id`",
        "{",
        "a\nb"
      })
  void refusesBadInterfaceNamesNamingFieldAndValue(String name) {
    assertThatThrownBy(() -> Redirect.tcp(80, 8080).onInterface(name))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("interface must be a Linux interface name")
        .hasMessageNotContaining("\n");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"eth0", "veth1234567890a", "eth+", "br-0a1b2c", "wlp2s0", "vlan.10", "podman0"})
  void acceptsRealInterfaceNames(String name) {
    assertThat(Redirect.tcp(80, 8080).onInterface(name).inputInterface()).contains(name);
  }

  @Test
  void interfaceNeedsTheIncomingScope() {
    assertThatThrownBy(() -> Redirect.tcp(80, 8080).localOnly().onInterface("eth0"))
        .hasMessage(
            "interface applies to INCOMING traffic only, but this redirect is LOCAL only, got \"eth0\"");
    assertThatThrownBy(() -> Redirect.tcp(80, 8080).onInterface("eth0").localOnly())
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void refusesEmptySets() {
    assertThatThrownBy(
            () ->
                new Redirect(
                    Protocol.TCP, 80, 8080, Set.of(), Set.of(Scope.LOCAL), Optional.empty()))
        .hasMessageStartingWith("families must name IPV4, IPV6 or both");
    assertThatThrownBy(
            () ->
                new Redirect(
                    Protocol.TCP, 80, 8080, Set.of(Family.IPV4), Set.of(), Optional.empty()))
        .hasMessageStartingWith("scopes must name INCOMING, LOCAL or both");
  }

  @Test
  void describesItself() {
    assertThat(Redirect.tcp(80, 8080).describe()).isEqualTo("tcp 80 -> 8080");
    assertThat(Redirect.udp(514, 5514).ipv4Only().onInterface("eth0").incomingOnly().describe())
        .isEqualTo("udp 514 -> 5514 [ipv4, incoming via eth0]");
  }

  @Test
  void rangesExpandPortByPort() {
    assertThat(Redirect.range(Protocol.TCP, 80, 82, 8080))
        .containsExactly(Redirect.tcp(80, 8080), Redirect.tcp(81, 8081), Redirect.tcp(82, 8082));
    assertThat(RedirectPlan.builder().udpRange(1000, 1999, 11000).build().redirects())
        .hasSize(1000);
  }

  @Test
  void rangesAreValidated() {
    assertThatThrownBy(() -> Redirect.range(Protocol.TCP, 90, 80, 8080))
        .hasMessage("fromLast must not be below fromFirst 90, got 80");
    assertThatThrownBy(() -> Redirect.range(Protocol.TCP, 80, 89, 65530))
        .hasMessage("toFirst must leave room for 10 ports below 65536, got 65530");
    assertThatThrownBy(() -> Redirect.range(Protocol.TCP, 0, 89, 8080))
        .hasMessageStartingWith("fromFirst must be a port");
  }

  @Test
  void aHundredThousandRedirectsFoldAndConflictCheckQuickly() {
    RedirectPlan.Builder b = RedirectPlan.builder();
    for (int i = 0; i < 100_000; i++) {
      b.add(Redirect.of(i % 2 == 0 ? Protocol.TCP : Protocol.UDP, 1 + i / 2, 10001 + i / 2));
    }
    assertThat(b.build().rules()).hasSize(200_000);
  }
}
