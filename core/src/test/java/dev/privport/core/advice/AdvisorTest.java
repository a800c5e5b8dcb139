package dev.privport.core.advice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.core.Protocol;
import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class AdvisorTest {
  /** A host described by a map of sysctls and a set of installed commands. */
  record FakeHost(
      Map<String, String> sysctls,
      List<String> commands,
      String iptablesVersion,
      boolean firewalld,
      boolean libnftables)
      implements HostProbe {
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
    assertThat(advice.recommended().kind()).isEqualTo(Advice.Kind.NOTHING_NEEDED);
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
    assertThat(advice.recommended().kind()).isEqualTo(Advice.Kind.FIREWALLD);
    assertThat(advice.recommended().reason())
        .isEqualTo(
            "firewalld is running: use the firewalld backend or your rules vanish on reload");
    assertThat(advice.describe()).contains("+ NFT: nft works, but firewalld flushes foreign rules");
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
    assertThat(Advisor.advise(facts, Protocol.UDP, 514).recommended().kind())
        .isEqualTo(Advice.Kind.NFT);
  }

  @Test
  void legacyIptablesOnlyHostGetsIptablesAndUdpNeverGetsRedir() {
    HostFacts facts =
        HostFacts.read(
            new FakeHost(
                DEFAULT_SYSCTLS, List.of("iptables"), "iptables v1.8.4 (legacy)", false, false));
    Advice advice = Advisor.advise(facts, Protocol.UDP, 162);
    assertThat(advice.recommended().kind()).isEqualTo(Advice.Kind.IPTABLES);
    assertThat(advice.options())
        .filteredOn(o -> o.kind() == Advice.Kind.REDIR)
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
    assertThat(Advisor.advise(facts, Protocol.TCP, 80).recommended().kind())
        .isEqualTo(Advice.Kind.REDIR);
    assertThat(Advisor.advise(facts, Protocol.UDP, 514).recommended().kind())
        .isEqualTo(Advice.Kind.UNPRIVILEGED_PORT_START);
  }

  @Test
  void oldKernelWithoutTheSysctl() {
    HostFacts facts = HostFacts.read(new FakeHost(Map.of(), List.of(), "", false, false));
    assertThat(facts.unprivilegedPortStart()).isEqualTo(OptionalInt.empty());
    assertThat(Advisor.advise(facts, Protocol.UDP, 514).recommended().kind())
        .isEqualTo(Advice.Kind.CAPABILITY);
  }

  @Test
  void realReadingMatchesSysctl() throws Exception {
    dev.privport.testkit.Kernel.requireCommand("sysctl");
    HostFacts facts = HostFacts.ofThisHost();
    // An independent reading: the sysctl tool, not the same Java file access.
    dev.privport.testkit.Cmd.Result r =
        dev.privport.testkit.Cmd.run(
                "sysctl", "-n", "net.ipv4.ip_unprivileged_port_start", "net.ipv4.ping_group_range")
            .orThrow();
    List<String> values = r.stdout().lines().toList();
    assertThat(facts.unprivilegedPortStart()).hasValue(Integer.parseInt(values.get(0).trim()));
    assertThat(facts.pingGroupRange()).contains(values.get(1).trim().replaceAll("\\s+", " "));
    assertThat(facts.nft()).isEqualTo(new SystemHostProbe().onPath("nft"));
    Advice advice = Advisor.advise(facts, Protocol.TCP, 80);
    assertThat(advice.options()).hasSize(Advice.Kind.values().length);
  }

  @Test
  void recognisesRootlessDockerAndPodmanErrors() {
    String docker =
        "docker: Error response from daemon: driver failed programming external connectivity on endpoint web:"
            + " Error starting userland proxy: error while calling PortManager.AddPort(): cannot expose privileged port 80,"
            + " you can add 'net.ipv4.ip_unprivileged_port_start=80' to /etc/sysctl.conf (currently 1024), or set"
            + " CAP_NET_BIND_SERVICE on rootlesskit binary, or choose a larger port number (>= 1024):"
            + " listen tcp4 0.0.0.0:80: bind: permission denied.";
    assertThat(ErrorTexts.planFor(docker))
        .contains(RedirectPlan.of(Redirect.tcp(80, 8080).ipv4Only()));
    String podman =
        "Error: rootlessport cannot expose privileged port 514, you can add"
            + " 'net.ipv4.ip_unprivileged_port_start=514' to /etc/sysctl.conf (currently 1024), or choose a larger port"
            + " number (>= 1024): listen udp 0.0.0.0:514: bind: permission denied\n"
            + "Error: rootlessport cannot expose privileged port 443";
    assertThat(ErrorTexts.planFor(podman))
        .contains(RedirectPlan.builder().udp(514, 8514).tcp(443, 8443).build());
    assertThat(ErrorTexts.planFor("bind: address already in use")).isEmpty();
  }
}
