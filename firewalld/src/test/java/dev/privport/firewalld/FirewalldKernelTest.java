package dev.privport.firewalld;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.core.Command;
import dev.privport.core.ConfigFile;
import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import dev.privport.testkit.contract.RedirectContract;
import dev.privport.testkit.fixtures.FirewalldDaemon;
import dev.privport.testkit.fixtures.IptablesFixtures;
import dev.privport.testkit.lab.Kernel;
import dev.privport.testkit.lab.Lab;
import dev.privport.testkit.process.Cmd;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Both firewalld routes against a real firewalld running in the lab's host namespace, at its
 * default configuration: zone {@code public} (services ssh and dhcpv6-client, everything else
 * rejected). Between tests the runtime configuration is reloaded from the permanent one and the
 * ports the contract probes without a redirect (80, 81) are opened at runtime; the services' own
 * ports 8080 and 8081 stay closed, so every redirected answer proves firewalld let the translated
 * packet in.
 */
class FirewalldKernelTest {
  private static final FirewalldRenderer FIREWALLD = new FirewalldRenderer();
  static final HostAddresses LAB_HOST =
      HostAddresses.of(Lab.HOST_V4, "198.51.100.1", Lab.HOST_V6, "2001:db8:2::1");

  abstract static class Base extends RedirectContract {
    FirewalldDaemon firewalld;

    @Override
    protected void requireTools() {
      Kernel.requireCommand("firewalld", "firewall-cmd", "dbus-daemon", "iptables-save");
    }

    @Override
    protected void startServices() {
      firewalld = FirewalldDaemon.start(lab.host);
    }

    @AfterAll
    void stopFirewalld() {
      if (firewalld != null) firewalld.close();
    }

    /** False while a test wants the default zone exactly as shipped. */
    boolean openProbePortsAfterReload = true;

    @Override
    protected void reset() {
      // Policies are permanent: a reload alone would bring a previous test's back.
      for (String policy :
          firewalld.cmd("--permanent", "--get-policies").orThrow().stdout().split("\\s+")) {
        if (policy.startsWith("privport") || policy.startsWith("pp-")) {
          firewalld.cmd("--permanent", "--delete-policy", policy).orThrow();
        }
      }
      openProbePortsAfterReload = true;
      runner().run(Command.of("firewall-cmd", "--reload"));
    }

    /**
     * Binds the lab's interfaces to zone public, as on a real host (firewalld forwards within a
     * zone only between interfaces bound to it), and opens the ports probed without a redirect.
     */
    void openProbePorts() {
      firewalld.cmd("--zone", "public", "--change-interface", Lab.HOST_CLIENT_SIDE).orThrow();
      firewalld.cmd("--zone", "public", "--change-interface", Lab.HOST_SERVER_SIDE).orThrow();
      firewalld
          .cmd(
              "--zone",
              "public",
              "--add-port=80/tcp",
              "--add-port=80/udp",
              "--add-port=81/tcp",
              "--add-port=81/udp")
          .orThrow();
    }

    /**
     * Runs rendered commands; after a reload, reopens what the probes need (unless told not to).
     */
    dev.privport.core.Step.Runner runner() {
      return c -> {
        int status = firewalld.runner().run(c);
        if (c.argv().contains("--reload") && openProbePortsAfterReload) {
          openProbePorts();
        }
        return status;
      };
    }

    void run(Iterable<Command> commands) {
      for (Command c : commands) {
        assertThat(runner().run(c)).as(c.toShell()).isZero();
      }
    }

    @Test
    void theDefaultZoneRejectsTheServicePortButLetsRedirectedTrafficIn() {
      openProbePortsAfterReload = false;
      firewalld.cmd("--permanent", "--zone", "public", "--remove-interface", Lab.HOST_CLIENT_SIDE);
      firewalld.cmd("--zone", "public", "--remove-interface", Lab.HOST_CLIENT_SIDE);
      firewalld.cmd("--zone", "public", "--remove-interface", Lab.HOST_SERVER_SIDE);
      firewalld
          .cmd("--reload")
          .orThrow(); // nothing opened, nothing bound: the default zone as shipped
      assertThat(fromClient("tcp", Lab.HOST_V4, 8080))
          .as("direct to the service port")
          .isNotEqualTo("port=8080");
      assertThat(fromClient("tcp", Lab.HOST_V4, 80))
          .as("port 80 is closed too")
          .isNotEqualTo("port=80");
      apply(RedirectPlan.builder().tcp(80, 8080).udp(80, 8080).build());
      assertThat(fromClient("tcp", Lab.HOST_V4, 80)).isEqualTo("port=8080");
      assertThat(fromClient("tcp", Lab.HOST_V6, 80)).isEqualTo("port=8080");
      assertThat(fromClient("udp", Lab.HOST_V4, 80)).isEqualTo("port=8080");
      assertThat(fromClient("udp", Lab.HOST_V6, 80)).isEqualTo("port=8080");
      assertThat(fromClient("tcp", Lab.HOST_V4, 8080)).as("still closed").isNotEqualTo("port=8080");
    }

