package dev.privport.core.remedy;

import static dev.privport.core.Checks.check;

import dev.privport.core.Command;
import dev.privport.core.ConfigFile;
import dev.privport.core.Family;
import dev.privport.core.Protocol;
import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import dev.privport.core.Scope;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Renders the remedies that are not firewall rules (the well-known alternatives to a redirect:
 * redir, setcap, the unprivileged-port and ping sysctls), from the same intent:
 *
 * <ul>
 *   <li>{@link #redir}: a hardened systemd unit per TCP redirect, running {@code redir};
 *   <li>{@link #unprivilegedPortStart}: {@code net.ipv4.ip_unprivileged_port_start};
 *   <li>{@link #capability}: {@code setcap cap_net_bind_service=ep} on one binary;
 *   <li>{@link #pingGroupRange}: {@code net.ipv4.ping_group_range} for unprivileged ping.
 * </ul>
 *
 * Every input is validated first; errors name the field and the value.
 */
public final class Remedies {
  /** The kernel's default first unprivileged port. */
  public static final int DEFAULT_UNPRIVILEGED_PORT_START = 1024;

  /** Where Debian, Fedora and Arch install redir. */
  public static final String REDIR_BINARY = "/usr/bin/redir";

  private static final Pattern BINARY = Pattern.compile("/[A-Za-z0-9_.+/-]{1,4095}");
  private static final long MAX_GID = 4294967294L; // (gid_t) -2: -1 means "no group"

  private Remedies() {}

  /**
   * One systemd unit per redirect, each running {@code redir -sn :FROM 127.0.0.1:TO} as a dynamic
   * user holding only CAP_NET_BIND_SERVICE.
   *
   * @throws IllegalArgumentException for a UDP redirect (redir forwards TCP only), an IPv6-only
   *     redirect or an interface restriction (redir listens on IPv4 addresses, not interfaces)
   */
  public static Remedy redir(RedirectPlan plan) {
    for (Redirect r : plan.redirects()) {
      check(
          r.protocol() == Protocol.TCP,
          "redirects",
          r.describe(),
          "cannot use redir: redir forwards TCP only; use a firewall backend for UDP");
      check(
          r.families().contains(Family.IPV4),
          "redirects",
          r.describe(),
          "cannot use redir: redir listens on IPv4 only; use a firewall backend for IPv6");
      check(
          r.inputInterface().isEmpty(),
          "redirects",
          r.describe(),
          "cannot use redir: redir binds addresses, not interfaces; use a firewall backend");
    }
    List<Command> apply = new ArrayList<>();
    List<Command> undo = new ArrayList<>();
    List<ConfigFile> files = new ArrayList<>();
    List<String> units = new ArrayList<>();
    for (Redirect r : plan.redirects()) {
      String unit = plan.qualifiedName() + "-redir-" + r.fromPort() + ".service";
      if (units.contains(unit)) {
        continue; // the same port in both scopes, or listed twice: one listener serves it
      }
      units.add(unit);
      boolean localOnly = !r.scopes().contains(Scope.INCOMING);
      String listen = (localOnly ? "127.0.0.1" : "") + ":" + r.fromPort();
      files.add(
          new ConfigFile(
              "/etc/systemd/system/" + unit,
              String.format(
                  Locale.ROOT,
                  """
          # privport plan "%s": %s in user space with redir. Rendered by privport.
          # redir forwards TCP over IPv4 only; connections are proxied, so the service sees 127.0.0.1
          # as the client address.
          [Unit]
          Description=privport: forward TCP port %d to 127.0.0.1:%d with redir
          Documentation=man:redir(1)
          After=network.target

          [Service]
          ExecStart=%s -sn %s 127.0.0.1:%d
          DynamicUser=yes
          AmbientCapabilities=CAP_NET_BIND_SERVICE
          CapabilityBoundingSet=CAP_NET_BIND_SERVICE
          NoNewPrivileges=yes
          Restart=on-failure
          RestartSec=2s

          [Install]
          WantedBy=multi-user.target
          """,
                  plan.qualifiedName(),
                  r.describe(),
                  r.fromPort(),
                  r.toPort(),
                  REDIR_BINARY,
                  listen,
                  r.toPort())));
    }
    apply.add(Command.of("systemctl", "daemon-reload"));
    for (String unit : units) {
      apply.add(Command.of("systemctl", "enable", "--now", unit));
      undo.add(Command.of("systemctl", "disable", "--now", unit));
      undo.add(Command.of("rm", "-f", "/etc/systemd/system/" + unit));
    }
    undo.add(Command.of("systemctl", "daemon-reload"));
    return new Remedy(
        Remedy.Kind.REDIR,
        "forward each TCP port in user space with redir under systemd",
        apply,
        undo,
        files,
        List.of(
            "TCP and IPv4 only: UDP and IPv6 need a firewall backend.",
            "Connections are proxied: the service sees 127.0.0.1, not the real client address.",
            "Costs a process and a copy of every byte; fine for light traffic."));
  }

  /** Lowers {@code ip_unprivileged_port_start} to the lowest port the plan needs. */
  public static Remedy unprivilegedPortStart(RedirectPlan plan) {
    return unprivilegedPortStart(plan.lowestFromPort());
  }

  /**
   * Lowers {@code net.ipv4.ip_unprivileged_port_start} to {@code port}: the runtime command, its
   * undo (back to 1024) and a {@code /etc/sysctl.d} drop-in.
   */
  public static Remedy unprivilegedPortStart(int port) {
    check(port >= 0 && port <= DEFAULT_UNPRIVILEGED_PORT_START, "port", port, "must be in 0..1024");
    String key = "net.ipv4.ip_unprivileged_port_start";
    return new Remedy(
        Remedy.Kind.UNPRIVILEGED_PORT_START,
        "let unprivileged processes bind every port from " + port + " up",
        List.of(Command.of("sysctl", "-w", key + "=" + port)),
        List.of(
            Command.of("sysctl", "-w", key + "=" + DEFAULT_UNPRIVILEGED_PORT_START),
            Command.of("rm", "-f", "/etc/sysctl.d/90-privport-unprivileged-port-start.conf")),
        List.of(
            new ConfigFile(
                "/etc/sysctl.d/90-privport-unprivileged-port-start.conf",
                String.format(
                    Locale.ROOT,
                    """
            # Rendered by privport: let unprivileged processes bind ports >= %d (IPv4 and IPv6).
            # WARNING: every port from %d up becomes bindable by ANY local user, not only your service.
            # The setting is per network namespace: this file sets the host's at boot; containers
            # with their own network namespace need it set at run time (e.g. podman --sysctl).
            %s = %d
            """,
                    port,
                    port,
                    key,
                    port))),
        List.of(
            "Every port >= " + port + " becomes bindable by any local user, not only your service.",
            "Per network namespace: the host's setting does not reach containers with their own.",
            "Needs kernel >= 4.11. No traffic is rewritten: the service sees real client addresses."));
  }

  /**
   * Grants {@code CAP_NET_BIND_SERVICE} to one binary as a file capability.
   *
   * @param binary an absolute path, e.g. {@code /usr/bin/rootlesskit} for rootless Docker
   */
  public static Remedy capability(String binary) {
    check(
        binary != null
            && BINARY.matcher(binary).matches()
            && !binary.contains("/../")
            && !binary.endsWith("/..")
            && !binary.endsWith("/"),
        "binary",
        binary,
        "must be an absolute path of letters, digits, '_', '.', '+', '-' and '/'");
    return new Remedy(
        Remedy.Kind.CAPABILITY,
        "let " + binary + " bind privileged ports",
        List.of(Command.of("setcap", "cap_net_bind_service=ep", binary)),
        List.of(Command.of("setcap", "-r", binary)),
        List.of(),
        List.of(
            "Anything that runs this binary can bind any privileged port.",
            "Package upgrades replace the file and drop the capability; copying it (cp) drops it too.",
            "A container that switches user (USER, runAsUser) loses granted capabilities; file"
                + " capabilities set on the binary inside the image survive that switch.",
            "The file system must support extended attributes and must not be mounted nosuid."));
  }

  /** Lets members of groups {@code firstGid..lastGid} send ICMP echo without CAP_NET_RAW. */
  public static Remedy pingGroupRange(long firstGid, long lastGid) {
    check(firstGid >= 0 && firstGid <= MAX_GID, "firstGid", firstGid, "must be in 0.." + MAX_GID);
    check(
        lastGid >= firstGid && lastGid <= MAX_GID,
        "lastGid",
        lastGid,
        "must be in " + firstGid + ".." + MAX_GID);
    String key = "net.ipv4.ping_group_range";
    String value = firstGid + " " + lastGid;
    return new Remedy(
        Remedy.Kind.PING_GROUP_RANGE,
        "let groups " + firstGid + "-" + lastGid + " send ICMP echo (ping) without CAP_NET_RAW",
        List.of(Command.of("sysctl", "-w", key + "=" + value)),
        List.of(
            Command.of("sysctl", "-w", key + "=1 0"),
            Command.of("rm", "-f", "/etc/sysctl.d/90-privport-ping-group-range.conf")),
        List.of(
            new ConfigFile(
                "/etc/sysctl.d/90-privport-ping-group-range.conf",
                String.format(
                    Locale.ROOT,
                    """
            # Rendered by privport: members of groups %d-%d may use ICMP echo sockets (ping)
            # without CAP_NET_RAW. Per network namespace, like every net.* sysctl.
            %s = %s
            """,
                    firstGid,
                    lastGid,
                    key,
                    value))),
        List.of(
            "Only ICMP echo: far less than CAP_NET_RAW, which also allows raw packets and spoofing.",
            "Per network namespace; the default \"1 0\" allows no group."));
  }
}
