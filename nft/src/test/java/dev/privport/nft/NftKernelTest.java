package dev.privport.nft;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import dev.privport.testkit.Echo;
import dev.privport.testkit.Kernel;
import dev.privport.testkit.Lab;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Loads rendered scripts with {@code nft -f} on the lab's host namespace and sends real TCP and UDP
 * traffic: from the host to itself (LOCAL), from the client over veth (INCOMING), and through the
 * host to the server (routed, which must never be redirected).
 */
class NftKernelTest {
  private static Lab lab;
  private static Echo.Servers hostListeners;
  private static Echo.Servers serverListeners;
  private static final NftRenderer NFT = new NftRenderer();

  @BeforeAll
  static void start() {
    Kernel.requireRoot();
    Kernel.requireCommand("nft");
    lab = Lab.create();
    hostListeners = lab.host.call(() -> new Echo.Servers(80, 81, 8080, 8081));
    serverListeners = lab.server.call(() -> new Echo.Servers(80));
  }

  @AfterAll
  static void stop() {
    if (hostListeners != null) hostListeners.close();
    if (serverListeners != null) serverListeners.close();
    if (lab != null) lab.close();
  }

  @BeforeEach
  void emptyHostRuleset() {
    lab.host.sh("nft", "flush", "ruleset");
  }

  private static void apply(String script) {
    lab.host.execWithInput(script, "nft", "-f", "-").orThrow();
  }

  private static String fromHost(String protocol, String address, int port) {
    return lab.host.call(() -> Echo.exchange(protocol, address, port));
  }

  private static String fromClient(String protocol, String address, int port) {
    return lab.client.call(() -> Echo.exchange(protocol, address, port));
  }

  @ParameterizedTest(name = "{0} to {1}")
  @CsvSource({"tcp, 127.0.0.1", "tcp, ::1", "udp, 127.0.0.1", "udp, ::1"})
  void localTrafficIsRedirected(String protocol, String address) {
    assertThat(fromHost(protocol, address, 80)).as("before apply").isEqualTo("port=80");
    apply(RedirectPlan.builder().tcp(80, 8080).udp(80, 8080).build().toNft());
    assertThat(fromHost(protocol, address, 80)).isEqualTo("port=8080");
    assertThat(fromHost(protocol, address, 81)).as("port outside the plan").isEqualTo("port=81");
  }

  @ParameterizedTest(name = "{0} to {1}")
  @CsvSource({"tcp, " + Lab.HOST_V4, "tcp, " + Lab.HOST_V6, "udp, " + Lab.HOST_V4, "udp, " + Lab.HOST_V6})
  void incomingTrafficIsRedirected(String protocol, String address) {
    assertThat(fromClient(protocol, address, 80)).as("before apply").isEqualTo("port=80");
    apply(RedirectPlan.builder().tcp(80, 8080).udp(80, 8080).build().toNft());
    assertThat(fromClient(protocol, address, 80)).isEqualTo("port=8080");
    assertThat(fromClient(protocol, address, 81)).as("port outside the plan").isEqualTo("port=81");
  }

  @Test
  void theOneLinerRedirectsLocallyAndFromAnotherHost() {
    apply(RedirectPlan.of(80, 8080).toNft());
    assertThat(fromHost("tcp", "127.0.0.1", 80)).isEqualTo("port=8080");
    assertThat(fromHost("tcp", "::1", 80)).isEqualTo("port=8080");
    assertThat(fromClient("tcp", Lab.HOST_V4, 80)).isEqualTo("port=8080");
    assertThat(fromClient("tcp", Lab.HOST_V6, 80)).isEqualTo("port=8080");
    assertThat(fromClient("udp", Lab.HOST_V4, 80)).as("the plan is TCP only").isEqualTo("port=80");
  }

  @ParameterizedTest(name = "{0} to {1}")
  @CsvSource({"tcp, " + Lab.SERVER_V4, "tcp, " + Lab.SERVER_V6, "udp, " + Lab.SERVER_V4, "udp, " + Lab.SERVER_V6})
  void routedTrafficIsNeverRedirected(String protocol, String address) {
    apply(RedirectPlan.builder().tcp(80, 8080).udp(80, 8080).build().toNft());
    assertThat(fromClient(protocol, address, 80)).as("the server's own listener answers").isEqualTo("port=80");
  }