    @Test
    void twoNamedPlansWithTheSameRedirectAreRemovedAlone() {
      RedirectPlan one = RedirectPlan.builder().name("one").tcp(80, 8080).build();
      RedirectPlan two = RedirectPlan.builder().name("two").tcp(80, 8080).build();
      apply(one);
      apply(two);
      assertThat(fromClient("tcp", Lab.HOST_V4, 80)).isEqualTo("port=8080");
      remove(one);
      assertThat(fromClient("tcp", Lab.HOST_V4, 80))
          .as("plan two still holds")
          .isEqualTo("port=8080");
      assertThat(fromClient("tcp", Lab.HOST_V6, 80)).isEqualTo("port=8080");
      assertThat(fromHost("tcp", "127.0.0.1", 80)).isEqualTo("port=8080");
      assertThat(fromHost("tcp", "::1", 80)).isEqualTo("port=8080");
      remove(two);
      assertThat(fromClient("tcp", Lab.HOST_V4, 80)).isEqualTo("port=80");
      assertThat(fromHost("tcp", "127.0.0.1", 80)).isEqualTo("port=80");
    }

    @Test
    void localRedirectsCoverAllOfLoopbackAsTheOtherBackendsDo() {
      assertThat(fromHost("tcp", "127.0.0.2", 80)).isEqualTo("port=80");
      apply(RedirectPlan.of(80, 8080));
      assertThat(fromHost("tcp", "127.0.0.2", 80)).isEqualTo("port=8080");
      assertThat(fromHost("tcp", "127.0.0.3", 81))
          .as("a port outside the plan")
          .isEqualTo("port=81");
    }
  }

  /** Runtime direct rules: {@code firewall-cmd --direct --add-rule}. */
  @Nested
  class DirectRoute extends Base {
    @Override
    protected void apply(RedirectPlan plan) {
      run(FIREWALLD.renderDirect(plan).runtimeAdd());
    }

    @Override
    protected void remove(RedirectPlan plan) {
      run(FIREWALLD.renderDirect(plan).runtimeRemove());
    }

    @Test
    void applyingTwiceAddsNothingAndRemovalRestoresThePreviousState() {
      String before = IptablesFixtures.natState(lab.host);
      RedirectPlan plan = RedirectPlan.builder().tcp(80, 8080).udp(514, 5514).build();
      apply(plan);
      String once = IptablesFixtures.natState(lab.host);
      List<String> first = FIREWALLD.renderDirect(plan).runtimeAdd().get(0).argv();
      Cmd.Result again = firewalld.cmd(first.subList(1, first.size()).toArray(String[]::new));
      assertThat(again.exitCode()).isZero();
      assertThat(again.stderr()).contains("ALREADY_ENABLED");
      apply(plan);
      assertThat(IptablesFixtures.natState(lab.host)).isEqualTo(once);
      assertThat(once.split("\n")).filteredOn(l -> l.contains("--to-ports 8080")).hasSize(4);
      remove(plan);
      assertThat(IptablesFixtures.natState(lab.host)).isEqualTo(before);
    }

    /**
     * firewalld accepts {@code ct status dnat} before a zone's target, so an interface in the
     * {@code drop} zone still serves a redirect meant for every interface. The explicit way to keep
     * it closed there is the plan's interface restriction: name the interfaces that should serve
     * it.
     */
    @Test
    void aDropZoneInterfaceServesAPlanForEveryInterfaceButNotOneNamingOthers() {
      firewalld.cmd("--zone", "drop", "--change-interface", Lab.HOST_CLIENT_SIDE).orThrow();
      assertThat(fromClient("tcp", Lab.HOST_V4, 81)).as("the drop zone drops").isEqualTo("timeout");
      RedirectPlan everywhere = RedirectPlan.of(80, 8080);
      apply(everywhere);
      assertThat(fromClient("tcp", Lab.HOST_V4, 80)).isEqualTo("port=8080");
      assertThat(fromClient("tcp", Lab.HOST_V6, 80)).isEqualTo("port=8080");
      remove(everywhere);
      RedirectPlan elsewhere =
          RedirectPlan.of(Redirect.tcp(80, 8080).onInterface(Lab.HOST_SERVER_SIDE));
      apply(elsewhere);
      assertThat(fromClient("tcp", Lab.HOST_V4, 80)).isEqualTo("timeout");
      assertThat(fromClient("tcp", Lab.HOST_V6, 80)).isEqualTo("timeout");
      assertThat(fromHost("tcp", "127.0.0.1", 80)).as("local traffic").isEqualTo("port=8080");
      remove(elsewhere);
    }

