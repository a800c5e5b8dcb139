package dev.privport.core.advice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.core.Protocol;
import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import dev.privport.core.spi.Backend;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class AdvisorTest {
  /** A host described by a map of sysctls and a set of installed commands. */
  record FakeHost(
      Map<String, String> sysctls,
      List<String> commands,
      String iptablesVersion,
      boolean firewalld,
      boolean libnftables,
      List<String> legacyTables)
      implements HostProbe {
    FakeHost(
        Map<String, String> sysctls,
        List<String> commands,
        String iptablesVersion,
        boolean firewalld,
        boolean libnftables) {
      this(sysctls, commands, iptablesVersion, firewalld, libnftables, List.of());
    }

    @Override
    public Optional<String> sysctl(String key) {
      return Optional.ofNullable(sysctls.get(key));
    }

    @Override
    public boolean onPath(String command) {
      return commands.contains(command);
    }

    @Override
    public Optional<String> output(List<String> argv) {
      return argv.get(0).equals("iptables") ? Optional.of(iptablesVersion) : Optional.empty();
    }

    @Override
    public boolean firewalldRunning() {
      return firewalld;
    }

    @Override
    public boolean libnftablesInstalled() {
      return libnftables;
    }
  }

  private static final Map<String, String> DEFAULT_SYSCTLS =
      Map.of("net.ipv4.ip_unprivileged_port_start", "1024", "net.ipv4.ping_group_range", "1\t0");

  @Test
  void portAlreadyBindableNeedsNothing() {
    HostFacts facts =
        HostFacts.read(
            new FakeHost(
                Map.of("net.ipv4.ip_unprivileged_port_start", "0"),
                List.of("nft"),
                "",
                false,
                true));
    Advice advice = Advisor.advise(facts, Protocol.TCP, 80);
    assertThat(advice.recommended().backend()).isEmpty();
    assertThat(advice.recommended().reason())
        .isEqualTo("port 80 is already bindable: ip_unprivileged_port_start is 0");
  }

  @Test
  void firewalldRunningWinsOverNft() {
    HostFacts facts =
        HostFacts.read(
            new FakeHost(
                DEFAULT_SYSCTLS,
                List.of("nft", "iptables", "firewall-cmd"),
                "iptables v1.8.9 (nf_tables)",
                true,
                true));
    Advice advice = Advisor.advise(facts, Protocol.TCP, 80);
    assertThat(advice.recommended().backend()).isEqualTo(Optional.of(Backend.FIREWALLD));
    assertThat(advice.recommended().reason())
        .isEqualTo(
            "firewalld manages this network namespace: use the firewalld backend, permanent"
                + " (--permanent, direct.xml or policy files), because runtime rules do not survive"
                + " firewall-cmd --reload");
    // What was measured against firewalld 1.3.3 (DoctorKernelTest), not "firewalld flushes all".
    assertThat(advice.describe())
        .contains(
            "+ NFT: nftables is installed: one table of the plan's own, kernel NAT, TCP and UDP,"
                + " IPv4 and IPv6, applicable in-process through libnftables; the plan's own table"
                + " survives firewalld's start, --reload and --complete-reload (nftables backend)")
        .contains(
            "+ IPTABLES: iptables-nft is installed: the plan's own nat chains; WARNING: firewalld"
                + " runs here and a plain firewall-cmd --reload deletes chains added behind its"
                + " back");
  }

  @Test
  void libnftablesWithoutTheNftCommandIsNotCalledNftWorks() {
    HostFacts facts = HostFacts.read(new FakeHost(DEFAULT_SYSCTLS, List.of(), "", false, true));
    assertThat(facts.nft()).isFalse();
    Advice advice = Advisor.advise(facts, Protocol.TCP, 80);
    assertThat(advice.recommended().backend()).isEqualTo(Optional.of(Backend.NFT));
    assertThat(advice.recommended().reason())
        .startsWith("libnftables is installed but the nft command is not")
        .doesNotContain("nft works");
  }

  @Test
  void aLegacyHostWithNftInstalledGetsIptablesNotNft() {
    HostFacts facts =
        HostFacts.read(
            new FakeHost(
                DEFAULT_SYSCTLS,
                List.of("nft", "iptables"),
                "iptables v1.8.9 (legacy)",
                false,
                true,
                List.of("nat", "ip6:nat")));
    Advice advice = Advisor.advise(facts, Protocol.TCP, 80);
    assertThat(advice.recommended().backend()).isEqualTo(Optional.of(Backend.IPTABLES));
    assertThat(advice.recommended().reason())
        .isEqualTo(
            "iptables-legacy is installed: the plan's own nat chains, in legacy tables like the"
                + " host's other rules");
    assertThat(advice.describe())
        .contains("prefer the iptables backend, so every rule stays in one framework")
        .contains(
            "iptables-legacy tables are loaded here (nat, ip6:nat): their rules apply alongside"
                + " nftables'");
  }

  @Test
  void plainNftHostGetsNft() {
    HostFacts facts =
        HostFacts.read(
            new FakeHost(
                DEFAULT_SYSCTLS,
                List.of("nft", "iptables"),
                "iptables v1.8.9 (nf_tables)",
                false,
                true));
    assertThat(facts.iptables()).isEqualTo(HostFacts.Iptables.NFT);
    assertThat(facts.pingGroupRange()).contains("1 0");
    assertThat(Advisor.advise(facts, Protocol.UDP, 514).recommended().backend())
        .isEqualTo(Optional.of(Backend.NFT));
  }

  @Test
  void legacyIptablesOnlyHostGetsIptablesAndUdpNeverGetsRedir() {
    HostFacts facts =
        HostFacts.read(
            new FakeHost(
                DEFAULT_SYSCTLS, List.of("iptables"), "iptables v1.8.4 (legacy)", false, false));
    Advice advice = Advisor.advise(facts, Protocol.UDP, 162);
    assertThat(advice.recommended().backend()).isEqualTo(Optional.of(Backend.IPTABLES));
    assertThat(advice.options())
        .filteredOn(o -> o.backend().equals(Optional.of(Backend.REDIR)))
        .singleElement()
        .matches(o -> !o.applicable() && o.reason().equals("redir forwards TCP only"));
  }

  @Test
  void udpOnAFirewallWithoutConntrackSaysToInstallIt() {
    HostFacts without =
        HostFacts.read(new FakeHost(DEFAULT_SYSCTLS, List.of("nft"), "", false, true));
    assertThat(without.conntrack()).isFalse();
    assertThat(Advisor.advise(without, Protocol.UDP, 514).recommended().reason())
        .endsWith(
            "; install conntrack too, or UDP senders already sending keep their old path after an apply");
    assertThat(Advisor.advise(without, Protocol.TCP, 80).recommended().reason())
        .doesNotContain("conntrack");
    HostFacts with =
        HostFacts.read(new FakeHost(DEFAULT_SYSCTLS, List.of("nft", "conntrack"), "", false, true));
    assertThat(Advisor.advise(with, Protocol.UDP, 514).recommended().reason())
        .doesNotContain("conntrack");
  }

  @Test
  void bareHostFallsBackToRedirForTcp() {
    HostFacts facts =
        HostFacts.read(new FakeHost(DEFAULT_SYSCTLS, List.of("redir"), "", false, false));
    assertThat(Advisor.advise(facts, Protocol.TCP, 80).recommended().backend())
        .isEqualTo(Optional.of(Backend.REDIR));
    assertThat(Advisor.advise(facts, Protocol.UDP, 514).recommended().backend())
        .isEqualTo(Optional.of(Backend.UNPRIVILEGED_PORT_START));
  }

  @Test
  void oldKernelWithoutTheSysctl() {
    HostFacts facts = HostFacts.read(new FakeHost(Map.of(), List.of(), "", false, false));
    assertThat(facts.unprivilegedPortStart()).isEqualTo(OptionalInt.empty());
    assertThat(Advisor.advise(facts, Protocol.UDP, 514).recommended().backend())
        .isEqualTo(Optional.of(Backend.CAPABILITY));
  }

  @Test
  void realReadingMatchesSysctl() throws Exception {
    dev.privport.testkit.lab.Kernel.requireCommand("sysctl");
    HostFacts facts = HostFacts.ofThisHost();
    // An independent reading: the sysctl tool, not the same Java file access.
    dev.privport.testkit.process.Cmd.Result r =
        dev.privport.testkit.process.Cmd.run(
                "sysctl", "-n", "net.ipv4.ip_unprivileged_port_start", "net.ipv4.ping_group_range")
            .orThrow();
    List<String> values = r.stdout().lines().toList();
    assertThat(facts.unprivilegedPortStart()).hasValue(Integer.parseInt(values.get(0).trim()));
    assertThat(facts.pingGroupRange()).contains(values.get(1).trim().replaceAll("\\s+", " "));
    assertThat(facts.nft()).isEqualTo(new SystemHostProbe().onPath("nft"));
    Advice advice = Advisor.advise(facts, Protocol.TCP, 80);
    // Every way to serve a port, once, in order of preference (ping_group_range serves no port).
    assertThat(advice.options())
        .extracting(Advice.Option::label)
        .containsExactly(
            "NOTHING_NEEDED",
            "FIREWALLD",
            "NFT",
            "IPTABLES",
            "REDIR",
            "UNPRIVILEGED_PORT_START",
            "CAPABILITY");
  }

  /**
   * Real texts, as the runtimes print them. Sources: rootlesskit's port driver ({@code cannot
   * expose privileged port %d, ...: %w} around Go's {@code listen tcp4 0.0.0.0:80: bind: permission
   * denied}; rootless-containers/rootlesskit#192 quotes Podman's older form); Podman's
   * rootlessport; passt's conf.c ({@code Failed to bind port %u (%s) for option '-%c %s', exiting})
   * wrapped by Podman 5 as {@code pasta failed with exit code 1:}; Podman builds pasta's option as
   * {@code [HOSTIP/]HOST-HOST:CONTAINER-CONTAINER}.
   */
  static final String DOCKER_TCP4 =
      "docker: Error response from daemon: driver failed programming external connectivity on"
          + " endpoint web (3f2c): Error starting userland proxy: error while calling"
          + " PortManager.AddPort(): cannot expose privileged port 80, you can add"
          + " 'net.ipv4.ip_unprivileged_port_start=80' to /etc/sysctl.conf (currently 1024), or set"
          + " CAP_NET_BIND_SERVICE on rootlesskit binary, or choose a larger port number (>= 1024):"
          + " listen tcp4 0.0.0.0:80: bind: permission denied.";

  record Case(String name, String text, String plan, String publish) {}

  static List<Case> realTexts() {
    return List.of(
        new Case("rootless Docker, TCP, IPv4", DOCKER_TCP4, "tcp 80 -> 8080", "-p 8080:80"),
        new Case(
            "rootless Docker, TCP, IPv6",
            DOCKER_TCP4.replace("listen tcp4 0.0.0.0:80", "listen tcp6 [::]:80"),
            "tcp 80 -> 8080",
            "-p 8080:80"),
        new Case(
            "rootless Docker, UDP",
            DOCKER_TCP4
                .replace("port 80,", "port 514,")
                .replace("listen tcp4 0.0.0.0:80", "listen udp4 0.0.0.0:514"),
            "udp 514 -> 8514",
            "-p 8514:514/udp"),
        new Case(
            "rootless Docker, TCP, loopback",
            DOCKER_TCP4.replace("listen tcp4 0.0.0.0:80", "listen tcp4 127.0.0.1:80"),
            "tcp 80 -> 8080 [ipv4, local]",
            "-p 127.0.0.1:8080:80"),
        new Case(
            "Podman rootlessport (slirp4netns), TCP, two ports",
            "Error: rootlessport cannot expose privileged port 80, you can add"
                + " 'net.ipv4.ip_unprivileged_port_start=80' to /etc/sysctl.conf (currently 1024),"
                + " or choose a larger port number (>= 1024): listen tcp 0.0.0.0:80: bind:"
                + " permission denied\n"
                + "Error: rootlessport cannot expose privileged port 443, you can add"
                + " 'net.ipv4.ip_unprivileged_port_start=443' to /etc/sysctl.conf (currently 1024),"
                + " or choose a larger port number (>= 1024): listen tcp 0.0.0.0:443: bind:"
                + " permission denied",
            "tcp 80 -> 8080, tcp 443 -> 8443",
            "-p 8080:80, -p 8443:443"),
        new Case(
            "Podman rootlessport, older form",
            "Error: failed to expose ports via rootlessport: \"cannot expose privileged port 80,"
                + " you might need to add \\\"net.ipv4.ip_unprivileged_port_start=0\\\" (currently"
                + " 1024) to /etc/sysctl.conf, or choose a larger port number (>= 1024): listen tcp"
                + " 0.0.0.0:80: bind: permission denied\\n\"",
            "tcp 80 -> 8080",
            "-p 8080:80"),
        new Case(
            "Podman rootlessport, UDP",
            "Error: rootlessport cannot expose privileged port 162, you can add"
                + " 'net.ipv4.ip_unprivileged_port_start=162' to /etc/sysctl.conf (currently 1024),"
                + " or choose a larger port number (>= 1024): listen udp 0.0.0.0:162: bind:"
                + " permission denied",
            "udp 162 -> 8162",
            "-p 8162:162/udp"),
        new Case(
            "Podman 5 pasta, TCP",
            "Error: pasta failed with exit code 1:\nFailed to bind port 80 (Permission denied) for"
                + " option '-t 80-80:80-80', exiting\n",
            "tcp 80 -> 8080",
            "-p 8080:80"),
        new Case(
            "Podman 5 pasta, TCP, loopback, other container port",
            "Error: pasta failed with exit code 1:\nFailed to bind port 80 (Permission denied) for"
                + " option '-t 127.0.0.1/80-80:8080-8080'",
            "tcp 80 -> 8080 [ipv4, local]",
            "-p 127.0.0.1:8080:8080"),
        new Case(
            "Podman 5 pasta, UDP",
            "Error: pasta failed with exit code 1:\nFailed to bind port 514 (Permission denied) for"
                + " option '-u 514-514:5140-5140', exiting",
            "udp 514 -> 8514",
            "-p 8514:5140/udp"),
        new Case(
            "Podman 5 pasta, IPv6 address",
            "Error: pasta failed with exit code 1:\nFailed to bind port 443 (Permission denied) for"
                + " option '-t 2001:db8::1/443-443:443-443', exiting",
            "tcp 443 -> 8443 [ipv6]",
            "-p [2001:db8::1]:8443:443"),
        new Case(
            "Podman 5 pasta, a range",
            "Error: pasta failed with exit code 1:\nFailed to bind port 80 (Permission denied) for"
                + " option '-t 80-81:80-81', exiting",
            "tcp 80 -> 8080, tcp 81 -> 8081",
            "-p 8080:80, -p 8081:81"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("realTexts")
  void recognisesTheRealErrorTexts(Case c) {
    RedirectPlan plan =
        ErrorTexts.planFor(c.text()).orElseThrow(() -> new AssertionError(c.name()));
    assertThat(String.join(", ", plan.redirects().stream().map(Redirect::describe).toList()))
        .as(c.name())
        .isEqualTo(c.plan());
    assertThat(
            String.join(
                ", ",
                ErrorTexts.findings(c.text()).stream()
                    .map(ErrorTexts.Finding::publishFlag)
                    .toList()))
        .isEqualTo(c.publish());
  }

  @Test
  void errorsThatAreNotAboutPrivilegedPortsGiveNoPlan() {
    assertThat(ErrorTexts.planFor("bind: address already in use")).isEmpty();
    assertThat(
            ErrorTexts.planFor(
                "Error: pasta failed with exit code 1:\nFailed to bind port 44881 (Address already"
                    + " in use) for option '-t 127.0.0.1/44881-44881:8080-8080'"))
        .isEmpty();
    String slirp =
        "Error starting userland proxy: error while calling PortManager.AddPort(): reply.Error:"
            + " map[desc:bad request: add_hostfwd: slirp_add_hostfwd failed]";
    assertThat(ErrorTexts.planFor(slirp)).isEmpty();
    assertThat(ErrorTexts.unreadable(slirp)).isPresent();
  }
}
