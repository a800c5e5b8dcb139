package dev.privport.testkit.lab;

import dev.privport.testkit.process.Cmd;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A network namespace owned by one test: created with {@code ip netns add}, {@code lo} up, and
 * deleted on {@link #close()} after every process in it has been killed by PID. Java code runs
 * inside it through {@link #call}: a fresh thread enters the namespace with {@code setns(2)} (a
 * network namespace is a per-thread attribute), so sockets and libnftables contexts created on that
 * thread live in the namespace, never on the host.
 */
public final class Netns implements AutoCloseable {
  private static final AtomicInteger SEQUENCE = new AtomicInteger();
  private static final Set<Netns> LIVE = ConcurrentHashMap.newKeySet();

  static {
    // Last line of defence when a test JVM dies with namespaces still open.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> List.copyOf(LIVE).forEach(Netns::close)));
  }

  private final String name;
  private final List<Process> processes = new ArrayList<>();

  private Netns(String name) {
    this.name = name;
  }

  /** Creates a namespace with a unique name (prefix, PID, sequence) and brings {@code lo} up. */
  public static Netns create() {
    return create("");
  }

  /**
   * As {@link #create()}, with {@code owner} (lower-case letters) in the name, so that tests run by
   * several people on one machine can tell their namespaces apart.
   */
  public static Netns create(String owner) {
    Kernel.requireRoot();
    String name = "pp" + owner + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet();
    Cmd.run("ip", "netns", "add", name).orThrow();
    Netns ns = new Netns(name);
    LIVE.add(ns);
    try {
      ns.exec("ip", "link", "set", "lo", "up").orThrow();
      // Interfaces created from now on get usable IPv6 addresses at once (no DAD wait).
      ns.exec(
              "sysctl",
              "-qw",
              "net.ipv6.conf.default.accept_dad=0",
              "net.ipv6.conf.all.accept_dad=0")
          .orThrow();
    } catch (RuntimeException e) {
      ns.close();
      throw e;
    }
    return ns;
  }

  /** The namespace's name, as {@code ip netns} knows it. */
  public String name() {
    return name;
  }

  /** Runs a command inside the namespace. */
  public Cmd.Result exec(String... argv) {
    return Cmd.run(prefix(argv), null);
  }

  /** Runs a command inside the namespace with {@code stdin} as its input. */
  public Cmd.Result execWithInput(String stdin, String... argv) {
    return Cmd.run(prefix(argv), stdin);
  }

  /** Like {@link #exec} but throws unless it exits 0; returns stdout. */
  public String sh(String... argv) {
    return exec(argv).orThrow().stdout();
  }

  /** Starts a long-running process in the namespace; it is killed by PID on {@link #close()}. */
  public synchronized Process spawn(List<String> argv, Path log) {
    ProcessBuilder pb = new ProcessBuilder(prefix(argv.toArray(String[]::new)));
    pb.redirectErrorStream(true);
    pb.redirectOutput(log.toFile());
    pb.environment().put("LC_ALL", "C");
    try {
      Process p = pb.start();
      processes.add(p);
      return p;
    } catch (IOException e) {
      throw new IllegalStateException("cannot start " + argv, e);
    }
  }

  private List<String> prefix(String... argv) {
    List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", name));
    all.addAll(List.of(argv));
    return all;
  }

  /** Runs {@code task} on a new thread that has entered this namespace, and returns its result. */
  public <T> T call(Callable<T> task) {
    FutureTask<T> future =
        new FutureTask<>(
            () -> {
              enter();
              return task.call();
            });
    Thread thread = new Thread(future, "netns-" + name);
    thread.setDaemon(true);
    thread.start();
    try {
      return future.get(120, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(e.getCause());
    } catch (Exception e) {
      throw new IllegalStateException("in namespace " + name + ": " + e, e);
    }
  }

  /** Runs {@code task} inside the namespace. */
  public void run(Runnable task) {
    call(
        () -> {
          task.run();
          return null;
        });
  }

  /** Moves the calling thread into this namespace, and proves it did before anything else runs. */
  private void enter() throws IOException {
    Path file = Path.of("/run/netns", name);
    int fd = LibC.INSTANCE.open(file.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC);
    if (fd < 0) {
      throw new IllegalStateException("cannot open " + file);
    }
    try {
      if (LibC.INSTANCE.setns(fd, LibC.CLONE_NEWNET) != 0) {
        throw new IllegalStateException("setns(" + file + ") failed");
      }
    } finally {
      LibC.INSTANCE.close(fd);
    }
    Object expected = Files.getAttribute(file, "unix:ino");
    String actual = Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
    if (!actual.equals("net:[" + expected + "]")) {
      throw new IllegalStateException("thread is in " + actual + ", not in namespace " + name);
    }
  }

  /** Kills every process in the namespace by PID, then deletes it. Safe to call twice. */
  @Override
  public synchronized void close() {
    if (!LIVE.remove(this)) {
      return;
    }
    for (Process p : processes) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    for (Process p : processes) {
      try {
        p.waitFor(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    Cmd.Result pids = Cmd.run("ip", "netns", "pids", name);
    for (String pid : pids.stdout().split("\\s+")) {
      if (!pid.isBlank()) {
        ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
      }
    }
    Cmd.run("ip", "netns", "del", name);
  }

  @Override
  public String toString() {
    return name;
  }
}
