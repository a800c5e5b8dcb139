package dev.privport.testkit;

import dev.privport.core.Command;
import dev.privport.core.Step;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A real firewalld inside a test namespace, on a private D-Bus system bus and with a configuration
 * directory of its own, so nothing reaches the host: {@code /run} is a tmpfs in the namespace's
 * private mount namespace, the bus socket and config live in a temporary directory. Both daemons
 * are started here and stopped by their PIDs.
 */
public final class FirewalldDaemon implements AutoCloseable {
  private final Netns ns;
  private final Path dir;
  private final String busAddress;
  private final List<Process> processes = new ArrayList<>();

  private FirewalldDaemon(Netns ns, Path dir) {
    this.ns = ns;
    this.dir = dir;
    this.busAddress = "unix:path=" + dir.resolve("bus.sock");
  }

  /** Starts dbus-daemon and firewalld, and waits (at most 30 s) until firewalld answers. */
  public static FirewalldDaemon start(Netns ns) {
    Kernel.requireCommand("firewalld", "firewall-cmd", "dbus-daemon");
    FirewalldDaemon fw;
    try {
      fw = new FirewalldDaemon(ns, Files.createTempDirectory("privport-firewalld-"));
      Files.createDirectories(fw.configDir());
      Files.writeString(
          fw.dir.resolve("bus.conf"),
          """
          <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
           "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
          <busconfig>
            <type>system</type>
            <listen>%s</listen>
            <policy context="default">
              <allow user="*"/>
              <allow own="*"/>
              <allow send_destination="*"/>
              <allow receive_sender="*"/>
            </policy>
          </busconfig>
          """
              .formatted(fw.busAddress));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    try {
      fw.processes.add(
          ns.spawn(
              List.of(
                  "dbus-daemon",
                  "--config-file=" + fw.dir.resolve("bus.conf"),
                  "--nofork",
                  "--nopidfile"),
              fw.dir.resolve("dbus.log")));
      fw.await(() -> Files.exists(fw.dir.resolve("bus.sock")), "the private D-Bus socket");
      fw.processes.add(
          ns.spawn(
              List.of(
                  "env",
                  "DBUS_SYSTEM_BUS_ADDRESS=" + fw.busAddress,
                  "sh",
                  "-c",
                  "mount -t tmpfs tmpfs /run && mkdir -p /run/firewalld && exec firewalld --nofork --nopid"
                      + " --log-target console --system-config "
                      + fw.configDir()),
              fw.dir.resolve("firewalld.log")));
      fw.await(() -> fw.cmd("--state").ok(), "firewalld to answer --state");
      return fw;
    } catch (RuntimeException e) {
      fw.close();
      throw e;
    }
  }

  private void await(java.util.function.BooleanSupplier ready, String what) {
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (!ready.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out waiting for " + what + "; log: " + log());
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  /** firewalld's log so far. */
  public String log() {
    try {
      return Files.readString(dir.resolve("firewalld.log"));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  /** Runs {@code firewall-cmd args} against this firewalld. */
  public Cmd.Result cmd(String... args) {
    List<String> argv =
        new ArrayList<>(List.of("env", "DBUS_SYSTEM_BUS_ADDRESS=" + busAddress, "firewall-cmd"));
    argv.addAll(List.of(args));
    return ns.exec(argv.toArray(String[]::new));
  }

  /** Runs rendered {@code firewall-cmd} argv lists against this firewalld. */
  public Step.Runner runner() {
    return (Command c) -> {
      if (!c.program().equals("firewall-cmd")) {
        throw new IllegalArgumentException("not a firewall-cmd command: " + c.toShell());
      }
      return cmd(c.argv().subList(1, c.argv().size()).toArray(String[]::new)).exitCode();
    };
  }

  /** The private system bus firewalld answers on, as a D-Bus address ({@code unix:path=...}). */
  public String busAddress() {
    return busAddress;
  }

  /** The directory firewalld reads and writes its permanent configuration in. */
  public Path configDir() {
    return dir.resolve("config");
  }

  /** Stops firewalld, then dbus-daemon, by PID; removes the temporary directory. */
  @Override
  public void close() {
    for (Process p : com.google.common.collect.Lists.reverse(processes)) {
      p.destroy();
      try {
        if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      // best effort
    }
  }
}
