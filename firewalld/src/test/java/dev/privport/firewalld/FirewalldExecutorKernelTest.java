package dev.privport.firewalld;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privport.core.Command;
import dev.privport.core.ConfigFile;
import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import dev.privport.core.Step;
import dev.privport.firewalld.FirewalldException.Reason;
import dev.privport.testkit.fixtures.IptablesFixtures;
import dev.privport.testkit.lab.Lab;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The in-process executor ({@link Firewalld}) against the real firewalld of {@link
 * FirewalldKernelTest}'s lab: the whole redirect contract with real traffic, for direct rules and
 * for policies, plus what the batch promises: applying twice changes nothing, removing takes away
 * exactly the plan, the number of D-Bus calls does not grow with the plan, and a refused batch
 * leaves firewalld as it was.
 */
class FirewalldExecutorKernelTest {
  private static final FirewalldRenderer FIREWALLD = new FirewalldRenderer();

  /** A foreign permanent direct rule, as another tool would have added it. */
  private static final String[] FOREIGN_DIRECT = {
    "--direct",
    "--add-rule",
    "ipv4",
    "nat",
    "PREROUTING",
    "5",
    "-p",
    "tcp",
    "--dport",
    "9999",
    "-j",
    "REDIRECT",
    "--to-ports",
    "81"
  };

  abstract static class ExecutorBase extends FirewalldKernelTest.Base {
    Firewalld executor;

    @Override
    protected void startServices() {
      super.startServices();
      executor = Firewalld.connect(busAddress());
    }

    String busAddress() {
      return "unix:path=" + firewalld.configDir().getParent().resolve("bus.sock");
    }

    @AfterAll
    void closeExecutor() {
      if (executor != null) executor.close();
    }

    @Override
    protected void reset() {
      try {
        Files.deleteIfExists(firewalld.configDir().resolve("direct.xml"));
        Files.deleteIfExists(firewalld.configDir().resolve("policies/foreign.xml"));
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      super.reset();
    }

    /** The executor reloads firewalld, which drops the probe ports opened at runtime. */
    FirewalldChange reopened(FirewalldChange change) {
      if (change.changed() && openProbePortsAfterReload) {
        openProbePorts();
      }
      return change;
    }

    String state() {
      return firewalld.cmd("--state").stdout().strip();
    }
  }

  /** Direct rules through {@link Firewalld#apply(FirewalldDirectRules)}. */
  @Nested
  class DirectExecutor extends ExecutorBase {
    @Override
    protected void apply(RedirectPlan plan) {
      reopened(executor.apply(FIREWALLD.renderDirect(plan)));
    }

    @Override
    protected void remove(RedirectPlan plan) {
      reopened(executor.remove(FIREWALLD.renderDirect(plan)));
    }

    @Test
    void applyingTwiceChangesNothingAndRemovalTakesAwayExactlyThePlan() {
      firewalld.cmd(permanent(FOREIGN_DIRECT)).orThrow();
      firewalld.cmd("--permanent", "--zone", "public", "--add-port=9998/tcp").orThrow();
      runner().run(Command.of("firewall-cmd", "--reload"));
      String before = IptablesFixtures.natState(lab.host);
      String permanentBefore = firewalld.cmd("--permanent", "--direct", "--get-all-rules").stdout();
      assertThat(before).contains("--dport 9999");
      RedirectPlan plan = RedirectPlan.builder().tcp(80, 8080).udp(514, 5514).build();

      assertThat(reopened(executor.apply(FIREWALLD.renderDirect(plan))).changed()).isTrue();
      String once = IptablesFixtures.natState(lab.host);
      assertThat(once.split("\n")).filteredOn(l -> l.contains("--to-ports 8080")).hasSize(4);
      assertThat(fromClient("tcp", Lab.HOST_V4, 80)).isEqualTo("port=8080");

      FirewalldChange again = executor.apply(FIREWALLD.renderDirect(plan));
      assertThat(again.changed()).as("applying twice").isFalse();
      assertThat(IptablesFixtures.natState(lab.host)).isEqualTo(once);
      assertThat(fromClient("tcp", Lab.HOST_V4, 81))
          .as("no reload: probe port open")
          .isEqualTo("port=81");

      assertThat(reopened(executor.remove(FIREWALLD.renderDirect(plan))).changed()).isTrue();
      assertThat(IptablesFixtures.natState(lab.host)).isEqualTo(before);
      assertThat(firewalld.cmd("--permanent", "--direct", "--get-all-rules").stdout())
          .isEqualTo(permanentBefore);
      assertThat(firewalld.cmd("--permanent", "--zone", "public", "--list-ports").stdout())
          .contains("9998/tcp");
      assertThat(fromClient("tcp", Lab.HOST_V4, 80)).isEqualTo("port=80");
      assertThat(fromClient("tcp", Lab.HOST_V4, 9999)).as("the foreign rule").isEqualTo("port=81");
      assertThat(executor.remove(FIREWALLD.renderDirect(plan)).changed()).isFalse();
    }

