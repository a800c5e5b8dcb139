package dev.privport.daemon;

import dev.privport.testkit.traffic.Echo;

/**
 * A service as an unprivileged user runs it: TCP and UDP listeners answering {@code port=N}, until
 * killed. Kernel tests start it with {@code setpriv --reuid}.
 */
public final class UserEcho {
  private UserEcho() {}

  /** Listens on the ports given as arguments. */
  public static void main(String[] args) throws Exception {
    int[] ports = new int[args.length];
    for (int i = 0; i < args.length; i++) {
      ports[i] = Integer.parseInt(args[i]);
    }
    try (Echo.Servers servers = new Echo.Servers(ports)) {
      System.out.println("listening");
      System.out.flush();
      Thread.currentThread().join();
    }
  }
}
