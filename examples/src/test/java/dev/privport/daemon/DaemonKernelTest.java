package dev.privport.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.core.RedirectPlan;
import dev.privport.nft.Nftables;
import dev.privport.nft.StateDirectory;
import dev.privport.testkit.lab.Kernel;
import dev.privport.testkit.lab.Netns;
import dev.privport.testkit.process.CliProcess;
import dev.privport.testkit.process.Cmd;
import dev.privport.testkit.process.TempDirs;
import dev.privport.testkit.traffic.Echo;
import java.io.File;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Delegation end to end: {@code privport daemon} as a real root process in a namespace of the
 * test's own, clients as real unprivileged users ({@code setpriv --reuid}), services listening as
 * those users, and real TCP traffic to the privileged ports. uid 65534 ("alice" here) and 65533
 * ("bob") need no accounts on the machine: the daemon reads passwd/group files the test writes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DaemonKernelTest {
  private static final int ALICE = 65534;
  private static final int BOB = 65533;
  private static final String POLICY =
      """
      # test policy
      allow 65534 tcp 80,443 to 8000-8999
      allow 65534 udp 514 to 5514 ipv4-only
      allow 65533 tcp 80,81,82 to 9000-9099
      allow @webdev tcp 83 to 9083
      """;

  private Path home;
  private String classpath;
  private Path policy;
  private Path passwd;
  private Path group;
  private Path state;
  private Path socket;
  private Netns ns;
  private Process daemon;
  private Path daemonLog;

  @BeforeAll
  void start() throws Exception {
    Kernel.requireRoot();
    Kernel.requireCommand("nft", "setpriv", "kill");
    home = Files.createTempDirectory("privport-daemon-");
    Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-xr-x"));
    classpath = readableClasspath(home.resolve("lib"));
    Path etc = Files.createDirectory(home.resolve("etc"));
    policy = etc.resolve("policy");
    writePolicy(POLICY);
    passwd = etc.resolve("passwd");
    Files.writeString(passwd, "alice:x:65534:65534::/:/bin/sh\ntester:x:65533:65533::/:/bin/sh\n");
    group = etc.resolve("group");
    Files.writeString(group, "webdev:x:4242:tester\n");
    state = home.resolve("state");
    socket = home.resolve("run").resolve("privport.sock");
    ns = Netns.create();
    startDaemon();
    ns.spawn(asUser(ALICE, UserEcho.class.getName(), "8080", "8443"), home.resolve("alice.log"));
    ns.spawn(asUser(BOB, UserEcho.class.getName(), "9081", "9083"), home.resolve("bob.log"));
    await(() -> local(8080).equals("port=8080") && local(9081).equals("port=9081"), "services");
  }

  @AfterAll
  void stop() {
    if (ns != null) {
      ns.close();
    }
    TempDirs.delete(home);
  }

  @Test
  @Order(1)
  void aGrantedRedirectWorksWithRealTraffic() {
    assertThat(local(80)).as("nothing redirects port 80 yet").isNotEqualTo("port=8080");
    Cmd.Result r = client(ALICE, "apply", "80:8080", "443:8443");
    assertThat(r.exitCode()).as(r.stderr()).isZero();
    assertThat(r.stdout()).isEqualTo("applied: table inet privport-u65534 (2 redirects)\n");
    assertThat(local(80)).isEqualTo("port=8080");
    assertThat(local(443)).isEqualTo("port=8443");
    assertThat(Files.exists(state.resolve("u65534.plan"))).isTrue();
    assertThat(log())
        .contains(
            "uid=65534 gid=65534 request=apply plan=\"80:8080/tcp, 443:8443/tcp\" verdict=ok code=0");
  }

  @Test
  @Order(2)
  void whatIsNotGrantedIsRefusedWithNothingApplied() throws IOException {
    String before = ruleset();
    String stored = Files.readString(state.resolve("u65534.plan"));
    Cmd.Result port = client(ALICE, "apply", "22:8022");
    assertThat(port.exitCode()).isEqualTo(2);
    assertThat(port.stderr())
        .isEqualTo(
            "privport: not granted: 22:8022/tcp: tcp port 22 is not granted to uid 65534"
                + " (granted: tcp 80,443; udp 514)\n");
    Cmd.Result target = client(ALICE, "apply", "80:8080", "443:9443");
    assertThat(target.exitCode()).isEqualTo(2);
    assertThat(target.stderr())
        .isEqualTo(
            "privport: not granted: 443:9443/tcp: target port 9443 is outside the granted range"
                + " 8000-8999 ("
                + policy
                + ":2)\n");
    Cmd.Result narrow = client(ALICE, "apply", "80:8080", "514:5514/udp");
    assertThat(narrow.exitCode()).isEqualTo(2);
    assertThat(narrow.stderr()).contains("514:5514/udp: the grant requires ipv4-only");
    Cmd.Result none = client(BOB + 100, "apply", "80:8080");
    assertThat(none.exitCode()).isEqualTo(2);
    assertThat(none.stderr()).contains("uid 65633 has no grant in " + policy);
    assertThat(ruleset()).isEqualTo(before);
    assertThat(Files.readString(state.resolve("u65534.plan"))).isEqualTo(stored);
    assertThat(log())
        .contains("uid=65534 gid=65534 request=apply plan=\"22:8022/tcp\" verdict=refused code=2");
  }

  @Test
  @Order(3)
  void aPortAnotherUserOrAnAdminHoldsIsRefusedNamingTheHolder() {
    ns.run(
        () -> {
          try (Nftables nft = Nftables.open(StateDirectory.at(home.resolve("nft-state")))) {
            nft.apply(RedirectPlan.builder().name("web").tcp(82, 9082).build());
          }
        });
    Cmd.Result users = client(BOB, "apply", "80:9080");
    assertThat(users.exitCode()).isEqualTo(2);
    assertThat(users.stderr())
        .isEqualTo(
            "privport: claimed: tcp port 80 is held by uid 65534 (table inet privport-u65534)\n");
    Cmd.Result admin = client(BOB, "apply", "81:9081", "82:9082");
    assertThat(admin.exitCode()).isEqualTo(2);
    assertThat(admin.stderr())
        .isEqualTo(
            "privport: claimed: tcp port 82 is held by an admin plan (table inet privport-web)\n");
    assertThat(ruleset()).doesNotContain("privport-u65533");
    assertThat(local(80)).as("alice keeps her port").isEqualTo("port=8080");
    // 83 through membership of group webdev (the test's group file), by name.
    Cmd.Result ok = client(BOB, "apply", "81:9081", "83:9083");
    assertThat(ok.exitCode()).as(ok.stderr()).isZero();
    assertThat(local(81)).isEqualTo("port=9081");
    assertThat(local(83)).isEqualTo("port=9083");
    assertThat(local(82)).as("the admin's table is untouched").isNotEqualTo("port=9081");
    assertThat(ruleset()).contains("table inet privport-web");
  }

  @Test
  @Order(4)
  void statusShowsTheCallersPlanAndRootListsEveryone() {
    Cmd.Result mine = client(ALICE, "status");
    assertThat(mine.exitCode()).as(mine.stderr()).isZero();
    assertThat(mine.stdout())
        .startsWith("table inet privport-u65534: present\n")
        .contains("local     *          tcp 80 -> 8080         live")
        .contains("in sync with the plan")
        .doesNotContain("65533");
    Cmd.Result notRoot = client(ALICE, "status", "--all");
    assertThat(notRoot.exitCode()).isEqualTo(2);
    assertThat(notRoot.stderr()).contains("is for root, not uid 65534");
    Cmd.Result all = client(0, "status", "--all");
    assertThat(all.exitCode()).as(all.stderr()).isZero();
    assertThat(all.stdout())
        .contains("uid 65533: table inet privport-u65533: present")
        .contains("uid 65534: table inet privport-u65534: present");
    // PRIVPORT_SOCKET instead of --socket.
    Cmd.Result env =
        cli()
            .in(ns)
            .wrappedBy(setpriv(ALICE))
            .wrappedBy("env", "PRIVPORT_SOCKET=" + socket)
            .run("status");
    assertThat(env.exitCode()).as(env.stderr()).isZero();
    assertThat(env.stdout()).startsWith("table inet privport-u65534: present\n");
    ns.sh("nft", "flush", "chain", "inet", "privport-u65533", "local");
    Cmd.Result drifted = client(BOB, "status");
    assertThat(drifted.exitCode()).isEqualTo(1);
    assertThat(drifted.stdout()).contains("NOT in sync with the plan");
    assertThat(client(BOB, "apply", "81:9081", "83:9083").exitCode()).isZero();
  }

  @Test
  @Order(5)
  void garbageAndStalledConnectionsLeaveTheDaemonServing() throws Exception {
    List<SocketChannel> stalled = new ArrayList<>();
    Random random = new Random(17);
    int answered = 0;
    try {
      for (int i = 0; i < 300; i++) {
        stalled.add(SocketChannel.open(UnixDomainSocketAddress.of(socket)));
      }
      for (int i = 0; i < 200; i++) {
        byte[] garbage =
            switch (i % 5) {
              case 0 -> new byte[Wire.MAX_REQUEST + 1 + random.nextInt(4096)];
              case 1 -> "privport/1 apply\n80:8".getBytes(StandardCharsets.UTF_8);
              case 2 -> "privport/1".getBytes(StandardCharsets.UTF_8);
              case 3 -> "privport/1 apply\n\u0000\u00ff{}\n".getBytes(StandardCharsets.UTF_8);
              default -> randomBytes(random, 1 + random.nextInt(2000));
            };
        String answer = exchange(garbage);
        // An oversized request is answered before the daemon has read it all; closing with unread
        // data may reset the connection before the client reads that answer.
        if (answer.startsWith("privport/1 2\n") || (i % 5 == 0 && answer.equals("reset"))) {
          answered++;
        }
      }
      assertThat(answered).as("every garbage request is answered as bad input").isEqualTo(200);
      // Still serving while hundreds of connections were opened and never sent anything.
      Cmd.Result status = client(ALICE, "status");
      assertThat(status.exitCode()).as(status.stderr()).isZero();
      Wire.Response root = new DaemonClient(socket).send(new Wire.Request(Wire.Verb.STATUS, ""));
      assertThat(root.code()).isEqualTo(1);
      assertThat(root.text()).contains("no delegated plan for uid 0");
      await(() -> log().contains("connection dropped: no complete request within"), "deadline");
      assertThat(log()).contains("connection dropped: more than 32 connections from this uid");
      assertThat(daemon.isAlive()).isTrue();
    } finally {
      for (SocketChannel c : stalled) {
        c.close();
      }
    }
  }

  @Test
  @Order(6)
  void aChangedPolicyIsEnforcedAfterSighup() throws IOException {
    assertThat(local(81)).isEqualTo("port=9081");
    writePolicy("allow 65534 tcp 80,443 to 8000-8999\nallow @webdev tcp 83 to 9083\n");
    hangUp();
    await(() -> !ruleset().contains("tcp dport 81 "), "bob's port 81 to go");
    assertThat(local(81)).isNotEqualTo("port=9081");
    assertThat(local(83)).as("what is still granted stays").isEqualTo("port=9083");
    assertThat(Files.readString(state.resolve("u65533.plan")))
        .isEqualTo("name u65533\n83:9083/tcp\n");
    Cmd.Result refused = client(BOB, "apply", "81:9081");
    assertThat(refused.exitCode()).isEqualTo(2);
    // A broken policy is not loaded: the previous one stays in force.
    writePolicy("allow 65534 tcp 80,443 to 8000-8999\nallow @webdev tcp 83 to\n");
    hangUp();
    await(() -> log().contains("reload verdict=failed, keeping the previous policy"), "reload");
    assertThat(local(83)).isEqualTo("port=9083");
    writePolicy(POLICY);
    hangUp();
    await(() -> log().split("reload verdict=ok", -1).length == 3, "second good reload");
  }

  @Test
  @Order(7)
  void stateSurvivesADaemonRestartAndAFlushedRuleset() throws Exception {
    daemon.destroy();
    assertThat(daemon.waitFor(20, TimeUnit.SECONDS)).isTrue();
    assertThat(local(80)).as("redirects outlive the daemon").isEqualTo("port=8080");
    ns.sh("nft", "flush", "ruleset");
    assertThat(local(80)).isNotEqualTo("port=8080");
    startDaemon();
    await(() -> local(80).equals("port=8080"), "alice's plan to be re-applied");
    assertThat(local(443)).isEqualTo("port=8443");
    assertThat(local(83)).isEqualTo("port=9083");
  }

  @Test
  @Order(8)
  void removeTakesAwayPortsThenThePlan() {
    Cmd.Result one = client(ALICE, "remove", "443:8443");
    assertThat(one.exitCode()).as(one.stderr()).isZero();
    assertThat(one.stdout()).isEqualTo("removed; table inet privport-u65534 keeps 1 redirect\n");
    assertThat(local(443)).isNotEqualTo("port=8443");
    assertThat(local(80)).isEqualTo("port=8080");
    Cmd.Result all = client(ALICE, "remove");
    assertThat(all.exitCode()).as(all.stderr()).isZero();
    assertThat(local(80)).isNotEqualTo("port=8080");
    assertThat(ruleset()).doesNotContain("privport-u65534").contains("privport-u65533");
    assertThat(Files.exists(state.resolve("u65534.plan"))).isFalse();
    assertThat(client(ALICE, "status").exitCode()).isEqualTo(1);
  }

  @Test
  @Order(9)
  void aPolicyOthersMayWriteStopsTheDaemonFromStarting() throws IOException {
    Path dir = Files.createDirectory(home.resolve("etc-bad"));
    Path bad = dir.resolve("policy");
    Files.writeString(bad, POLICY);
    Files.setPosixFilePermissions(bad, PosixFilePermissions.fromString("rw-rw-rw-"));
    String before = ruleset();
    Cmd.Result r =
        Cmd.run(
            daemonArgv(bad, home.resolve("run-bad").resolve("s.sock"), home.resolve("state-bad")),
            null);
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.stderr())
        .isEqualTo(
            "privport: policy file "
                + bad
                + ": must not be writable by group or others, mode is rw-rw-rw- (chmod go-w)\n");
    assertThat(ruleset()).isEqualTo(before);
    assertThat(Files.exists(home.resolve("run-bad"))).isFalse();
  }

  @Test
  @Order(10)
  void socketActivationHandsTheDaemonItsListeningSocket() throws IOException {
    Kernel.requireCommand("systemd-socket-activate");
    try (Netns other = Netns.create()) {
      Path activated = home.resolve("activated.sock");
      List<String> daemonArgv = daemonArgv(policy, activated, home.resolve("state-activated"));
      List<String> argv =
          new ArrayList<>(
              List.of("systemd-socket-activate", "--inetd", "-l", activated.toString()));
      // Without --socket: the daemon must take the socket it is given on standard input.
      List<String> java = daemonArgv.subList(4, daemonArgv.size());
      int socketOption = java.indexOf("--socket");
      argv.addAll(java.subList(0, socketOption));
      argv.addAll(java.subList(socketOption + 2, java.size()));
      Path activationLog = home.resolve("activated.log");
      other.spawn(argv, activationLog);
      await(() -> Files.exists(activated), "the activation socket");
      // systemd creates it with SocketMode=0666 (see Units); systemd-socket-activate does not.
      Files.setPosixFilePermissions(activated, PosixFilePermissions.fromString("rw-rw-rw-"));
      Cmd.Result r =
          cli()
              .in(other)
              .wrappedBy(setpriv(ALICE))
              .run("apply", "--socket", activated.toString(), "80:8080");
      assertThat(r.exitCode()).as(r.stderr() + Files.readString(activationLog)).isZero();
      assertThat(other.sh("nft", "list", "tables")).contains("table inet privport-u65534");
      assertThat(Files.readString(activationLog))
          .contains("privport daemon: using the listening socket passed by the service manager")
          .contains("privport daemon: serving on " + activated);
    }
  }

  @Test
  @Order(11)
  void twoUsersRacingForOnePortCannotBothWin() {
    assertThat(ruleset()).doesNotContain("tcp dport 80 ");
    CompletableFuture<Cmd.Result> alice =
        CompletableFuture.supplyAsync(() -> client(ALICE, "apply", "80:8080"));
    CompletableFuture<Cmd.Result> bob =
        CompletableFuture.supplyAsync(() -> client(BOB, "apply", "80:9081", "83:9083"));
    List<Integer> codes = List.of(alice.join().exitCode(), bob.join().exitCode());
    assertThat(codes)
        .as(alice.join().stderr() + bob.join().stderr())
        .containsExactlyInAnyOrder(0, 2);
    Cmd.Result loser = codes.get(0) == 2 ? alice.join() : bob.join();
    assertThat(loser.stderr()).contains("claimed: tcp port 80 is held by uid");
    assertThat(local(80)).isEqualTo(codes.get(0) == 0 ? "port=8080" : "port=9081");
    assertThat(ruleset().split("tcp dport 80 ", -1))
        .as("one incoming and one local rule")
        .hasSize(3);
  }

  // ---- helpers ----

  private void startDaemon() {
    daemonLog = home.resolve("daemon.log");
    List<String> argv = daemonArgv(policy, socket, state);
    daemon = ns.spawn(argv.subList(4, argv.size()), daemonLog);
    await(
        () -> {
          try {
            return new DaemonClient(socket).send(new Wire.Request(Wire.Verb.STATUS, "")).code()
                == 1;
          } catch (IOException e) {
            return false;
          }
        },
        "the daemon to serve");
  }

  private List<String> daemonArgv(Path policyFile, Path socketPath, Path stateDir) {
    return cli()
        .in(ns)
        .argv(
            "daemon",
            "--socket",
            socketPath.toString(),
            "--policy",
            policyFile.toString(),
            "--state",
            stateDir.toString(),
            "--passwd-file",
            passwd.toString(),
            "--group-file",
            group.toString());
  }

  /** privport's JVM, quick to start, its executor's lock in a directory of the test's own. */
  private CliProcess cli() {
    return CliProcess.java()
        .withJvmOptions("-XX:TieredStopAtLevel=1", "-XX:-UsePerfData")
        // the executor's lock in a directory of the test's own, never the host's /run/privport
        .withJvmOptions("-D" + StateDirectory.PROPERTY + "=" + home.resolve("nft-state"))
        .withClassPath(classpath);
  }

  /** The wrapper that runs the rest as {@code uid}, with no supplementary groups. */
  private static List<String> setpriv(int uid) {
    return List.of("setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups");
  }

  private List<String> asUser(int uid, String mainClass, String... args) {
    List<String> argv = new ArrayList<>(setpriv(uid));
    argv.addAll(cli().javaArgv(mainClass, args));
    return argv;
  }

  /** Runs privport as {@code uid} (0: root) in the namespace, against the test's daemon. */
  private Cmd.Result client(int uid, String... args) {
    CliProcess cli = cli().in(ns);
    if (uid != 0) {
      cli = cli.wrappedBy(setpriv(uid));
    }
    List<String> argv = new ArrayList<>(List.of(args));
    argv.addAll(List.of("--socket", socket.toString()));
    return cli.run(argv.toArray(String[]::new));
  }

  private String local(int port) {
    return ns.call(() -> Echo.tcp("127.0.0.1", port));
  }

  private String ruleset() {
    return ns.sh("nft", "list", "ruleset");
  }

  private String log() {
    try {
      return Files.readString(daemonLog);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private void hangUp() {
    Cmd.run("kill", "-HUP", Long.toString(daemon.pid())).orThrow();
  }

  private void writePolicy(String text) throws IOException {
    Path tmp = policy.resolveSibling("policy.tmp");
    Files.writeString(tmp, text);
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
    Files.move(tmp, policy, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** Sends raw bytes as a request and returns the raw answer (empty when the daemon hung up). */
  private String exchange(byte[] request) throws IOException {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(socket));
      try {
        ByteBuffer b = ByteBuffer.wrap(request);
        while (b.hasRemaining()) {
          ch.write(b);
        }
        ch.shutdownOutput();
      } catch (IOException answeredEarly) {
        // The daemon refuses an oversized request before reading all of it.
      }
      ByteBuffer in = ByteBuffer.allocate(4096);
      try {
        while (ch.read(in) >= 0 && in.hasRemaining()) {
          // read to the end of the answer
        }
      } catch (IOException e) {
        return in.position() > 0
            ? new String(in.array(), 0, in.position(), StandardCharsets.UTF_8)
            : "reset";
      }
      return new String(in.array(), 0, in.position(), StandardCharsets.UTF_8);
    }
  }

  private static byte[] randomBytes(Random random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  /** Waits for {@code condition} with bounded retries (30 s). */
  private static void await(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for " + what);
      }
    }
  }

  /** The test class path, copied where unprivileged users can read it (root's ~/.m2 is not). */
  private static String readableClasspath(Path lib) throws IOException {
    Files.createDirectories(lib);
    List<String> out = new ArrayList<>();
    int n = 0;
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path src = Path.of(entry);
      if (!Files.exists(src)) {
        continue;
      }
      Path dst = lib.resolve((n++) + "-" + src.getFileName());
      if (Files.isDirectory(src)) {
        try (Stream<Path> files = Files.walk(src)) {
          for (Path f : (Iterable<Path>) files::iterator) {
            Path t = dst.resolve(src.relativize(f).toString());
            if (Files.isDirectory(f)) {
              Files.createDirectories(t);
            } else {
              Files.copy(f, t);
            }
          }
        }
      } else {
        Files.copy(src, dst);
      }
      out.add(dst.toString());
    }
    try (Stream<Path> files = Files.walk(lib)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.setPosixFilePermissions(
            f, PosixFilePermissions.fromString(Files.isDirectory(f) ? "rwxr-xr-x" : "rw-r--r--"));
      }
    }
    return String.join(File.pathSeparator, out);
  }
}