    @Test
    void thePlainTextRunsUnderShDashE() {
      lab.host
          .execWithInput(
              RedirectPlan.of(80, 8080).toFirewalld(),
              "env",
              "DBUS_SYSTEM_BUS_ADDRESS=unix:path="
                  + firewalld.configDir().getParent().resolve("bus.sock"),
              "sh",
              "-e")
          .orThrow();
      assertThat(fromClient("tcp", Lab.HOST_V4, 80)).isEqualTo("port=8080");
      assertThat(fromHost("tcp", "::1", 80)).isEqualTo("port=8080");
    }

    @Test
    void permanentRulesSurviveReloadAndFirewalldWritesPrivportsDirectXml() throws Exception {
      RedirectPlan plan =
          RedirectPlan.builder()
              .tcp(80, 8080)
              .add(Redirect.udp(514, 5514).onInterface("h0").incomingOnly())
              .build();
      FirewalldDirectRules direct = FIREWALLD.renderDirect(plan);
      try {
        run(direct.permanentAdd()); // ends with --reload
        assertThat(fromClient("tcp", Lab.HOST_V4, 80)).isEqualTo("port=8080");
        runner().run(Command.of("firewall-cmd", "--reload"));
        assertThat(fromClient("tcp", Lab.HOST_V6, 80))
            .as("after another reload")
            .isEqualTo("port=8080");
        Path written = firewalld.configDir().resolve("direct.xml");
        assertThat(Files.readString(written)).isEqualTo(direct.directXml().content());

        run(direct.permanentRemove());
        assertThat(fromClient("tcp", Lab.HOST_V4, 80)).isEqualTo("port=80");

        // Installing privport's own file and reloading gives the same working redirect.
        Files.writeString(written, direct.directXml().content());
        runner().run(Command.of("firewall-cmd", "--reload"));
        assertThat(fromClient("tcp", Lab.HOST_V4, 80)).isEqualTo("port=8080");
        assertThat(fromHost("tcp", "127.0.0.1", 80)).isEqualTo("port=8080");
        assertThat(firewalld.cmd("--direct", "--get-all-rules").stdout().lines().count())
            .isEqualTo(direct.runtimeAdd().size());
      } finally {
        Files.deleteIfExists(firewalld.configDir().resolve("direct.xml"));
        runner().run(Command.of("firewall-cmd", "--reload"));
      }
    }
  }

  /** Policies with forward-port rich rules (firewalld >= 1.1). */
  @Nested
  class PolicyRoute extends Base {
    @Override
    protected boolean matchesInputInterfaces() {
      return false;
    }

    @Override
    protected void apply(RedirectPlan plan) {
      FIREWALLD.renderPolicies(plan, LAB_HOST).executeApply(runner());
    }

    @Override
    protected void remove(RedirectPlan plan) {
      FIREWALLD.renderPolicies(plan, LAB_HOST).executeRemove(runner());
    }

    @Test
    void policyFilesAreWhatFirewalldWritesAndApplyingTwiceChangesNothing() throws Exception {
      RedirectPlan plan =
          RedirectPlan.builder()
              .name("web")
              .tcp(80, 8080)
              .add(Redirect.udp(514, 5514).incomingOnly())
              .build();
      FirewalldPolicies policies = FIREWALLD.renderPolicies(plan, LAB_HOST);
      apply(plan);
      String once = lab.host.sh("nft", "list", "table", "inet", "firewalld");
      apply(plan);
      assertThat(lab.host.sh("nft", "list", "table", "inet", "firewalld")).isEqualTo(once);
      for (ConfigFile file : policies.policyFiles()) {
        String written =
            Files.readString(firewalld.configDir().resolve("policies").resolve(file.fileName()));
        assertThat(withoutComments(written)).isEqualTo(withoutComments(file.content()));
      }
      // Installing privport's files instead of running commands gives the same firewall.
      remove(plan);
      for (ConfigFile file : policies.policyFiles()) {
        Files.writeString(
            firewalld.configDir().resolve("policies").resolve(file.fileName()), file.content());
      }
      runner().run(Command.of("firewall-cmd", "--reload"));
      assertThat(lab.host.sh("nft", "list", "table", "inet", "firewalld")).isEqualTo(once);
      assertThat(fromClient("tcp", Lab.HOST_V4, 80)).isEqualTo("port=8080");
      remove(plan);
      assertThat(fromClient("tcp", Lab.HOST_V4, 80)).isEqualTo("port=80");
    }

    private String withoutComments(String xml) {
      return xml.replaceAll("<!--.*?-->\\n", "");
    }
  }
}
