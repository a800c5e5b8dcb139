package dev.privport.cli;

import dev.privport.daemon.Daemon;
import dev.privport.daemon.DaemonClient;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * How apply, remove and status reach the delegation daemon instead of libnftables: {@code --socket
 * PATH}, or {@code PRIVPORT_SOCKET}, or, for a user who is not root, the default socket when it
 * exists. Root without either acts locally, as before.
 */
final class SocketOptions {
  @Option(
      names = "--socket",
      paramLabel = "PATH",
      description =
          "ask the privport daemon at PATH (default for non-root users when it exists: "
              + "/run/privport/privport.sock; also PRIVPORT_SOCKET)")
  Path socket;

  /** The daemon to ask, if this invocation is delegated. */
  Optional<DaemonClient> client() {
    if (socket != null) {
      return Optional.of(new DaemonClient(socket));
    }
    String env = System.getenv("PRIVPORT_SOCKET");
    if (env != null && !env.isEmpty()) {
      return Optional.of(new DaemonClient(Path.of(env)));
    }
    // The socket first: asking for the user id loads a native library, a cost every run paid.
    if (Files.exists(Daemon.DEFAULT_SOCKET) && !isRoot()) {
      return Optional.of(new DaemonClient(Daemon.DEFAULT_SOCKET));
    }
    return Optional.empty();
  }

  /** {@code apply} through the daemon, when delegated; {@code --try} stays a local feature. */
  Optional<Integer> apply(PlanOptions plan, boolean trial, PrintWriter out, PrintWriter err) {
    return client()
        .map(
            c -> {
              if (trial) {
                throw new IllegalArgumentException(
                    "--try is not available through the daemon (--socket, PRIVPORT_SOCKET)");
              }
              return c.apply(plan.plan(), out, err);
            });
  }

  /** {@code remove} through the daemon; no redirect given removes the caller's whole plan. */
  Optional<Integer> remove(PlanOptions plan, PrintWriter out, PrintWriter err) {
    boolean whole = plan.planFile == null && plan.redirects.isEmpty();
    return client().map(c -> c.remove(whole ? null : plan.plan(), out, err));
  }

  /** {@code status} through the daemon: the caller's plan, or with {@code all} every user's. */
  Optional<Integer> status(boolean all, PrintWriter out, PrintWriter err) {
    Optional<DaemonClient> c = client();
    if (all && c.isEmpty()) {
      return Optional.of(new DaemonClient(Daemon.DEFAULT_SOCKET).status(true, out, err));
    }
    return c.map(d -> d.status(all, out, err));
  }

  private static boolean isRoot() {
    return new com.sun.security.auth.module.UnixSystem().getUid() == 0;
  }
}
