package dev.privport.examples.bench;

import dev.privport.core.RedirectPlan;
import dev.privport.daemon.DaemonClient;
import dev.privport.daemon.DaemonServer;
import dev.privport.daemon.Delegation;
import dev.privport.daemon.Policy;
import dev.privport.daemon.Ruleset;
import dev.privport.daemon.StateStore;
import dev.privport.daemon.UserDatabase;
import dev.privport.daemon.Wire;
import dev.privport.nft.LibnftablesExecutor;
import dev.privport.nft.Nftables;
import dev.privport.nft.StateDirectory;
import dev.privport.testkit.lab.Netns;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * What delegation costs per request (root; about 20 s): the daemon's request round trip (connect,
 * send, decide, apply through libnftables, store, answer) against applying the same plan
 * in-process, and a status round trip alone and while hundreds of connections stall. Prints a
 * table.
 *
 * <p>Run: {@code java -cp <test class path> dev.privport.examples.bench.DaemonBench}
 */
public final class DaemonBench {
  private static final int ROUNDS = 200;

  private DaemonBench() {}

  public static void main(String[] args) throws Exception {
    Path home = Files.createTempDirectory("privport-daemon-bench-");
    try (Netns ns = Netns.create();
        LibnftablesExecutor nft =
            ns.call(() -> Nftables.open(StateDirectory.at(home.resolve("nft-state"))))) {
      Path etc = Files.createDirectory(home.resolve("etc"));
      Files.setPosixFilePermissions(etc, PosixFilePermissions.fromString("rwxr-xr-x"));
      Path policyFile = etc.resolve("policy");
      Files.writeString(policyFile, "allow 0 tcp 80,443 to 8000-8999\n");
      Files.setPosixFilePermissions(policyFile, PosixFilePermissions.fromString("rw-r--r--"));
      UserDatabase users = UserDatabase.system();
      StateStore store = StateStore.open(home.resolve("state"));
      Delegation delegation =
          new Delegation(Policy.load(policyFile, users), Ruleset.of(nft), store, users, line -> {});
      Path socket = home.resolve("bench.sock");
      ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      channel.bind(UnixDomainSocketAddress.of(socket));
      ExecutorService worker = Executors.newSingleThreadExecutor();
      DaemonServer server =
          new DaemonServer(
              channel,
              (peer, bytes) -> delegation.handle(peer, Wire.Request.decode(bytes)).encode(),
              worker,
              line -> {});
      Thread loop =
          new Thread(
              () -> {
                try {
                  server.serve();
                } catch (java.io.IOException e) {
                  throw new IllegalStateException(e);
                }
              });
      loop.setDaemon(true);
      loop.start();
      DaemonClient client = new DaemonClient(socket);
      Wire.Request apply80 = new Wire.Request(Wire.Verb.APPLY, "80:8080\n");
      Wire.Request apply443 = new Wire.Request(Wire.Verb.APPLY, "80:8080\n443:8443\n");
      Wire.Request status = new Wire.Request(Wire.Verb.STATUS, "");
      RedirectPlan local1 = RedirectPlan.builder().name("bench").tcp(80, 8080).build();
      RedirectPlan local2 =
          RedirectPlan.builder().name("bench").tcp(80, 8080).tcp(443, 8443).build();

      double inProcess = median(() -> nft.apply(local1), () -> nft.apply(local2));
      nft.remove(local1);
      double delegated =
          median(() -> check(client.send(apply80)), () -> check(client.send(apply443)));
      double stored =
          median(
              () -> store.save(4242, "name u4242\n80:8080/tcp\n"),
              () -> store.save(4242, "name u4242\n80:8080/tcp\n443:8443/tcp\n"));
      store.delete(4242);
      double statusAlone =
          median(() -> check(client.send(status)), () -> check(client.send(status)));
      List<SocketChannel> stalled = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        stalled.add(SocketChannel.open(UnixDomainSocketAddress.of(socket)));
      }
      double statusStalled =
          median(() -> check(client.send(status)), () -> check(client.send(status)));
      for (SocketChannel c : stalled) {
        c.close();
      }
      byte[] garbage = "GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
      double refused = median(() -> garbage(socket, garbage), () -> garbage(socket, garbage));
      server.stop();
      worker.shutdownNow();

      System.out.println(
          "### Delegation: one request through privport daemon (median of "
              + ROUNDS
              + " after warm-up, in-JVM client)");
      System.out.println();
      System.out.println("| request | median | vs in-process apply |");
      System.out.println("| --- | ---: | ---: |");
      row("in-process apply, alternating 1 and 2 redirects (no daemon)", inProcess, inProcess);
      row("daemon apply: grants, claims, libnftables, atomic state write", delegated, inProcess);
      row("of which: the state write alone (write, fsync, rename, fsync dir)", stored, inProcess);
      row("daemon status (inspect)", statusAlone, inProcess);
      row("daemon status while 300 connections stall", statusStalled, inProcess);
      row("garbage request refused (code 2)", refused, inProcess);
    } finally {
      try (var files = Files.walk(home)) {
        files.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static void row(String what, double ms, double base) {
    System.out.printf(Locale.ROOT, "| %s | %.2f ms | %.1f x |%n", what, ms, ms / base);
  }

  private static void check(Wire.Response r) {
    if (r.code() > 1) {
      throw new IllegalStateException("daemon refused: " + r.text());
    }
  }

  private static void garbage(Path socket, byte[] bytes) {
    try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
      ch.write(java.nio.ByteBuffer.wrap(bytes));
      ch.shutdownOutput();
      java.nio.ByteBuffer in = java.nio.ByteBuffer.allocate(1024);
      while (ch.read(in) >= 0) {
        in.clear();
      }
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A task that may throw. */
  private interface Task {
    void run() throws Exception;
  }

  /** Median milliseconds of {@code a} and {@code b} alternating, after as many warm-up rounds. */
  private static double median(Task a, Task b) throws Exception {
    for (int i = 0; i < ROUNDS; i++) {
      (i % 2 == 0 ? a : b).run();
    }
    double[] ms = new double[ROUNDS];
    for (int i = 0; i < ROUNDS; i++) {
      long start = System.nanoTime();
      (i % 2 == 0 ? a : b).run();
      ms[i] = (System.nanoTime() - start) / 1e6;
    }
    Arrays.sort(ms);
    return ms[ROUNDS / 2];
  }
}
