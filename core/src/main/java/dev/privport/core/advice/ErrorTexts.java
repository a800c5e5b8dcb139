package dev.privport.core.advice;

import dev.privport.core.Protocol;
import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Recognises the errors users actually see when a rootless container publishes a privileged port,
 * and turns them into the plan they imply:
 *
 * <ul>
 *   <li>rootless Docker (rootlesskit): {@code error while calling PortManager.AddPort(): cannot
 *       expose privileged port 80, ... listen tcp4 0.0.0.0:80: bind: permission denied};
 *   <li>rootless Podman with slirp4netns (rootlessport): {@code rootlessport cannot expose
 *       privileged port 80, ... listen tcp 0.0.0.0:80: bind: permission denied};
 *   <li>rootless Podman 5 with pasta: {@code Failed to bind port 80 (Permission denied) for option
 *       '-t 80-80:80-80'} ({@code -u} for UDP, {@code ADDR/} before the ports for a host address).
 * </ul>
 *
 * The suggested unprivileged port is {@code 8000 + port} (80 to 8080, 443 to 8443), which the user
 * then publishes the container on. A wildcard address gives a plan for IPv4 and IPv6 even when the
 * text names one family ({@code listen tcp4}, {@code tcp6}): the runtime stops at the first bind
 * that fails, and {@code -p 80:80} publishes both. A loopback address gives a local-only plan of
 * that family, another address a plan of its family.
 */
public final class ErrorTexts {
  private static final String ADDRESS = "(\\[[0-9A-Fa-f:.%a-z]+\\]|[0-9.]+|[0-9A-Fa-f:]+)";
  private static final Pattern ROOTLESSKIT =
      Pattern.compile(
          // Bounded: real texts put "listen" about 250 characters on; an unbounded lazy scan
          // made a long line of repeated errors quadratic (86 s for 20 000 repeats).
          "cannot expose privileged port (\\d{1,5})(?:[^\\n]{0,600}?listen (tcp|udp)(4|6)? "
              + ADDRESS
              + ":\\d{1,5})?");
  private static final Pattern PASTA =
      Pattern.compile(
          "Failed to bind port (\\d{1,5}) \\(Permission denied\\) for option '-([tu]) (?:([^/' ]+)/)?"
              + "(\\d{1,5})(?:-(\\d{1,5}))?(?::(\\d{1,5})(?:-(\\d{1,5}))?)?'");
  private static final Pattern UNNAMED = Pattern.compile("slirp_add_hostfwd failed");

  private ErrorTexts() {}

  /**
   * One privileged port an error text names.
   *
   * @param runtime who printed it: {@code rootlesskit} (rootless Docker), {@code rootlessport}
   *     (Podman with slirp4netns) or {@code pasta} (Podman 5)
   * @param protocol TCP or UDP
   * @param hostPort the privileged port the container asked for
   * @param containerPort the container's port, when the text names it (pasta does)
   * @param hostAddress the host address it was published on, when not a wildcard
   */
  public record Finding(
      String runtime,
      Protocol protocol,
      int hostPort,
      OptionalInt containerPort,
      Optional<String> hostAddress) {

    /** The redirect that serves it: from the privileged port to {@link #suggestedPort}. */
    public Redirect redirect() {
      Redirect r = Redirect.of(protocol, hostPort, suggestedPort(hostPort));
      if (hostAddress.isEmpty()) {
        return r;
      }
      String a = hostAddress.get();
      r = a.contains(":") ? r.ipv6Only() : r.ipv4Only();
      return a.equals("127.0.0.1") || a.equals("::1") ? r.localOnly() : r;
    }

    /** The flag that publishes the container on the new port: {@code -p 8514:514/udp}. */
    public String publishFlag() {
      String address = hostAddress.map(a -> (a.contains(":") ? "[" + a + "]" : a) + ":").orElse("");
      return "-p "
          + address
          + suggestedPort(hostPort)
          + ":"
          + containerPort.orElse(hostPort)
          + (protocol == Protocol.UDP ? "/udp" : "");
    }
  }

  /** Every privileged port {@code text} names, in order, each once. */
  public static List<Finding> findings(String text) {
    Set<Finding> out = new LinkedHashSet<>();
    Matcher m = ROOTLESSKIT.matcher(text);
    while (m.find()) {
      int port = Integer.parseInt(m.group(1));
      if (port < 1 || port > 1023) {
        continue;
      }
      String runtime =
          text.substring(Math.max(0, m.start() - 20), m.start()).contains("rootlessport")
              ? "rootlessport"
              : "rootlesskit";
      Protocol protocol = "udp".equals(m.group(2)) ? Protocol.UDP : Protocol.TCP;
      out.add(new Finding(runtime, protocol, port, OptionalInt.empty(), specific(m.group(4))));
    }
    Matcher p = PASTA.matcher(text);
    Set<String> seen = new HashSet<>(); // a range repeated many times is read once
    while (p.find()) {
      if (!seen.add(p.group())) {
        continue;
      }
      Protocol protocol = p.group(2).equals("u") ? Protocol.UDP : Protocol.TCP;
      int first = Integer.parseInt(p.group(4));
      int last = p.group(5) == null ? first : Integer.parseInt(p.group(5));
      int failed = Integer.parseInt(p.group(1));
      Optional<String> address = specific(p.group(3));
      // pasta stops at the first port it cannot bind: every privileged port of the range needs it.
      for (int port = Math.min(first, failed); port <= Math.min(last, 1023); port++) {
        OptionalInt container =
            p.group(6) == null
                ? OptionalInt.empty()
                : OptionalInt.of(Integer.parseInt(p.group(6)) + port - first);
        if (port >= 1 && container.orElse(1) <= 65535) {
          out.add(new Finding("pasta", protocol, port, container, address));
        }
      }
    }
    return List.copyOf(out);
  }

  /** The plan implied by every such error in {@code text}, or empty when there is none. */
  public static Optional<RedirectPlan> planFor(String text) {
    List<Finding> found = findings(text);
    if (found.isEmpty()) {
      return Optional.empty();
    }
    List<Redirect> redirects = new ArrayList<>();
    found.forEach(f -> redirects.add(f.redirect()));
    return Optional.of(RedirectPlan.builder().addAll(redirects).build());
  }

  /**
   * Why {@code text} names no port, when it is an error privport knows but cannot read a port from
   * (slirp4netns' own port driver says only {@code slirp_add_hostfwd failed}).
   */
  public static Optional<String> unreadable(String text) {
    return UNNAMED.matcher(text).find()
        ? Optional.of(
            "the slirp4netns port driver's error (slirp_add_hostfwd failed) does not name the port;"
                + " pass it instead: privport doctor 80:8080")
        : Optional.empty();
  }

  /** The unprivileged port privport suggests for a privileged one: 8000 + port. */
  public static int suggestedPort(int privilegedPort) {
    return 8000 + privilegedPort;
  }

  /** A host address, or empty for a wildcard ({@code 0.0.0.0}, {@code [::]}, none). */
  private static Optional<String> specific(String address) {
    if (address == null) {
      return Optional.empty();
    }
    String a = address.replace("[", "").replace("]", "").toLowerCase(Locale.ROOT);
    return a.isEmpty() || a.equals("0.0.0.0") || a.equals("::") ? Optional.empty() : Optional.of(a);
  }
}
