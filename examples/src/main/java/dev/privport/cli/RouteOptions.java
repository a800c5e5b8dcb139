package dev.privport.cli;

import dev.privport.core.Protocol;
import dev.privport.core.SubprocessRunner;
import dev.privport.core.advice.Advice;
import dev.privport.core.advice.Advisor;
import dev.privport.core.advice.HostFacts;
import dev.privport.core.advice.HostProbe;
import dev.privport.core.advice.SystemHostProbe;
import dev.privport.core.spi.Backend;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * Which backend {@code apply}, {@code remove} and {@code status} act through: {@code --backend
 * nft|iptables|firewalld}, or by default the one {@code privport doctor} recommends on this host
 * (nft where in doubt), named with the reason on one line on stderr.
 */
final class RouteOptions {
  @Option(
      names = "--backend",
      paramLabel = "nft|iptables|firewalld",
      description =
          "act through libnftables (nft), iptables-restore (iptables) or firewalld over D-Bus"
              + " (firewalld); default: what 'privport doctor' recommends here, nft where in doubt",
      converter = BackendSelection.Converter.class)
  BackendSelection backend;

  /** Whether the backend was named; {@code --socket} delegation works through nft only. */
  void requireNftFor(String what) {
    if (backend != null && !backend.only().equals(Optional.of(Backend.NFT))) {
      throw new IllegalArgumentException(
          "--backend "
              + backend.cliName()
              + ": "
              + what
              + " works through nft only; leave --backend out");
    }
  }

  /**
   * The backend to use: the one named (refused with exit 2 unless nft, iptables or firewalld), else
   * the doctor's choice, said on {@code err}.
   */
  Backend choose(PrintWriter err) {
    if (backend != null) {
      Optional<Backend> b = backend.only().filter(RouteOptions::applies);
      if (b.isEmpty()) {
        throw new IllegalArgumentException(
            "--backend must be nft, iptables or firewalld for apply, remove and status, got "
                + backend.cliName());
      }
      return b.get();
    }
    Choice c;
    try {
      c = byDoctor(HostFacts.read(new QuickProbe()));
    } catch (RuntimeException | LinkageError e) {
      // Seen with a tiny file descriptor limit: the JDK's file classes fail to initialise. The
      // backend's own start then names the cause; the choice must not hide it behind a trace.
      c = new Choice(Backend.NFT, "this host could not be read; nft where in doubt");
    }
    err.println(
        "privport: backend "
            + c.backend().cliName()
            + ": "
            + c.reason()
            + " (--backend to choose)");
    return c.backend();
  }

  /** Whether {@code apply}, {@code remove} and {@code status} can act through {@code b}. */
  private static boolean applies(Backend b) {
    return b == Backend.NFT || b == Backend.IPTABLES || b == Backend.FIREWALLD;
  }

  /** Opens the route for {@code chosen}. */
  static Route open(Backend chosen) {
    return switch (chosen) {
      case IPTABLES -> new IptablesRoute();
      case FIREWALLD -> new FirewalldRoute();
      default -> new NftRoute();
    };
  }

  /**
   * A backend and why.
   *
   * @param backend the backend
   * @param reason why, in a few words
   */
  record Choice(Backend backend, String reason) {}

  /**
   * The first backend the doctor's advice recommends among nft, iptables and firewalld, in its
   * order (firewalld where it manages this namespace; nft unless the host's iptables is legacy;
   * iptables); nft where none applies.
   */
  static Choice byDoctor(HostFacts facts) {
    // Any privileged port: the backends' order and applicability do not depend on the port.
    Advice advice = Advisor.advise(facts, Protocol.TCP, 1);
    boolean legacy = facts.iptables() == HostFacts.Iptables.LEGACY;
    for (Advice.Option o : advice.options()) {
      if (!o.applicable() || o.backend().isEmpty()) continue;
      switch (o.backend().get()) {
        case FIREWALLD -> {
          return new Choice(Backend.FIREWALLD, "firewalld manages this network namespace");
        }
        case NFT -> {
          if (legacy) continue;
          if (!facts.libnftables()) continue; // apply needs libnftables, not the nft command
          return new Choice(
              Backend.NFT, "libnftables is installed and firewalld does not manage this namespace");
        }
        case IPTABLES -> {
          return new Choice(
              Backend.IPTABLES,
              legacy
                  ? "this host's iptables is iptables-legacy: its rules stay in one framework"
                  : "iptables-nft is installed and libnftables is not");
        }
        default -> {}
      }
    }
    return new Choice(Backend.NFT, "no backend recognised on this host; nft where in doubt");
  }

  /**
   * The doctor's probe, with two shortcuts that start no process where the answer is plain without
   * one: with no system bus socket there is no firewalld to ask ({@code firewall-cmd --state} is a
   * Python start), and iptables' variant is in the name of the multi-call binary {@code iptables}
   * links to ({@code xtables-nft-multi} or {@code xtables-legacy-multi}), read instead of starting
   * {@code iptables --version}, a tenth of a short apply.
   */
  static final class QuickProbe implements HostProbe {
    private final SystemHostProbe host = new SystemHostProbe();

    @Override
    public Optional<String> sysctl(String key) {
      return host.sysctl(key);
    }

    @Override
    public boolean onPath(String command) {
      return host.onPath(command);
    }

    @Override
    public Optional<String> output(List<String> argv) {
      if (argv.equals(List.of("iptables", "--version"))) {
        Optional<String> variant = iptablesVariant();
        if (variant.isPresent()) {
          return variant;
        }
      }
      return host.output(argv);
    }

    /** What {@code iptables --version} says of the variant, from its binary's name; else empty. */
    static Optional<String> iptablesVariant() {
      Optional<Path> iptables = SubprocessRunner.locate("iptables");
      if (iptables.isEmpty()) {
        return Optional.empty();
      }
      try {
        String binary = iptables.get().toRealPath().getFileName().toString();
        return switch (binary) {
          case "xtables-nft-multi" -> Optional.of("iptables (nf_tables)");
          case "xtables-legacy-multi" -> Optional.of("iptables (legacy)");
          default -> Optional.empty();
        };
      } catch (IOException | RuntimeException e) {
        return Optional.empty(); // then ask the binary itself
      }
    }

    @Override
    public boolean firewalldRunning() {
      // Firewalld.systemBusAddress()'s rule, without loading the D-Bus classes on every run.
      String env = System.getenv("DBUS_SYSTEM_BUS_ADDRESS");
      String bus =
          env == null || env.isBlank() ? "unix:path=/run/dbus/system_bus_socket" : env.strip();
      if (bus.startsWith("unix:path=")
          && !Files.exists(Path.of(bus.substring("unix:path=".length()).split(",", 2)[0]))) {
        return false;
      }
      return host.firewalldRunning();
    }

    @Override
    public List<String> legacyTables() {
      return host.legacyTables();
    }

    @Override
    public boolean libnftablesInstalled() {
      return host.libnftablesInstalled();
    }
  }
}
