package dev.privport.robustness;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.core.Command;
import dev.privport.core.Family;
import dev.privport.core.Protocol;
import dev.privport.core.RedirectPlan;
import dev.privport.core.RedirectRule;
import dev.privport.core.Scope;
import dev.privport.firewalld.FirewalldRenderer;
import dev.privport.iptables.IptablesRenderer;
import dev.privport.testkit.fixtures.FirewalldDaemon;
import dev.privport.testkit.fixtures.IptablesFixtures;
import dev.privport.testkit.lab.Lab;
import dev.privport.testkit.lab.Netns;
import dev.privport.testkit.traffic.Echo;
import dev.privport.testkit.traffic.Flows;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.AfterTry;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * For random plans, the nft, iptables and firewalld renderings, each applied in a lab of its own,
 * redirect exactly the same set of probes, and that set is the one the plan means (an oracle
 * computed from {@link RedirectPlan#rules()}). Probes are real TCP and UDP exchanges for every port
 * of a small pool: LOCAL over loopback, INCOMING from the client over veth, and routed through the
 * host to the server, each over IPv4 and IPv6.
 */
@AddLifecycleHook(NeedsKernel.class)
class DifferentialProperties {
  static final int TRIES = 12;

  /** The pool of ports plans draw from, and each one's fixed target. */
  static final Map<Integer, Integer> POOL = Map.of(80, 8080, 81, 8081, 443, 8082, 514, 8083);

  private static Lab nftLab;
  private static Lab iptablesLab;
  private static Lab firewalldLab;
  private static FirewalldDaemon firewalld;
  private static final List<Echo.Servers> LISTENERS = new ArrayList<>();

  @BeforeContainer
  static void start() {
    nftLab = Lab.create();
    iptablesLab = Lab.create();
    firewalldLab = Lab.create();
    for (Lab lab : List.of(nftLab, iptablesLab, firewalldLab)) {
      LISTENERS.add(
          lab.host.call(() -> new Echo.Servers(80, 81, 443, 514, 8080, 8081, 8082, 8083)));
      LISTENERS.add(lab.server.call(() -> new Echo.Servers(80, 81, 443, 514)));
    }
    firewalld = FirewalldDaemon.start(firewalldLab.host);
    openFirewalld();
  }

  @AfterContainer
  static void stop() {
    LISTENERS.forEach(Echo.Servers::close);
    if (firewalld != null) firewalld.close();
    for (Lab lab : new Lab[] {nftLab, iptablesLab, firewalldLab}) {
      if (lab != null) lab.close();
    }
  }

  /** Zone public with the lab's interfaces bound and the pool's ports open; targets stay closed. */
  private static void openFirewalld() {
    firewalld.cmd("--zone", "public", "--change-interface", Lab.HOST_CLIENT_SIDE).orThrow();
    firewalld.cmd("--zone", "public", "--change-interface", Lab.HOST_SERVER_SIDE).orThrow();
    firewalld
        .cmd(
            "--zone",
            "public",
            "--add-port=80-81/tcp",
            "--add-port=80-81/udp",
            "--add-port=443/tcp",
            "--add-port=443/udp",
            "--add-port=514/tcp",
            "--add-port=514/udp")
        .orThrow();
  }

  @AfterTry
  void reset() throws Exception {
    nftLab.host.sh("nft", "flush", "ruleset");
    IptablesFixtures.emptyNat(iptablesLab.host);
    Files.deleteIfExists(firewalld.configDir().resolve("direct.xml"));
    firewalld.cmd("--reload").orThrow();
    openFirewalld();
    // The labs live across tries: without this, a UDP probe whose random source port repeats one
    // of an earlier try's would follow the earlier plan's tracked flow.
    for (Lab lab : List.of(nftLab, iptablesLab, firewalldLab)) {
      Flows.forget(lab.host);
    }
  }

  @Provide
  Arbitrary<RedirectPlan> plans() {
    return Plans.redirect(
            Arbitraries.of(List.copyOf(POOL.keySet())),
            List.of("h0", "h1", "h+", "eth0"),
            (proto, from) -> POOL.get(from))
        .list()
        .ofMinSize(1)
        .ofMaxSize(6)
        .map(list -> RedirectPlan.builder().addAll(list).build());
  }

  @Property(tries = TRIES)
  void everyBackendRedirectsExactlyWhatThePlanMeans(@ForAll("plans") RedirectPlan plan)
      throws Exception {
    nftLab.host.execWithInput(plan.toNft(), "nft", "-f", "-").orThrow();
    new IptablesRenderer()
        .renderAll(plan)
        .executeApply(c -> iptablesLab.host.exec(c.argv().toArray(String[]::new)).exitCode());
    Files.writeString(
        firewalld.configDir().resolve("direct.xml"),
        new FirewalldRenderer().renderDirect(plan).directXml().content());
    firewalld.runner().run(Command.of("firewall-cmd", "--reload"));
    openFirewalld();

    Map<String, String> expected = oracle(plan);
    assertThat(probe(nftLab)).as("nft for " + plan.redirects()).isEqualTo(expected);
    assertThat(probe(iptablesLab)).as("iptables for " + plan.redirects()).isEqualTo(expected);
    assertThat(probe(firewalldLab)).as("firewalld for " + plan.redirects()).isEqualTo(expected);
  }

  /** What the plan means for each probe: which port answers. */
  static Map<String, String> oracle(RedirectPlan plan) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Probe p : probes()) {
      Optional<RedirectRule> hit =
          p.scope() == null
              ? Optional.empty()
              : plan.rules().stream()
                  .filter(
                      r ->
                          r.scope() == p.scope()
                              && r.protocol() == p.protocol()
                              && r.fromPort() == p.port()
                              && r.families().contains(p.family())
                              && (p.scope() == Scope.LOCAL
                                  || r.inputInterface()
                                      .map(i -> i.equals("h0") || i.equals("h+"))
                                      .orElse(true)))
                  .findFirst();
      out.put(p.toString(), "port=" + hit.map(RedirectRule::toPort).orElse(p.port()));
    }
    return out;
  }

  static Map<String, String> probe(Lab lab) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Probe p : probes()) {
      Netns from = p.scope() == Scope.LOCAL ? lab.host : lab.client;
      out.put(
          p.toString(),
          from.call(() -> Echo.exchange(p.protocol().keyword(), p.address(), p.port())));
    }
    return out;
  }

  /** One probe: scope null means routed through the host to the server. */
  record Probe(Scope scope, Family family, Protocol protocol, int port, String address) {
    @Override
    public String toString() {
      return (scope == null ? "routed" : scope.name().toLowerCase(Locale.ROOT))
          + " "
          + family.keyword()
          + " "
          + protocol.keyword()
          + " "
          + port;
    }
  }

  static List<Probe> probes() {
    List<Probe> out = new ArrayList<>();
    for (int port : new TreeSet<>(POOL.keySet())) {
      for (Protocol protocol : Protocol.values()) {
        out.add(new Probe(Scope.LOCAL, Family.IPV4, protocol, port, "127.0.0.1"));
        out.add(new Probe(Scope.LOCAL, Family.IPV6, protocol, port, "::1"));
        out.add(new Probe(Scope.INCOMING, Family.IPV4, protocol, port, Lab.HOST_V4));
        out.add(new Probe(Scope.INCOMING, Family.IPV6, protocol, port, Lab.HOST_V6));
        out.add(new Probe(null, Family.IPV4, protocol, port, Lab.SERVER_V4));
        out.add(new Probe(null, Family.IPV6, protocol, port, Lab.SERVER_V6));
      }
    }
    return out;
  }
}