    @Test
    void rulesArePermanentAndSurviveAReload() {
      RedirectPlan plan = RedirectPlan.of(80, 8080);
      executor.apply(FIREWALLD.renderDirect(plan));
      runner().run(Command.of("firewall-cmd", "--reload"));
      assertThat(fromClient("tcp", Lab.HOST_V6, 80)).isEqualTo("port=8080");
      assertThat(fromHost("tcp", "127.0.0.1", 80)).isEqualTo("port=8080");
    }

    @Test
    void theNumberOfCallsDoesNotGrowWithThePlan() {
      FirewalldChange one =
          reopened(executor.apply(FIREWALLD.renderDirect(RedirectPlan.of(80, 8080))));
      executor.remove(FIREWALLD.renderDirect(RedirectPlan.of(80, 8080)));
      RedirectPlan.Builder b = RedirectPlan.builder();
      for (int i = 0; i < 100; i++) {
        b.add(Redirect.tcp(10_000 + i, 8080));
      }
      RedirectPlan hundred = b.build();
      FirewalldChange many = reopened(executor.apply(FIREWALLD.renderDirect(hundred)));
      assertThat(FIREWALLD.renderDirect(hundred).runtimeAdd()).hasSize(400);
      assertThat(many.calls()).isEqualTo(one.calls()).isEqualTo(7);
      assertThat(fromClient("tcp", Lab.HOST_V4, 10_099)).isEqualTo("port=8080");
      assertThat(fromClient("tcp", Lab.HOST_V6, 10_000)).isEqualTo("port=8080");
      assertThat(fromHost("tcp", "::1", 10_050)).isEqualTo("port=8080");
      FirewalldChange removed = reopened(executor.remove(FIREWALLD.renderDirect(hundred)));
      assertThat(removed.calls()).isEqualTo(7);
      assertThat(executor.remove(FIREWALLD.renderDirect(hundred)).calls()).isEqualTo(4);
      assertThat(fromClient("tcp", Lab.HOST_V4, 10_099)).isNotEqualTo("port=8080");
    }

    @Test
    void twoExecutorsApplyingAtOnceLoseNothing() throws Exception {
      // Each executor reads, changes and writes the whole permanent direct configuration: without
      // a lock shared by all of them, one's write would drop the other's plan.
      RedirectPlan web = RedirectPlan.builder().name("web").tcp(80, 8080).build();
      RedirectPlan alt = RedirectPlan.builder().name("alt").tcp(81, 8081).build();
      try (Firewalld other = Firewalld.connect(busAddress())) {
        for (int round = 0; round < 3; round++) {
          var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
          try {
            var a = pool.submit(() -> executor.apply(FIREWALLD.renderDirect(web)));
            var b = pool.submit(() -> other.apply(FIREWALLD.renderDirect(alt)));
            a.get();
            b.get();
          } finally {
            pool.shutdown();
          }
          String permanent = firewalld.cmd("--permanent", "--direct", "--get-all-rules").stdout();
          assertThat(permanent)
              .as("round " + round)
              .contains("--to-ports 8080")
              .contains("--to-ports 8081");
          executor.remove(FIREWALLD.renderDirect(web));
          other.remove(FIREWALLD.renderDirect(alt));
        }
      }
      reopened(new FirewalldChange(true, 0));
    }

