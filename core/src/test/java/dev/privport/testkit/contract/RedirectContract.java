package dev.privport.testkit.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privport.core.Command;
import dev.privport.core.ConntrackCleanup;
import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import dev.privport.testkit.fixtures.NftFixtures;
import dev.privport.testkit.lab.Kernel;
import dev.privport.testkit.lab.Lab;
import dev.privport.testkit.lab.Netns;
import dev.privport.testkit.process.Cmd;
import dev.privport.testkit.traffic.Echo;
import dev.privport.testkit.traffic.Flows;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What every backend must do on a real kernel, proven with real traffic in a {@link Lab}: a
 * backend's kernel test extends this and says how to apply and remove a plan on the lab's host.
 * Listeners on the host answer on 80, 81, 8080 and 8081, the server on 80; each check first proves
 * that the traffic is <em>not</em> redirected without the plan, so no check here can pass
 * vacuously.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class RedirectContract {
  protected Lab lab;
  private Echo.Servers hostListeners;
  private Echo.Servers serverListeners;

  /** Checks for the tools the backend needs ({@link Kernel#requireCommand}). */
  protected abstract void requireTools();

  /** Applies {@code plan} on {@code lab.host}. */
  protected abstract void apply(RedirectPlan plan);

  /** Removes {@code plan} from {@code lab.host}. */
  protected abstract void remove(RedirectPlan plan);

  /** Brings the host's firewall back to empty between tests. */
  protected abstract void reset();

  /** Whether the backend can match an input interface; one that cannot must refuse such plans. */
  protected boolean matchesInputInterfaces() {
    return true;
  }

  /** Extra set-up after the lab exists (a firewall daemon, say). */
  protected void startServices() {}

  @BeforeAll
  void startLab() {
    Kernel.requireRoot();
    requireTools();
    Kernel.requireCommand("conntrack");
    lab = Lab.create();
    hostListeners = lab.host.call(() -> new Echo.Servers(80, 81, 8080, 8081));
    serverListeners = lab.server.call(() -> new Echo.Servers(80));
    startServices();
  }

  @AfterAll
  void stopLab() {
    if (hostListeners != null) hostListeners.close();
    if (serverListeners != null) serverListeners.close();
    if (lab != null) lab.close();
  }

  @BeforeEach
  void emptyHostFirewall() {
    reset();
    Flows.forget(lab.host);
  }

  protected String fromHost(String protocol, String address, int port) {
    return lab.host.call(() -> Echo.exchange(protocol, address, port));
  }

  protected String fromClient(String protocol, String address, int port) {
    return lab.client.call(() -> Echo.exchange(protocol, address, port));
  }

  private static RedirectPlan tcpAndUdp80() {
    return RedirectPlan.builder().tcp(80, 8080).udp(80, 8080).build();
  }

  @ParameterizedTest(name = "{0} to {1}")
  @CsvSource({"tcp, 127.0.0.1", "tcp, ::1", "udp, 127.0.0.1", "udp, ::1"})
  void localTrafficIsRedirected(String protocol, String address) {
    assertThat(fromHost(protocol, address, 80)).as("before apply").isEqualTo("port=80");
    apply(tcpAndUdp80());
    assertThat(fromHost(protocol, address, 80)).isEqualTo("port=8080");
    assertThat(fromHost(protocol, address, 81)).as("port outside the plan").isEqualTo("port=81");
  }

  @ParameterizedTest(name = "{0} to {1}")
  @CsvSource({
    "tcp, " + Lab.HOST_V4,
    "tcp, " + Lab.HOST_V6,
    "udp, " + Lab.HOST_V4,
    "udp, " + Lab.HOST_V6
  })
  void incomingTrafficIsRedirected(String protocol, String address) {
    assertThat(fromClient(protocol, address, 80)).as("before apply").isEqualTo("port=80");
    apply(tcpAndUdp80());
    assertThat(fromClient(protocol, address, 80)).isEqualTo("port=8080");
    assertThat(fromClient(protocol, address, 81)).as("port outside the plan").isEqualTo("port=81");
  }

  @Test
  void theOneLinerRedirectsLocallyAndFromAnotherHost() {
    apply(RedirectPlan.of(80, 8080));
    assertThat(fromHost("tcp", "127.0.0.1", 80)).isEqualTo("port=8080");
    assertThat(fromHost("tcp", "::1", 80)).isEqualTo("port=8080");
    assertThat(fromClient("tcp", Lab.HOST_V4, 80)).isEqualTo("port=8080");
    assertThat(fromClient("tcp", Lab.HOST_V6, 80)).isEqualTo("port=8080");
    assertThat(fromClient("udp", Lab.HOST_V4, 80)).as("the plan is TCP only").isEqualTo("port=80");
  }

  @ParameterizedTest(name = "{0} to {1}")
  @CsvSource({
    "tcp, " + Lab.SERVER_V4,
    "tcp, " + Lab.SERVER_V6,
    "udp, " + Lab.SERVER_V4,
    "udp, " + Lab.SERVER_V6
  })
  void routedTrafficIsNeverRedirected(String protocol, String address) {
    apply(tcpAndUdp80());
    assertThat(fromClient(protocol, Lab.HOST_V4, 80)).as("the plan is live").isEqualTo("port=8080");
    assertThat(fromClient(protocol, address, 80))
        .as("the server's own listener answers")
        .isEqualTo("port=80");
  }

  @Test
  void familyRestrictionsHold() {
    apply(RedirectPlan.of(Redirect.tcp(80, 8080).ipv4Only(), Redirect.tcp(81, 8081).ipv6Only()));
    assertThat(fromClient("tcp", Lab.HOST_V4, 80)).isEqualTo("port=8080");
    assertThat(fromClient("tcp", Lab.HOST_V6, 80)).isEqualTo("port=80");
    assertThat(fromClient("tcp", Lab.HOST_V4, 81)).isEqualTo("port=81");
    assertThat(fromClient("tcp", Lab.HOST_V6, 81)).isEqualTo("port=8081");
  }

  @Test
  void scopeRestrictionsHold() {
    apply(
        RedirectPlan.of(Redirect.tcp(80, 8080).incomingOnly(), Redirect.tcp(81, 8081).localOnly()));
    assertThat(fromClient("tcp", Lab.HOST_V4, 80)).isEqualTo("port=8080");
    assertThat(fromHost("tcp", "127.0.0.1", 80)).isEqualTo("port=80");
    assertThat(fromClient("tcp", Lab.HOST_V4, 81)).isEqualTo("port=81");
    assertThat(fromHost("tcp", "127.0.0.1", 81)).isEqualTo("port=8081");
  }

  @ParameterizedTest(name = "interface {0}")
  @CsvSource({"h0, port=8080", "h+, port=8080", "h1, port=80", "eth0, port=80"})
  void onInterfaceRestrictsIncomingTraffic(String ifname, String expected) {
    if (!matchesInputInterfaces()) {
      assertThatThrownBy(() -> apply(RedirectPlan.of(Redirect.tcp(80, 8080).onInterface(ifname))))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("interface ");
      assertThat(fromClient("tcp", Lab.HOST_V4, 80)).as("nothing was applied").isEqualTo("port=80");
      return;
    }
    apply(RedirectPlan.of(Redirect.tcp(80, 8080).onInterface(ifname)));
    assertThat(fromClient("tcp", Lab.HOST_V4, 80)).isEqualTo(expected);
    assertThat(fromClient("tcp", Lab.HOST_V6, 80)).isEqualTo(expected);
    assertThat(fromHost("tcp", "127.0.0.1", 80))
        .as("LOCAL is not restricted")
        .isEqualTo("port=8080");
  }

  /**
   * Wildcards nest: {@code e+}, {@code et+} and {@code eth+} all match {@code eth0}. The most
   * specific must win (an exact name, then the longer prefix), whatever order the redirects were
   * added in. The host gets a second link to the client whose interface is really called {@code
   * eth0}; the lab's own link ({@code h0}) shows the wildcards catch nothing else.
   */
  @Test
  void theMostSpecificInterfaceWinsHoweverWildcardsNest() {
    Redirect et = Redirect.tcp(80, 8080).incomingOnly().onInterface("et+");
    Redirect eth = Redirect.tcp(80, 8081).incomingOnly().onInterface("eth+");
    if (!matchesInputInterfaces()) {
      assertThatThrownBy(() -> apply(RedirectPlan.of(et, eth)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("interface ");
      return;
    }
    addEth0Link();
    try {
      for (String address : java.util.List.of(ETH0_V4, ETH0_V6)) {
        assertThat(fromClient("tcp", address, 80)).as("before apply").isEqualTo("port=80");
      }
      for (RedirectPlan plan :
          java.util.List.of(RedirectPlan.of(et, eth), RedirectPlan.of(eth, et))) {
        apply(plan);
        for (String address : java.util.List.of(ETH0_V4, ETH0_V6)) {
          assertThat(fromClient("tcp", address, 80))
              .as("eth+ over et+, " + address)
              .isEqualTo("port=8081");
        }
        assertThat(fromClient("tcp", Lab.HOST_V4, 80)).as("via h0").isEqualTo("port=80");
        remove(plan);
      }
      // An exact name beats every wildcard; the shortest wildcard loses to both.
      RedirectPlan three =
          RedirectPlan.of(
              Redirect.udp(80, 8080).incomingOnly().onInterface("e+"),
              Redirect.udp(80, 81).incomingOnly().onInterface("eth0"),
              Redirect.udp(80, 8081).incomingOnly().onInterface("eth+"));
      apply(three);
      for (String address : java.util.List.of(ETH0_V4, ETH0_V6)) {
        assertThat(fromClient("udp", address, 80))
            .as("eth0 over eth+ and e+, " + address)
            .isEqualTo("port=81");
      }
      assertThat(fromClient("udp", Lab.HOST_V4, 80)).as("via h0").isEqualTo("port=80");
      remove(three);
    } finally {
      Cmd.run("ip", "-n", lab.host.name(), "link", "del", "eth0");
    }
  }

  /** The host's address on the link whose interface is called {@code eth0}. */
  private static final String ETH0_V4 = "203.0.113.1";

  private static final String ETH0_V6 = "2001:db8:3::1";

  /** A second link, host {@code eth0} to client {@code ce0}, on documentation addresses. */
  private void addEth0Link() {
    Cmd.run(
            "ip",
            "link",
            "add",
            "eth0",
            "netns",
            lab.host.name(),
            "type",
            "veth",
            "peer",
            "name",
            "ce0",
            "netns",
            lab.client.name())
        .orThrow();
    lab.host.sh("ip", "addr", "add", ETH0_V4 + "/24", "dev", "eth0");
    lab.host.sh("ip", "addr", "add", ETH0_V6 + "/64", "dev", "eth0", "nodad");
    lab.host.sh("ip", "link", "set", "eth0", "up");
    lab.client.sh("ip", "addr", "add", "203.0.113.2/24", "dev", "ce0");
    lab.client.sh("ip", "addr", "add", "2001:db8:3::2/64", "dev", "ce0", "nodad");
    lab.client.sh("ip", "link", "set", "ce0", "up");
  }

  @Test
  void removalStopsTheRedirect() {
    RedirectPlan plan = RedirectPlan.of(80, 8080);
    apply(plan);
    assertThat(fromClient("tcp", Lab.HOST_V4, 80)).isEqualTo("port=8080");
    remove(plan);
    assertThat(fromClient("tcp", Lab.HOST_V4, 80)).isEqualTo("port=80");
    assertThat(fromHost("tcp", "::1", 80)).isEqualTo("port=80");
    remove(plan); // already gone: still succeeds
  }

  /**
   * A UDP flow keeps the translation of its first packet, so a sender that never pauses (syslog,
   * traps) misses an apply and a remove until the plan's {@link ConntrackCleanup} runs. The host
   * tracks flows with or without the plan ({@link Fixtures#statefulHost}), as real hosts do. The
   * flow's middle answers prove the problem is real on this kernel, so the cleanup's answers cannot
   * pass by accident.
   */
  @ParameterizedTest(name = "{0} to {1}")
  @CsvSource({"client, " + Lab.HOST_V4, "client, " + Lab.HOST_V6, "host, 127.0.0.1", "host, ::1"})
  void udpFlowsThatBeganEarlierFollowTheChangeAfterTheConntrackCleanup(
      String side, String address) {
    RedirectPlan plan = RedirectPlan.builder().udp(80, 8080).build();
    ConntrackCleanup cleanup = ConntrackCleanup.forPlan(plan);
    Netns sender = side.equals("client") ? lab.client : lab.host;
    NftFixtures.statefulHost(lab.host);
    try (Echo.UdpFlow flow = sender.call(() -> new Echo.UdpFlow(address, 80, 5140))) {
      assertThat(flow.exchange()).as("before apply").isEqualTo("port=80");
      apply(plan);
      assertThat(flow.exchange())
          .as("after apply, the flow keeps its first path")
          .isEqualTo("port=80");
      cleanup.execute(this::inHost);
      assertThat(flow.exchange()).as("after apply and cleanup").isEqualTo("port=8080");
      remove(plan);
      assertThat(flow.exchange())
          .as("after remove, the flow keeps its redirect")
          .isEqualTo("port=8080");
      cleanup.execute(this::inHost);
      assertThat(flow.exchange()).as("after remove and cleanup").isEqualTo("port=80");
    } finally {
      NftFixtures.noStatefulHost(lab.host);
    }
  }

  /** Runs a cleanup command in the lab's host, where the rules and the tracked flows live. */
  protected Command.Outcome inHost(Command command) {
    Cmd.Result r = lab.host.exec(command.argv().toArray(String[]::new));
    return new Command.Outcome(r.exitCode(), r.stdout() + r.stderr());
  }

  @Test
  void namedPlansLiveSideBySideAndAreRemovedAlone() {
    RedirectPlan web = RedirectPlan.builder().name("web").tcp(80, 8080).build();
    RedirectPlan alt = RedirectPlan.builder().name("alt").tcp(81, 8081).build();
    apply(web);
    apply(alt);
    assertThat(fromClient("tcp", Lab.HOST_V4, 80)).isEqualTo("port=8080");
    assertThat(fromClient("tcp", Lab.HOST_V4, 81)).isEqualTo("port=8081");
    remove(web);
    assertThat(fromClient("tcp", Lab.HOST_V4, 80)).isEqualTo("port=80");
    assertThat(fromClient("tcp", Lab.HOST_V4, 81)).isEqualTo("port=8081");
  }
}