  @Test
  void familyRestrictionsHold() {
    apply(RedirectPlan.of(Redirect.tcp(80, 8080).ipv4Only(), Redirect.tcp(81, 8081).ipv6Only()).toNft());
    assertThat(fromClient("tcp", Lab.HOST_V4, 80)).isEqualTo("port=8080");
    assertThat(fromClient("tcp", Lab.HOST_V6, 80)).isEqualTo("port=80");
    assertThat(fromClient("tcp", Lab.HOST_V4, 81)).isEqualTo("port=81");
    assertThat(fromClient("tcp", Lab.HOST_V6, 81)).isEqualTo("port=8081");
  }

  @Test
  void scopeRestrictionsHold() {
    apply(RedirectPlan.of(Redirect.tcp(80, 8080).incomingOnly(), Redirect.tcp(81, 8081).localOnly()).toNft());
    assertThat(fromClient("tcp", Lab.HOST_V4, 80)).isEqualTo("port=8080");
    assertThat(fromHost("tcp", "127.0.0.1", 80)).isEqualTo("port=80");
    assertThat(fromClient("tcp", Lab.HOST_V4, 81)).isEqualTo("port=81");
    assertThat(fromHost("tcp", "127.0.0.1", 81)).isEqualTo("port=8081");
  }

  @ParameterizedTest(name = "interface {0}")
  @CsvSource({"h0, port=8080", "h+, port=8080", "h1, port=80", "eth0, port=80"})
  void onInterfaceRestrictsIncomingTraffic(String ifname, String expected) {
    apply(RedirectPlan.of(Redirect.tcp(80, 8080).onInterface(ifname)).toNft());
    assertThat(fromClient("tcp", Lab.HOST_V4, 80)).isEqualTo(expected);
    assertThat(fromClient("tcp", Lab.HOST_V6, 80)).isEqualTo(expected);
    assertThat(fromHost("tcp", "127.0.0.1", 80)).as("LOCAL is not restricted").isEqualTo("port=8080");
  }

  @Test
  void applyTwiceEqualsOnceAndRemovalLeavesNoTrace() {
    apply("""
        table ip nat {
        	chain DOCKER {
        		tcp dport 9999 counter dnat to 192.0.2.9:80
        	}
        	chain PREROUTING {
        		type nat hook prerouting priority -100; policy accept;
        		fib daddr type local counter jump DOCKER
        	}
        }
        table inet foreign {
        	chain input {
        		type filter hook input priority 0; policy accept;
        		tcp dport 22 counter accept
        	}
        }
        """);
    String before = lab.host.sh("nft", "list", "ruleset");
    RedirectPlan plan = RedirectPlan.of(80, 8080);
    apply(plan.toNft());
    String once = lab.host.sh("nft", "list", "ruleset");
    apply(plan.toNft());
    String twice = lab.host.sh("nft", "list", "ruleset");
    assertThat(twice).isEqualTo(once).contains("table inet privport").startsWith(before.substring(0, 20));
    assertThat(lab.host.sh("nft", "list", "tables")).containsOnlyOnce("table inet privport");

    apply(NFT.renderRemoval(plan));
    assertThat(lab.host.sh("nft", "list", "ruleset")).isEqualTo(before);
    apply(NFT.renderRemoval(plan)); // already gone: still succeeds
    assertThat(lab.host.sh("nft", "list", "ruleset")).isEqualTo(before);
    assertThat(fromHost("tcp", "127.0.0.1", 80)).isEqualTo("port=80");
  }

  @Test
  void namedPlansLiveSideBySideAndAreRemovedAlone() {
    RedirectPlan web = RedirectPlan.builder().name("web").tcp(80, 8080).build();
    RedirectPlan alt = RedirectPlan.builder().name("alt").tcp(81, 8081).build();
    apply(web.toNft());
    apply(alt.toNft());
    assertThat(fromClient("tcp", Lab.HOST_V4, 80)).isEqualTo("port=8080");
    assertThat(fromClient("tcp", Lab.HOST_V4, 81)).isEqualTo("port=8081");
    apply(NFT.renderRemoval(web));
    assertThat(fromClient("tcp", Lab.HOST_V4, 80)).isEqualTo("port=80");
    assertThat(fromClient("tcp", Lab.HOST_V4, 81)).isEqualTo("port=8081");
  }
}
