package dev.privport.core.remedy;

import static dev.privport.core.Checks.check;

import dev.privport.core.Checks;
import dev.privport.core.Command;
import dev.privport.core.CommandException;
import dev.privport.core.CommandRunner;
import dev.privport.core.ConfigFile;
import dev.privport.core.Family;
import dev.privport.core.Protocol;
import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import dev.privport.core.Scope;
import dev.privport.core.Step;
import dev.privport.core.SubprocessRunner;
import dev.privport.core.spi.Backend;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
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
  private static final int MAX_PORT = 65535;
  private static final String PORT_START = "net.ipv4.ip_unprivileged_port_start";
  private static final String PING_RANGE = "net.ipv4.ping_group_range";
  private static final String BIND_CAP = "cap_net_bind_service";

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
    List<Step> apply = new ArrayList<>();
    List<Step> remove = new ArrayList<>();
    List<ConfigFile> files = new ArrayList<>();
    List<String> units = new ArrayList<>();
    boolean incomingOnlyNote = false;
    for (Redirect r : plan.redirects()) {
      String unit = plan.qualifiedName() + "-redir-" + r.fromPort() + ".service";
      if (units.contains(unit)) {
        continue; // the same port in both scopes, or listed twice: one listener serves it
      }
      units.add(unit);
      boolean localOnly = !r.scopes().contains(Scope.INCOMING);
      boolean incomingOnly = !r.scopes().contains(Scope.LOCAL);
      String listen = (localOnly ? "127.0.0.1" : "") + ":" + r.fromPort();
      // redir cannot tell incoming from local connections: a listener on :PORT serves both.
      incomingOnlyNote |= incomingOnly;
      files.add(
          new ConfigFile(
              "/etc/systemd/system/" + unit,
              format(
                  """
          # privport plan "%s": %s in user space with redir. Rendered by privport.
          # redir forwards TCP over IPv4 only; connections are proxied, so the service sees 127.0.0.1
          # as the client address.%s
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
                  incomingOnly
                      ? "\n# incoming-only is not kept: redir listens on every IPv4 address (:"
                          + r.fromPort()
                          + "), so\n# connections from this host itself are forwarded too."
                      : "",
                  r.fromPort(),
                  r.toPort(),
                  REDIR_BINARY,
                  listen,
                  r.toPort())));
    }
    apply.add(Step.always(Command.of("systemctl", "daemon-reload")));
    for (String unit : units) {
      apply.add(Step.always(Command.of("systemctl", "enable", "--now", unit)));
      remove.add(Step.always(Command.of("systemctl", "disable", "--now", unit)));
      remove.add(Step.always(Command.of("rm", "-f", "/etc/systemd/system/" + unit)));
    }
    remove.add(Step.always(Command.of("systemctl", "daemon-reload")));
    List<String> caveats =
        new ArrayList<>(
            List.of(
                "TCP and IPv4 only: UDP and IPv6 need a firewall backend.",
                "Connections are proxied: the service sees 127.0.0.1, not the real client address.",
                "Costs a process and a copy of every byte; fine for light traffic."));
    if (incomingOnlyNote) {
      caveats.add(
          "incoming-only cannot be kept: redir listens on every IPv4 address, so connections from"
              + " this host reach it too; use a firewall backend to redirect incoming traffic only.");
    }
    return new Remedy(
        Backend.REDIR,
        "forward each TCP port in user space with redir under systemd",
        apply,
        remove,
        files,
        caveats);
  }

  /**
   * Lowers {@code ip_unprivileged_port_start} to the lowest port the plan needs, judged against
   * this host's current value (read from {@code /proc/sys} in the calling thread's network
   * namespace).
   *
   * @throws IllegalStateException when this kernel has no such sysctl (before 4.11)
   */
  public static Remedy unprivilegedPortStart(RedirectPlan plan) {
    return unprivilegedPortStart(plan.lowestFromPort(), currentPortStart());
  }

  /** Lowers {@code ip_unprivileged_port_start} to the plan's lowest port from {@code current}. */
  public static Remedy unprivilegedPortStart(RedirectPlan plan, int current) {
    return unprivilegedPortStart(plan.lowestFromPort(), current);
  }

  /**
   * Lowers {@code net.ipv4.ip_unprivileged_port_start} from {@code current} to {@code port}, and
   * never raises it: when {@code current <= port} the port is already bindable, so apply and remove
   * are empty and the drop-in keeps the setting commented out (setting it would make ports {@code
   * current..port-1} privileged again). Otherwise apply sets {@code port}, remove puts back exactly
   * {@code current} (only while the value is still {@code port}, so a later change by someone else
   * is left alone) and removes the drop-in.
   *
   * @param port the lowest port the service needs, 0..65535
   * @param current the host's value now, 0..65535
   */
  public static Remedy unprivilegedPortStart(int port, int current) {
    check(port >= 0 && port <= MAX_PORT, "port", port, "must be in 0.." + MAX_PORT);
    check(
        current >= 0 && current <= MAX_PORT,
        PORT_START,
        current,
        "(the current value) must be in 0.." + MAX_PORT);
    String file = "/etc/sysctl.d/90-privport-unprivileged-port-start.conf";
    List<String> caveats =
        List.of(
            "Every port >= "
                + Math.min(port, current)
                + " is bindable by any local user, not only your service.",
            "Per network namespace: the host's setting does not reach containers with their own.",
            "Needs kernel >= 4.11. No traffic is rewritten: the service sees real client addresses.");
    if (current <= port) {
      return new Remedy(
          Backend.UNPRIVILEGED_PORT_START,
          "nothing to do: "
              + PORT_START
              + " is already "
              + current
              + " (<= "
              + port
              + "), so port "
              + port
              + " is bindable; apply changes nothing",
          List.of(),
          List.of(),
          List.of(
              new ConfigFile(
                  file,
                  format(
                      """
              # Rendered by privport: NOTHING TO DO. On the host this was rendered on,
              # %s was %d, which already lets unprivileged processes bind port %d.
              # Setting %d here would make ports %d-%d privileged again, so the line stays commented out.
              # %s = %d
              """,
                      PORT_START, current, port, port, current, port - 1, PORT_START, port))),
          caveats);
    }
    return new Remedy(
        Backend.UNPRIVILEGED_PORT_START,
        "lower "
            + PORT_START
            + " from "
            + current
            + " to "
            + port
            + " (undo puts back "
            + current
            + ")",
        List.of(Step.always(Command.of("sysctl", "-w", PORT_START + "=" + port))),
        List.of(
            Step.onlyIf(
                stillSet(PORT_START, Integer.toString(port)),
                Command.of("sysctl", "-w", PORT_START + "=" + current)),
            Step.always(Command.of("rm", "-f", file))),
        List.of(
            new ConfigFile(
                file,
                format(
                    """
            # Rendered by privport: let unprivileged processes bind ports >= %d (IPv4 and IPv6).
            # WARNING: every port from %d up becomes bindable by ANY local user, not only your service.
            # The setting is per network namespace: this file sets the host's at boot; containers
            # with their own network namespace need it set at run time (e.g. podman --sysctl).
            %s = %d
            """,
                    port, port, PORT_START, port))),
        caveats);
  }

  /**
   * Grants {@code CAP_NET_BIND_SERVICE} to one binary as a file capability, reading the file first:
   * a symlink is resolved (setcap refuses symlinks; the summary names the file that gets the
   * capability), a {@code #!} script is refused (the kernel ignores file capabilities on scripts),
   * and capabilities the file already has are kept. Remove puts back exactly what was there, only
   * while the file still has what apply set, so running it twice succeeds.
   *
   * @param binary an absolute path, e.g. {@code /usr/bin/rootlesskit} for rootless Docker
   * @throws IllegalArgumentException for an odd path, a missing or non-regular file, or a script
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
    Path real;
    try {
      real = Path.of(binary).toRealPath();
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "binary "
              + Checks.show(binary)
              + " cannot be read: "
              + (e instanceof FileSystemException f && f.getReason() != null
                  ? f.getReason()
                  : e.getClass().getSimpleName()),
          e);
    }
    String target = real.toString();
    check(
        Files.isRegularFile(real) && BINARY.matcher(target).matches(),
        "binary",
        binary,
        "must resolve to a regular file with a plain path (it resolves to "
            + Checks.show(target)
            + ")");
    interpreter(real)
        .ifPresent(
            interpreter -> {
              throw new IllegalArgumentException(
                  "binary "
                      + Checks.show(binary)
                      + " is a script for "
                      + interpreter
                      + ": the kernel ignores file capabilities on '#!' scripts, and granting"
                      + " CAP_NET_BIND_SERVICE to "
                      + interpreter
                      + " instead would let every script it runs, for any user, bind privileged"
                      + " ports; use a firewall redirect");
            });
    String previous = fileCapabilities(real);
    String applied =
        previous.isEmpty() ? BIND_CAP + "=ep" : previous + " " + BIND_CAP + "+ep"; // keep theirs
    String via = target.equals(binary) ? "" : " (" + binary + " is a symlink to it)";
    List<String> caveats =
        new ArrayList<>(
            List.of(
                "Anything that runs this binary can bind any privileged port.",
                "Package upgrades replace the file and drop the capability; copying it (cp) drops it too.",
                "A container that switches user (USER, runAsUser) loses granted capabilities; file"
                    + " capabilities set on the binary inside the image survive that switch.",
                "The file system must support extended attributes and must not be mounted nosuid."));
    if (hasBindCapability(previous)) {
      return new Remedy(
          Backend.CAPABILITY,
          "nothing to do: " + target + via + " already has " + previous + "; apply changes nothing",
          List.of(),
          List.of(),
          List.of(),
          caveats);
    }
    Command restore =
        previous.isEmpty()
            ? Command.of("setcap", "-r", target)
            : Command.of("setcap", previous, target);
    return new Remedy(
        Backend.CAPABILITY,
        "let "
            + target
            + via
            + " bind privileged ports"
            + (previous.isEmpty() ? "" : " (keeping its " + previous + ")"),
        List.of(Step.always(Command.of("setcap", applied, target))),
        List.of(Step.onlyIf(Command.of("setcap", "-v", applied, target), restore)),
        List.of(),
        caveats);
  }

  /**
   * Lets members of groups {@code firstGid..lastGid} send ICMP echo without CAP_NET_RAW, judged
   * against this host's current {@code ping_group_range} (read from {@code /proc/sys} in the
   * calling thread's network namespace).
   */
  public static Remedy pingGroupRange(long firstGid, long lastGid) {
    return pingGroupRange(
        firstGid,
        lastGid,
        readSysctl(PING_RANGE)
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        PING_RANGE + ": not found under /proc/sys on this kernel")));
  }

  /**
   * Lets members of groups {@code firstGid..lastGid} send ICMP echo without CAP_NET_RAW, and never
   * narrows the range: when {@code current} already covers them apply and remove are empty;
   * otherwise apply sets the smallest range holding both the current and the requested groups, and
   * remove puts back exactly {@code current} (only while the value is still what apply set).
   *
   * @param current the host's value now, as {@code /proc/sys} shows it (e.g. {@code "1\t0"})
   */
  public static Remedy pingGroupRange(long firstGid, long lastGid, String current) {
    check(firstGid >= 0 && firstGid <= MAX_GID, "firstGid", firstGid, "must be in 0.." + MAX_GID);
    check(
        lastGid >= firstGid && lastGid <= MAX_GID,
        "lastGid",
        lastGid,
        "must be in " + firstGid + ".." + MAX_GID);
    String[] words = current == null ? new String[0] : current.strip().split("\\s+");
    check(
        words.length == 2 && words[0].matches("\\d{1,10}") && words[1].matches("\\d{1,10}"),
        PING_RANGE,
        current,
        "(the current value) must be two group ids");
    long from = Long.parseLong(words[0]);
    long to = Long.parseLong(words[1]);
    String previous = from + " " + to;
    String file = "/etc/sysctl.d/90-privport-ping-group-range.conf";
    List<String> caveats =
        List.of(
            "Only ICMP echo: far less than CAP_NET_RAW, which also allows raw packets and spoofing.",
            "One range per namespace: widening it to cover both the groups that had it and the new"
                + " ones may include groups in between.",
            "Per network namespace; the kernel default \"1 0\" allows no group.");
    if (from <= to && from <= firstGid && lastGid <= to) {
      return new Remedy(
          Backend.PING_GROUP_RANGE,
          "nothing to do: "
              + PING_RANGE
              + " is already "
              + previous
              + ", which covers groups "
              + firstGid
              + "-"
              + lastGid
              + "; apply changes nothing",
          List.of(),
          List.of(),
          List.of(
              new ConfigFile(
                  file,
                  format(
                      """
              # Rendered by privport: NOTHING TO DO. On the host this was rendered on,
              # %s was %s, which already covers groups %d-%d.
              # Setting %d %d here could narrow it, so the line stays commented out.
              # %s = %d %d
              """,
                      PING_RANGE,
                      previous,
                      firstGid,
                      lastGid,
                      firstGid,
                      lastGid,
                      PING_RANGE,
                      firstGid,
                      lastGid))),
          caveats);
    }
    long newFrom = from <= to ? Math.min(from, firstGid) : firstGid;
    long newTo = from <= to ? Math.max(to, lastGid) : lastGid;
    String value = newFrom + " " + newTo;
    return new Remedy(
        Backend.PING_GROUP_RANGE,
        "widen "
            + PING_RANGE
            + " from "
            + previous
            + " to "
            + value
            + " so groups "
            + firstGid
            + "-"
            + lastGid
            + " may send ICMP echo (ping) without CAP_NET_RAW (undo puts back "
            + previous
            + ")",
        List.of(Step.always(Command.of("sysctl", "-w", PING_RANGE + "=" + value))),
        List.of(
            Step.onlyIf(
                stillSet(PING_RANGE, newFrom + "\t" + newTo),
                Command.of("sysctl", "-w", PING_RANGE + "=" + previous)),
            Step.always(Command.of("rm", "-f", file))),
        List.of(
            new ConfigFile(
                file,
                format(
                    """
            # Rendered by privport: members of groups %d-%d may use ICMP echo sockets (ping)
            # without CAP_NET_RAW. Per network namespace, like every net.* sysctl.
            # The host this was rendered on had %s; to undo, remove this file and run
            # sysctl -w '%s=%s'
            %s = %s
            """,
                    newFrom, newTo, previous, PING_RANGE, previous, PING_RANGE, value))),
        caveats);
  }

  /** A guard that succeeds while the sysctl still shows {@code value} (as /proc/sys prints it). */
  private static Command stillSet(String key, String value) {
    return Command.of("grep", "-qxF", value, "/proc/sys/" + key.replace('.', '/'));
  }

  private static int currentPortStart() {
    String value =
        readSysctl(PORT_START)
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        PORT_START
                            + ": not found under /proc/sys (the kernel is older than 4.11)"));
    check(value.matches("\\d{1,5}"), PORT_START, value, "must read as a number");
    return Integer.parseInt(value);
  }

  /**
   * A sysctl's value as {@code /proc/sys} shows it, trimmed; empty when absent. Net sysctls are per
   * network namespace: this reads the calling thread's.
   */
  public static Optional<String> readSysctl(String key) {
    Path file = Path.of("/proc/sys", key.replace('.', '/'));
    // Not Files.readString: /proc files report size 0, and it then returns only the first byte.
    try (InputStream in = Files.newInputStream(file)) {
      return Optional.of(new String(in.readAllBytes(), StandardCharsets.UTF_8).strip());
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** The interpreter a {@code #!} file names ({@code /usr/bin/env python3} in full), if any. */
  private static Optional<String> interpreter(Path file) {
    byte[] head = new byte[256];
    int n;
    try (InputStream in = Files.newInputStream(file)) {
      n = in.readNBytes(head, 0, head.length);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "binary " + Checks.show(file.toString()) + " cannot be read: " + e.getMessage(), e);
    }
    if (n < 2 || head[0] != '#' || head[1] != '!') {
      return Optional.empty();
    }
    String line =
        new String(head, 2, n - 2, StandardCharsets.ISO_8859_1).lines().findFirst().orElse("");
    String shown = line.strip().replaceAll("\\s+", " ");
    return Optional.of(shown.isEmpty() ? "(no interpreter named)" : Checks.show(shown));
  }

  /** The remedy renderers' headline text: {@code steps}, one command a line for {@code sh}. */
  static String shellLines(List<Step> steps) {
    StringBuilder out = new StringBuilder();
    for (Step s : steps) {
      out.append(s.toShell()).append('\n');
    }
    return out.toString();
  }

  /** The file's capabilities as {@code getcap} prints them ({@code cap_net_raw=ep}), or "". */
  private static String fileCapabilities(Path file) {
    CommandRunner.Outcome out;
    try {
      out =
          SubprocessRunner.create()
              .withTimeout(Duration.ofSeconds(10))
              .run(Command.of("getcap", file.toString()));
    } catch (CommandException e) {
      throw new IllegalStateException(
          "getcap " + file + " could not run (is libcap2-bin installed?)", e);
    }
    String text = out.output().strip();
    if (out.exitStatus() != 0) {
      throw new IllegalStateException(
          "getcap " + file + " failed: " + text.lines().findFirst().orElse(""));
    }
    // "PATH cap_a,cap_b=ep"; older libcap prints "PATH = cap_a,cap_b+ep".
    if (text.isEmpty() || !text.startsWith(file.toString())) {
      return "";
    }
    String caps = text.substring(file.toString().length()).strip();
    return caps.startsWith("= ") ? caps.substring(2) : caps;
  }

  private static boolean hasBindCapability(String caps) {
    for (String clause : caps.split("\\s+")) {
      int op = clause.indexOf('=') >= 0 ? clause.indexOf('=') : clause.indexOf('+');
      if (op > 0
          && List.of(clause.substring(0, op).split(",")).contains(BIND_CAP)
          && clause.substring(op + 1).contains("e")
          && clause.substring(op + 1).contains("p")) {
        return true;
      }
    }
    return false;
  }

  /** Formats rendered text with ASCII digits whatever the default locale. */
  private static String format(String template, Object... args) {
    return String.format(Locale.ROOT, template, args);
  }
}
