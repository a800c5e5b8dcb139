package dev.privport.core.remedy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import dev.privport.core.Step;
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
        .extracting(Step::toShell)
        .containsExactly(
            "systemctl daemon-reload",
            "systemctl enable --now privport-web-redir-80.service",
            "systemctl enable --now privport-web-redir-443.service");
    assertThat(r.remove())
        .extracting(Step::toShell)
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
  void redirSaysThatIncomingOnlyCannotBeKept() {
    Remedy r = Remedies.redir(RedirectPlan.of(Redirect.tcp(80, 8080).incomingOnly()));
    assertThat(r.files().get(0).content())
        .contains("ExecStart=/usr/bin/redir -sn :80 127.0.0.1:8080\n")
        .contains(
            "# incoming-only is not kept: redir listens on every IPv4 address (:80), so\n"
                + "# connections from this host itself are forwarded too.\n");
    assertThat(r.caveats()).anyMatch(c -> c.startsWith("incoming-only cannot be kept"));
    assertThat(Remedies.redir(RedirectPlan.of(80, 8080)).caveats())
        .noneMatch(c -> c.contains("incoming-only"));
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
  void unprivilegedPortStartUsesTheLowestPortWarnsAndUndoPutsBackWhatWasThere() {
    Remedy r =
        Remedies.unprivilegedPortStart(
            RedirectPlan.builder().tcp(443, 8443).udp(162, 1162).build(), 1024);
    assertThat(r.needed()).isTrue();
    assertThat(r.apply())
        .extracting(Step::toShell)
        .containsExactly("sysctl -w net.ipv4.ip_unprivileged_port_start=162");
    assertThat(r.remove().get(0).toShell())
        .isEqualTo(
            "if grep -qxF 162 /proc/sys/net/ipv4/ip_unprivileged_port_start >/dev/null 2>&1;"
                + " then sysctl -w net.ipv4.ip_unprivileged_port_start=1024; fi");
    assertThat(Remedies.unprivilegedPortStart(80, 500).remove().get(0).command().toShell())
        .isEqualTo("sysctl -w net.ipv4.ip_unprivileged_port_start=500");
    assertThat(r.files().get(0).path())
        .isEqualTo("/etc/sysctl.d/90-privport-unprivileged-port-start.conf");
    assertThat(r.files().get(0).content())
        .contains("WARNING: every port from 162 up becomes bindable by ANY local user")
        .contains("per network namespace")
        .endsWith("net.ipv4.ip_unprivileged_port_start = 162\n");
  }

  @Test
  void unprivilegedPortStartChangesNothingWhereThePortIsAlreadyBindable() {
    for (int current : new int[] {0, 80}) {
      Remedy r = Remedies.unprivilegedPortStart(80, current);
      assertThat(r.needed()).isFalse();
      assertThat(r.apply()).isEmpty();
      assertThat(r.remove()).isEmpty();
      assertThat(r.summary())
          .isEqualTo(
              "nothing to do: net.ipv4.ip_unprivileged_port_start is already "
                  + current
                  + " (<= 80), so port 80 is bindable; apply changes nothing");
      assertThat(r.files().get(0).content())
          .contains("NOTHING TO DO")
          .doesNotContainPattern("(?m)^net\\.")
          .endsWith("# net.ipv4.ip_unprivileged_port_start = 80\n");
    }
    // 1024:9000 on a default host: the drop-in would change nothing, and says so.
    Remedy r = Remedies.unprivilegedPortStart(RedirectPlan.of(1024, 9000), 1024);
    assertThat(r.needed()).isFalse();
    assertThat(r.files().get(0).content()).contains("NOTHING TO DO");
    assertThatThrownBy(() -> Remedies.unprivilegedPortStart(80, 70000))
        .hasMessage(
            "net.ipv4.ip_unprivileged_port_start (the current value) must be in 0..65535, got 70000");
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
    Remedy r = Remedies.pingGroupRange(1000, 1999, "1\t0");
    assertThat(r.apply())
        .extracting(Step::toShell)
        .containsExactly("sysctl -w 'net.ipv4.ping_group_range=1000 1999'");
    assertThat(r.remove().get(0).command().toShell())
        .isEqualTo("sysctl -w 'net.ipv4.ping_group_range=1 0'");
    assertThat(r.remove().get(0).guard().orElseThrow().argv())
        .containsExactly("grep", "-qxF", "1000\t1999", "/proc/sys/net/ipv4/ping_group_range");
    assertThat(r.files().get(0).content()).endsWith("net.ipv4.ping_group_range = 1000 1999\n");
    assertThatThrownBy(() -> Remedies.pingGroupRange(10, 5, "1 0"))
        .hasMessage("lastGid must be in 10..4294967294, got 5");
    assertThatThrownBy(() -> Remedies.pingGroupRange(-1, 5, "1 0"))
        .hasMessageStartingWith("firstGid must be");
    assertThatThrownBy(() -> Remedies.pingGroupRange(1, 5, "x"))
        .hasMessage(
            "net.ipv4.ping_group_range (the current value) must be two group ids, got \"x\"");
  }

  @Test
  void pingGroupRangeNeverNarrows() {
    Remedy wide = Remedies.pingGroupRange(65534, 65534, "0\t2147483647");
    assertThat(wide.needed()).isFalse();
    assertThat(wide.remove()).isEmpty();
    assertThat(wide.summary())
        .isEqualTo(
            "nothing to do: net.ipv4.ping_group_range is already 0 2147483647, which covers"
                + " groups 65534-65534; apply changes nothing");
    assertThat(wide.files().get(0).content()).doesNotContainPattern("(?m)^net\\.");
    Remedy widened = Remedies.pingGroupRange(1000, 1999, "0 100");
    assertThat(widened.apply())
        .extracting(Step::toShell)
        .containsExactly("sysctl -w 'net.ipv4.ping_group_range=0 1999'");
    assertThat(widened.remove().get(0).command().toShell())
        .isEqualTo("sysctl -w 'net.ipv4.ping_group_range=0 100'");
  }
}
