package dev.privport.core.advice;

import dev.privport.core.Command;
import dev.privport.core.CommandException;
import dev.privport.core.CommandRunner;
import dev.privport.core.SubprocessRunner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the real host, in the calling thread's network namespace: {@code /proc/sys}, {@code
 * /proc/net}, the PATH, firewalld on the system bus, the linker cache.
 */
public final class SystemHostProbe implements HostProbe {
  private static final String FIREWALLD_BUS_NAME = "org.fedoraproject.FirewallD1";
  private static final Pattern UINT32 = Pattern.compile("uint32 (\\d+)");
  private final Optional<String> systemBus;

  /** Reads this host, asking firewalld on the usual system bus. */
  public SystemHostProbe() {
    this(Optional.empty());
  }

  /**
   * Reads this host, asking firewalld on {@code systemBus} (a D-Bus address such as {@code
   * unix:path=/run/dbus/system_bus_socket}) instead of the usual system bus.
   */
  public SystemHostProbe(Optional<String> systemBus) {
    this.systemBus = systemBus;
  }

  private static final List<String> LIBRARY_DIRS =
      List.of(
          "/usr/lib/x86_64-linux-gnu",
          "/usr/lib/aarch64-linux-gnu",
          "/usr/lib64",
          "/usr/lib",
          "/lib64",
          "/lib");

  @Override
  public Optional<String> sysctl(String key) {
    Path file = Path.of("/proc/sys", key.replace('.', '/'));
    // Not Files.readString: /proc files report size 0, and it then returns only the first byte.
    try (var in = Files.newInputStream(file)) {
      return Optional.of(new String(in.readAllBytes(), StandardCharsets.UTF_8).trim());
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  @Override
  public boolean onPath(String command) {
    return SubprocessRunner.locate(command).isPresent();
  }

  @Override
  public Optional<String> output(List<String> argv) {
    return run(new Command(argv), Duration.ofSeconds(10)).map(CommandRunner.Outcome::output);
  }

  /** What {@code command} gave, or nothing when it cannot run or does not finish in time. */
  private static Optional<CommandRunner.Outcome> run(Command command, Duration timeout) {
    try {
      return Optional.of(SubprocessRunner.create().withTimeout(timeout).run(command));
    } catch (CommandException e) {
      return Optional.empty();
    }
  }

  /**
   * Asks firewalld itself, never the process list (which shows daemons of every network namespace,
   * and any process that merely names firewalld): {@code firewall-cmd --state} must say running,
   * and the process owning firewalld's D-Bus name must live in this thread's network namespace (a
   * system bus socket can be shared with another namespace's firewalld).
   */
  @Override
  public boolean firewalldRunning() {
    Optional<CommandRunner.Outcome> state =
        run(withBus(Command.of("firewall-cmd", "--state")), Duration.ofSeconds(30));
    if (state.isEmpty() || state.get().exitStatus() != 0) {
      return false;
    }
    Optional<CommandRunner.Outcome> owner =
        run(
            withBus(
                Command.of(
                    "dbus-send",
                    "--system",
                    "--print-reply",
                    "--dest=org.freedesktop.DBus",
                    "/org/freedesktop/DBus",
                    "org.freedesktop.DBus.GetConnectionUnixProcessID",
                    "string:" + FIREWALLD_BUS_NAME)),
            Duration.ofSeconds(10));
    Matcher pid =
        owner
            .filter(o -> o.exitStatus() == 0)
            .map(o -> UINT32.matcher(o.output()))
            .filter(Matcher::find)
            .orElse(null);
    if (pid == null) {
      return true; // dbus-send missing: firewall-cmd's answer is the best there is
    }
    try {
      Path theirs = Files.readSymbolicLink(Path.of("/proc", pid.group(1), "ns", "net"));
      Path ours = Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net"));
      return theirs.equals(ours);
    } catch (IOException | UnsupportedOperationException e) {
      return true; // in another PID namespace: its PID cannot be looked up from here
    }
  }

  private Command withBus(Command c) {
    if (systemBus.isEmpty()) {
      return c;
    }
    List<String> argv =
        new ArrayList<>(List.of("env", "DBUS_SYSTEM_BUS_ADDRESS=" + systemBus.get()));
    argv.addAll(c.argv());
    return new Command(argv);
  }

  @Override
  public List<String> legacyTables() {
    List<String> out = new ArrayList<>();
    sysfile("/proc/thread-self/net/ip_tables_names")
        .lines()
        .filter(l -> !l.isBlank())
        .forEach(out::add);
    sysfile("/proc/thread-self/net/ip6_tables_names")
        .lines()
        .filter(l -> !l.isBlank())
        .forEach(l -> out.add("ip6:" + l));
    return out;
  }

  private static String sysfile(String path) {
    try (var in = Files.newInputStream(Path.of(path))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  @Override
  public boolean libnftablesInstalled() {
    return LIBRARY_DIRS.stream().anyMatch(d -> Files.exists(Path.of(d, "libnftables.so.1")));
  }
}
