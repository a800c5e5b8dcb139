package dev.privport.testkit.lab;

import dev.privport.testkit.process.Cmd;
import java.util.List;

/**
 * Three test hosts in namespaces of their own, on documentation addresses:
 *
 * <pre>
 *  client  c0 ---- h0  host  h1 ---- s0  server
 *   192.0.2.2      192.0.2.1 198.51.100.1     198.51.100.2
 *   2001:db8:1::2  2001:db8:1::1 2001:db8:2::1 2001:db8:2::2
 * </pre>
 *
 * The host routes between client and server. Rules under test go on the host; traffic the host only
 * routes (client to server) must never be redirected. Every veth has link-local addresses turned
 * off, so a redirect's rewritten IPv6 destination is the one documentation address.
 */
public final class Lab implements AutoCloseable {
  public static final String HOST_V4 = "192.0.2.1";
  public static final String HOST_V6 = "2001:db8:1::1";
  public static final String CLIENT_V4 = "192.0.2.2";
  public static final String CLIENT_V6 = "2001:db8:1::2";
  public static final String SERVER_V4 = "198.51.100.2";
  public static final String SERVER_V6 = "2001:db8:2::2";

  /** The host's interface towards the client. */
  public static final String HOST_CLIENT_SIDE = "h0";

  /** The host's interface towards the server. */
  public static final String HOST_SERVER_SIDE = "h1";

  public final Netns client;
  public final Netns host;
  public final Netns server;

  private Lab(Netns client, Netns host, Netns server) {
    this.client = client;
    this.host = host;
    this.server = server;
  }

  /** Builds the three hosts and their links. */
  public static Lab create() {
    Netns client = Netns.create();
    Netns host = null;
    Netns server = null;
    try {
      host = Netns.create();
      server = Netns.create();
      link(
          host,
          "h0",
          List.of(HOST_V4 + "/24", HOST_V6 + "/64"),
          client,
          "c0",
          List.of(CLIENT_V4 + "/24", CLIENT_V6 + "/64"));
      link(
          host,
          "h1",
          List.of("198.51.100.1/24", "2001:db8:2::1/64"),
          server,
          "s0",
          List.of(SERVER_V4 + "/24", SERVER_V6 + "/64"));
      client.sh("ip", "route", "add", "default", "via", HOST_V4);
      client.sh("ip", "-6", "route", "add", "default", "via", HOST_V6);
      server.sh("ip", "route", "add", "default", "via", "198.51.100.1");
      server.sh("ip", "-6", "route", "add", "default", "via", "2001:db8:2::1");
      host.sh("sysctl", "-qw", "net.ipv4.ip_forward=1");
      host.sh("sysctl", "-qw", "net.ipv6.conf.all.forwarding=1");
      return new Lab(client, host, server);
    } catch (RuntimeException e) {
      client.close();
      if (host != null) host.close();
      if (server != null) server.close();
      throw e;
    }
  }

  private static void link(
      Netns a, String aIf, List<String> aAddrs, Netns b, String bIf, List<String> bAddrs) {
    Cmd.run(
            "ip", "link", "add", aIf, "netns", a.name(), "type", "veth", "peer", "name", bIf,
            "netns", b.name())
        .orThrow();
    configure(a, aIf, aAddrs);
    configure(b, bIf, bAddrs);
  }

  private static void configure(Netns ns, String ifname, List<String> addrs) {
    for (String addr : addrs) {
      if (addr.contains(":")) {
        ns.sh("ip", "addr", "add", addr, "dev", ifname, "nodad");
      } else {
        ns.sh("ip", "addr", "add", addr, "dev", ifname);
      }
    }
    ns.sh("ip", "link", "set", ifname, "up");
  }

  @Override
  public void close() {
    server.close();
    host.close();
    client.close();
  }
}
