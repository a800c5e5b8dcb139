package dev.privport.core.remedy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privport.core.Command;
import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RemediesTest {
  @Test
  void redirUnitIsHardenedAndNamedAfterThePlan() {
    Remedy r =
        Remedies.redir(RedirectPlan.builder().name("web").tcp(80, 8080).tcp(443, 8443).build());
    assertThat(r.files())
        .extracting(f -> f.path())
        .containsExactly(
            "/etc/systemd/system/privport-web-redir-80.service",
            "/etc/systemd/system/privport-web-redir-443.service");
    assertThat(r.files().get(0).content())
        .contains("ExecStart=/usr/bin/redir -sn :80 127.0.0.1:8080\n")
        .contains(
            "DynamicUser=yes\n",
            "AmbientCapabilities=CAP_NET_BIND_SERVICE\n",
            "CapabilityBoundingSet=CAP_NET_BIND_SERVICE\n",
            "NoNewPrivileges=yes\n",
            "Restart=on-failure\n",
            "WantedBy=multi-user.target\n");
    assertThat(r.apply())
        .extracting(Command::toShell)
        .containsExactly(
            "systemctl daemon-reload",
            "systemctl enable --now privport-web-redir-80.service",
            "systemctl enable --now privport-web-redir-443.service");
    assertThat(r.undo())
        .extracting(Command::toShell)
        .contains("systemctl disable --now privport-web-redir-80.service");
  }

  @Test
  void redirListensOnLoopbackForLocalOnlyRedirects() {
    assertThat(
            Remedies.redir(RedirectPlan.of(Redirect.tcp(80, 8080).localOnly()))
                .files()
                .get(0)
                .content())
        .contains("ExecStart=/usr/bin/redir -sn 127.0.0.1:80 127.0.0.1:8080\n");
  }

  @Test
  void redirRefusesWhatItCannotDoWithTheReason() {
    assertThatThrownBy(
            () -> Remedies.redir(RedirectPlan.builder().tcp(80, 8080).udp(514, 5514).build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "redirects cannot use redir: redir forwards TCP only; use a firewall backend for UDP, got \"udp 514 -> 5514\"");
    assertThatThrownBy(() -> Remedies.redir(RedirectPlan.of(Redirect.tcp(80, 8080).ipv6Only())))
        .hasMessageContaining("IPv4 only");
    assertThatThrownBy(
            () -> Remedies.redir(RedirectPlan.of(Redirect.tcp(80, 8080).onInterface("eth0"))))
        .hasMessageContaining("not interfaces");
  }

  @Test
  void unprivilegedPortStartUsesTheLowestPortAndWarns() {
    Remedy r =
        Remedies.unprivilegedPortStart(
            RedirectPlan.builder().tcp(443, 8443).udp(162, 1162).build());
    assertThat(r.apply())
        .extracting(Command::toShell)
        .containsExactly("sysctl -w net.ipv4.ip_unprivileged_port_start=162");
    assertThat(r.undo().get(0).toShell())
        .isEqualTo("sysctl -w net.ipv4.ip_unprivileged_port_start=1024");
    assertThat(r.files().get(0).path())
        .isEqualTo("/etc/sysctl.d/90-privport-unprivileged-port-start.conf");
    assertThat(r.files().get(0).content())
        .contains("WARNING: every port from 162 up becomes bindable by ANY local user")
        .contains("per network namespace")
        .endsWith("net.ipv4.ip_unprivileged_port_start = 162\n");
  }

  @Test
  void capabilityRendersSetcapAndItsUndoWithTheContainerCaveat() {
    Remedy r = Remedies.capability("/usr/bin/rootlesskit");
    assertThat(r.apply())
        .extracting(Command::toShell)
        .containsExactly("setcap cap_net_bind_service=ep /usr/bin/rootlesskit");
    assertThat(r.undo())
        .extracting(Command::toShell)
        .containsExactly("setcap -r /usr/bin/rootlesskit");
    assertThat(r.caveats()).anyMatch(c -> c.contains("switches user"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "rootlesskit",
        "/usr/bin/a b",
        "/usr/bin/$(id)",
        "/usr/../etc/x",
        "/usr/bin/",
        "/bin/x;y",
        "/bin/é"
      })
  void capabilityRefusesOddPaths(String path) {
    assertThatThrownBy(() -> Remedies.capability(path))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("binary must be an absolute path");
  }

  @Test
  void pingGroupRangeValidatesAndRenders() {
    Remedy r = Remedies.pingGroupRange(1000, 1999);
    assertThat(r.apply())
        .extracting(Command::toShell)
        .containsExactly("sysctl -w 'net.ipv4.ping_group_range=1000 1999'");
    assertThat(r.files().get(0).content()).endsWith("net.ipv4.ping_group_range = 1000 1999\n");
    assertThatThrownBy(() -> Remedies.pingGroupRange(10, 5))
        .hasMessage("lastGid must be in 10..4294967294, got 5");
    assertThatThrownBy(() -> Remedies.pingGroupRange(-1, 5))
        .hasMessageStartingWith("firstGid must be");
  }
}
