package dev.privport.daemon;

import dev.privport.nft.LibnftablesExecutor;
import dev.privport.nft.Nftables;
import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * {@code privport daemon}: loads the policy, re-applies the stored plans, and serves requests on
 * its Unix socket until killed. {@code SIGHUP} reloads the policy. The redirects stay in the kernel
 * when the daemon stops: they are the users' state, not the daemon's.
 *
 * @param socket where to listen, unless systemd passed a listening socket
 * @param policyFile the policy
 * @param stateDir where granted plans are stored
 * @param users the user database
 */
public record Daemon(Path socket, Path policyFile, Path stateDir, UserDatabase users) {
  /** The socket clients use when none is named. */
  public static final Path DEFAULT_SOCKET = Path.of("/run/privport/privport.sock");

  /** Where plans are stored when no directory is named. */
  public static final Path DEFAULT_STATE = Path.of("/var/lib/privport");

  /** Where the policy is read from when no file is named. */
  public static final Path DEFAULT_POLICY = Path.of("/etc/privport/policy");

  /**
   * Runs the daemon in the foreground; returns only when the socket cannot be served.
   *
   * @throws IllegalArgumentException when the policy is refused (before anything is touched)
   */
  public void run(PrintStream err) throws IOException {
    Consumer<String> log =
        line -> {
          synchronized (err) {
            err.println("privport daemon: " + line.replace('\n', ' '));
            err.flush();
          }
        };
    Policy policy = Policy.load(policyFile, users);
    // Bind before creating anything: a second daemon on the same socket leaves no trace.
    ServerSocketChannel server = listen(log);
    StateStore state = StateStore.open(stateDir);
    String where =
        server.getLocalAddress() instanceof java.net.UnixDomainSocketAddress a
            ? a.getPath().toString()
            : String.valueOf(server.getLocalAddress());
    ExecutorService worker =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "privport-decisions");
              t.setDaemon(true);
              return t;
            });
    try (LibnftablesExecutor nft = Nftables.open()) {
      Delegation delegation = new Delegation(policy, Ruleset.of(nft), state, users, log);
      log.accept(
          "started at "
              + Instant.now()
              + ": "
              + policy.grants().size()
              + " grants from "
              + policyFile
              + ", state in "
              + stateDir);
      delegation.restore();
      sun.misc.Signal.handle(
          new sun.misc.Signal("HUP"),
          s -> worker.execute(() -> delegation.reload(() -> Policy.load(policyFile, users))));
      DaemonServer loop =
          new DaemonServer(
              server,
              (peer, bytes) -> {
                Wire.Request request;
                try {
                  request = Wire.Request.decode(bytes);
                } catch (IllegalArgumentException e) {
                  return delegation.refuseUnreadable(peer, e.getMessage()).encode();
                }
                return delegation.handle(peer, request).encode();
              },
              worker,
              log);
      log.accept("serving on " + where);
      loop.serve();
    } finally {
      worker.shutdownNow();
      server.close();
    }
  }

  /**
   * The listening channel: the one systemd passed on standard input ({@code Accept=no}, {@code
   * StandardInput=socket}), or a new socket at {@link #socket}, mode 0666 so any user may connect
   * (the daemon decides who may do what). A socket file left by a daemon that died is replaced; one
   * a live daemon serves is not.
   */
  private ServerSocketChannel listen(Consumer<String> log) throws IOException {
    Channel inherited = System.inheritedChannel();
    if (inherited instanceof ServerSocketChannel s) {
      log.accept("using the listening socket passed by the service manager");
      return s;
    }
    if (socket == null) {
      throw new IllegalArgumentException(
          "--socket: no socket was passed by the service manager, name one");
    }
    Path dir = socket.toAbsolutePath().getParent();
    if (dir != null && !Files.isDirectory(dir)) {
      Files.createDirectories(
          dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    }
    if (Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
      java.nio.file.attribute.BasicFileAttributes a =
          Files.readAttributes(
              socket, java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!a.isOther()) {
        throw new IllegalArgumentException(
            "--socket " + socket + ": exists and is not a socket; refusing to replace it");
      }
      try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
        throw new IllegalArgumentException("--socket " + socket + ": another daemon is serving it");
      } catch (IOException stale) {
        Files.delete(socket);
      }
    }
    ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    s.bind(UnixDomainSocketAddress.of(socket), 64);
    Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    Files.deleteIfExists(socket);
                  } catch (IOException ignored) {
                    // Exiting anyway; a stale socket file is replaced at the next start.
                  }
                }));
    return s;
  }
}