    @Test
    void anotherProcessFindsFirewalldThroughDbusSystemBusAddressAndNeitherLosesItsPlan()
        throws Exception {
      // Each executor reads, changes and writes the whole permanent direct configuration; only
      // the lock shared by all privport processes keeps one from writing back a copy without the
      // other's plan (which the other then reports as not loaded).
      RedirectPlan web = RedirectPlan.builder().name("web").tcp(80, 8080).build();
      ProcessBuilder pb =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-cp",
                  System.getProperty("java.class.path"),
                  ApplyFromEnvironment.class.getName(),
                  "6")
              .redirectError(Files.createTempFile("privport-fwbatch-", ".err").toFile());
      pb.environment().put("DBUS_SYSTEM_BUS_ADDRESS", busAddress());
      Process child = pb.start();
      try {
        var lines =
            new java.io.BufferedReader(
                new java.io.InputStreamReader(
                    child.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
        assertThat(lines.readLine()).isEqualTo("connected");
        for (int round = 0; round < 6; round++) { // while the child applies its own plan
          executor.apply(FIREWALLD.renderDirect(web));
          executor.remove(FIREWALLD.renderDirect(web));
        }
        executor.apply(FIREWALLD.renderDirect(web));
        String out = lines.lines().collect(java.util.stream.Collectors.joining("\n"));
        assertThat(child.waitFor())
            .as(out + Files.readString(pb.redirectError().file().toPath()))
            .isZero();
        assertThat(out).contains("applied through " + busAddress());
      } finally {
        child.destroyForcibly();
        Files.deleteIfExists(pb.redirectError().file().toPath());
      }
      String permanent = firewalld.cmd("--permanent", "--direct", "--get-all-rules").stdout();
      assertThat(permanent).contains("--to-ports 8080").contains("--to-ports 8081");
      reopened(new FirewalldChange(true, 0));
      assertThat(fromClient("tcp", Lab.HOST_V4, 80)).isEqualTo("port=8080");
      assertThat(fromClient("tcp", Lab.HOST_V4, 81)).isEqualTo("port=8081");
    }

    @Test
    void aRuleFirewalldRejectsLeavesNothingHalfApplied() {
      firewalld.cmd(permanent(FOREIGN_DIRECT)).orThrow();
      runner().run(Command.of("firewall-cmd", "--reload"));
      String before = IptablesFixtures.natState(lab.host);
      String permanentBefore = firewalld.cmd("--permanent", "--direct", "--get-all-rules").stdout();
      FirewalldDirectRules good = FIREWALLD.renderDirect(RedirectPlan.of(80, 8080));
      List<Command> adds = new ArrayList<>(good.runtimeAdd());
      adds.add(
          Command.of(
              "firewall-cmd",
              "--direct",
              "--add-rule",
              "ipv4",
              "nat",
              "PREROUTING",
              "0",
              "-p",
              "tcp",
              "--dport",
              "82",
              "-j",
              "REDIRECT",
              "--to-portz",
              "8082"));
      FirewalldDirectRules bad =
          new FirewalldDirectRules(adds, List.of(), List.of(), List.of(), good.directXml());

      assertThatThrownBy(() -> executor.apply(bad))
          .isInstanceOfSatisfying(
              FirewalldException.class,
              e -> {
                assertThat(e.reason()).isEqualTo(Reason.REJECTED);
                assertThat(e.getMessage())
                    .doesNotContain("\n")
                    .contains("--to-portz")
                    .endsWith("previous configuration restored");
              });
      assertThat(state()).isEqualTo("running");
      reopened(new FirewalldChange(true, 0));
      assertThat(IptablesFixtures.natState(lab.host)).isEqualTo(before);
      assertThat(firewalld.cmd("--permanent", "--direct", "--get-all-rules").stdout())
          .isEqualTo(permanentBefore);
      assertThat(fromClient("tcp", Lab.HOST_V4, 80)).isEqualTo("port=80");
    }

    @Test
    void callsTheExecutorCannotBatchAreRefusedBeforeAnythingIsSent() {
      FirewalldDirectRules direct = FIREWALLD.renderDirect(RedirectPlan.of(80, 8080));
      FirewalldDirectRules odd =
          new FirewalldDirectRules(
              List.of(Command.of("firewall-cmd", "--direct", "--passthrough", "ipv4", "-F")),
              List.of(),
              List.of(),
              List.of(),
              direct.directXml());
      assertThatThrownBy(() -> executor.apply(odd))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(
              "runtimeAdd must be --add-chain or --add-rule calls, got"
                  + " \"firewall-cmd --direct --passthrough ipv4 -F\"");
    }

    @Test
    void errorsNameTheCauseOnOneLine() throws Exception {
      Path nowhere = Files.createTempDirectory("privport-fwbatch-").resolve("no.sock");
      assertThatThrownBy(() -> Firewalld.connect("unix:path=" + nowhere))
          .isInstanceOfSatisfying(
              FirewalldException.class,
              e -> {
                assertThat(e.reason()).isEqualTo(Reason.UNREACHABLE);
                assertThat(e.getMessage()).doesNotContain("\n").contains(nowhere.toString());
              });
      // A socket that accepts but never speaks D-Bus: bounded, not a hang.
      Path silent = Files.createTempDirectory("privport-fwbatch-silent-").resolve("s.sock");
      try (var server =
          java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
        server.bind(java.net.UnixDomainSocketAddress.of(silent));
        assertThatThrownBy(() -> Firewalld.connect("unix:path=" + silent))
            .isInstanceOfSatisfying(
                FirewalldException.class,
                e -> {
                  assertThat(e.reason()).isEqualTo(Reason.UNREACHABLE);
                  assertThat(e.getMessage())
                      .isEqualTo("firewalld: no D-Bus answer within 9 s from unix:path=" + silent);
                });
      } finally {
        Files.deleteIfExists(silent);
      }
      // A bus without firewalld on it.
      Path dir = Files.createTempDirectory("privport-fwbatch-bus-");
      String address = "unix:path=" + dir.resolve("bus.sock");
      Files.writeString(
          dir.resolve("bus.conf"),
          Files.readString(firewalld.configDir().getParent().resolve("bus.conf"))
              .replace(busAddress(), address));
      Process bus =
          lab.host.spawn(
              List.of(
                  "dbus-daemon",
                  "--config-file=" + dir.resolve("bus.conf"),
                  "--nofork",
                  "--nopidfile"),
              dir.resolve("dbus.log"));
      try {
        for (int i = 0; i < 100 && !Files.exists(dir.resolve("bus.sock")); i++) {
          Thread.sleep(50);
        }
        assertThatThrownBy(() -> Firewalld.connect(address))
            .isInstanceOfSatisfying(
                FirewalldException.class,
                e -> {
                  assertThat(e.reason()).isEqualTo(Reason.NOT_RUNNING);
                  assertThat(e.getMessage())
                      .isEqualTo(
                          "firewalld is not running: nothing owns org.fedoraproject.FirewallD1 on"
                              + " the bus at "
                              + address);
                });
      } finally {
        bus.destroy();
        bus.waitFor();
      }
    }
  }

  /** Policies through {@link Firewalld#apply(FirewalldPolicies)}. */
  @Nested
  class PolicyExecutor extends ExecutorBase {
    @Override
    protected boolean matchesInputInterfaces() {
      return false;
    }

    @Override
    protected void apply(RedirectPlan plan) {
      reopened(executor.apply(FIREWALLD.renderPolicies(plan, FirewalldKernelTest.LAB_HOST)));
    }

    @Override
    protected void remove(RedirectPlan plan) {
      reopened(executor.remove(FIREWALLD.renderPolicies(plan, FirewalldKernelTest.LAB_HOST)));
    }

    @Test
    void applyingTwiceChangesNothingAndRemovalTakesAwayExactlyThePlan() throws Exception {
      firewalld.cmd("--permanent", "--new-policy", "foreign").orThrow();
      firewalld.cmd("--permanent", "--policy", "foreign", "--add-ingress-zone", "HOST").orThrow();
      firewalld.cmd("--permanent", "--policy", "foreign", "--add-egress-zone", "ANY").orThrow();
      runner().run(Command.of("firewall-cmd", "--reload"));
      String before = lab.host.sh("nft", "list", "table", "inet", "firewalld");
      RedirectPlan plan =
          RedirectPlan.builder()
              .name("web")
              .tcp(80, 8080)
              .add(Redirect.udp(514, 5514).incomingOnly())
              .build();
      FirewalldPolicies policies = FIREWALLD.renderPolicies(plan, FirewalldKernelTest.LAB_HOST);

      assertThat(reopened(executor.apply(policies)).changed()).isTrue();
      String once = lab.host.sh("nft", "list", "table", "inet", "firewalld");
      assertThat(fromClient("tcp", Lab.HOST_V4, 80)).isEqualTo("port=8080");
      FirewalldChange again = executor.apply(policies);
      assertThat(again.changed()).as("applying twice").isFalse();
      assertThat(lab.host.sh("nft", "list", "table", "inet", "firewalld")).isEqualTo(once);
      // What the executor wrote is what the rendered files say.
      for (ConfigFile file : policies.policyFiles()) {
        String written =
            Files.readString(firewalld.configDir().resolve("policies").resolve(file.fileName()));
        assertThat(withoutComments(written)).isEqualTo(withoutComments(file.content()));
      }

      assertThat(reopened(executor.remove(policies)).changed()).isTrue();
      assertThat(firewalld.cmd("--permanent", "--get-policies").stdout())
          .contains("foreign")
          .doesNotContain("pp-web");
      assertThat(lab.host.sh("nft", "list", "table", "inet", "firewalld")).isEqualTo(before);
      assertThat(fromClient("tcp", Lab.HOST_V4, 80)).isEqualTo("port=80");
      assertThat(executor.remove(policies).changed()).isFalse();
    }

    @Test
    void aChangedPlanReplacesThePreviousVersion() {
      RedirectPlan v1 = RedirectPlan.builder().name("web").tcp(80, 8080).build();
      RedirectPlan v2 = RedirectPlan.builder().name("web").tcp(81, 8081).build();
      apply(v1);
      apply(v2);
      assertThat(fromClient("tcp", Lab.HOST_V4, 80)).isEqualTo("port=80");
      assertThat(fromClient("tcp", Lab.HOST_V4, 81)).isEqualTo("port=8081");
      assertThat(fromHost("tcp", "127.0.0.1", 81)).isEqualTo("port=8081");
    }

    @Test
    void aPolicyFirewalldRejectsLeavesNothingHalfApplied() {
      RedirectPlan plan = RedirectPlan.builder().name("web").tcp(80, 8080).build();
      FirewalldPolicies good = FIREWALLD.renderPolicies(plan, FirewalldKernelTest.LAB_HOST);
      String before = lab.host.sh("nft", "list", "table", "inet", "firewalld");
      String policiesBefore = firewalld.cmd("--permanent", "--get-policies").stdout();
      // firewalld refuses an unknown protocol in the second policy, after the first was written.
      List<Step> steps = new ArrayList<>(good.apply());
      steps.add(
          steps.size() - 1,
          Step.always(
              Command.of(
                  "firewall-cmd",
                  "--permanent",
                  "--policy",
                  "pp-web-lo",
                  "--add-rich-rule=rule family=\"ipv4\" forward-port port=\"82\" protocol=\"bogus\""
                      + " to-port=\"8082\"")));
      FirewalldPolicies bad = new FirewalldPolicies(steps, good.remove(), good.policyFiles());
      assertThatThrownBy(() -> executor.apply(bad))
          .isInstanceOfSatisfying(
              FirewalldException.class,
              e -> {
                assertThat(e.reason()).isEqualTo(Reason.REJECTED);
                assertThat(e.getMessage())
                    .doesNotContain("\n")
                    .contains("bogus")
                    .endsWith("previous configuration restored");
              });
      assertThat(state()).isEqualTo("running");
      reopened(new FirewalldChange(true, 0)); // the rollback reloaded
      assertThat(firewalld.cmd("--permanent", "--get-policies").stdout()).isEqualTo(policiesBefore);
      assertThat(lab.host.sh("nft", "list", "table", "inet", "firewalld")).isEqualTo(before);
    }

    private String withoutComments(String xml) {
      return xml.replaceAll("<!--.*?-->\\n", "");
    }
  }

  private static String[] permanent(String... args) {
    List<String> all = new ArrayList<>(List.of("--permanent"));
    all.addAll(List.of(args));
    return all.toArray(String[]::new);
  }
}
