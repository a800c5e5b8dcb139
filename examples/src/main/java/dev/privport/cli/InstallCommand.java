package dev.privport.cli;

import dev.privport.core.Command;
import dev.privport.core.CommandRunner;
import dev.privport.core.RedirectPlan;
import dev.privport.core.SubprocessRunner;
import dev.privport.nft.NftServiceUnit;
import dev.privport.nft.Nftables;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code privport install}: make a plan persistent with its nft script and systemd unit ({@link
 * NftServiceUnit}), and start the unit.
 */
@picocli.CommandLine.Command(
    name = "install",
    mixinStandardHelpOptions = true,
    description = {
      "Install the plan to outlive reboots and nftables reloads (root).",
      "It writes:",
      "  /etc/privport/NAME.nft             the rules (nft -f)",
      "  /etc/systemd/system/NAME.service   loads them at boot and after every",
      "                                     reload or restart of nftables.service",
      "then (on / under systemd, unless --no-start) systemctl daemon-reload,",
      "enable and reload-or-restart the unit. Without systemd the files are written",
      "and the command that loads them is printed. Running it again is harmless; a",
      "file privport did not write for this plan is never overwritten."
    })
final class InstallCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin PlanOptions plan;

  @Mixin RootOptions root;

  @Option(names = "--no-start", description = "write the files only; start nothing")
  boolean noStart;

  @Override
  public Integer call() {
    RedirectPlan p = plan.plan();
    Installer installer = root.installer();
    NftServiceUnit unit = NftServiceUnit.of(p);
    PrintWriter out = spec.commandLine().getOut();
    boolean start = installer.isSystemRoot() && !noStart;
    if (start) {
      // Refuse rules this kernel would reject before any file is written (a dry run).
      try (Nftables nft = Nftables.open()) {
        nft.check(p);
      }
    }
    for (Installer.Change c :
        installer.install(p.qualifiedName(), List.of(unit.rules(), unit.unit()))) {
      out.println((c.outcome() == Installer.Outcome.WROTE ? "wrote " : "unchanged ") + c.path());
    }
    String unitName = NftServiceUnit.unitName(p);
    if (!installer.isSystemRoot()) {
      out.println("staged below " + root.root + "; no service was started.");
    } else if (noStart) {
      out.println("not started (--no-start); start it with: systemctl enable --now " + unitName);
    } else if (!Installer.systemdRunning()) {
      out.println(
          "systemd is not running here, so nothing was started. Load the rules now with: "
              + unit.start().toShell());
    } else {
      // enable, then reload-or-restart: "enable --now" would leave a running unit on the old
      // rules; a reload replaces them in one transaction, a restart of a stopped unit starts it.
      systemctl("daemon-reload");
      systemctl("enable", unitName);
      systemctl("reload-or-restart", unitName);
      out.println("started: " + unitName + " (table inet " + p.qualifiedName() + ")");
    }
    return Privport.OK;
  }

  /** Runs {@code systemctl ARGS}, failing with its first line of output. */
  static void systemctl(String... args) {
    String[] argv = new String[args.length + 1];
    argv[0] = "systemctl";
    System.arraycopy(args, 0, argv, 1, args.length);
    Command c = Command.of(argv);
    // A systemctl that cannot start or hangs throws CommandException, naming it and the cause.
    CommandRunner.Outcome o = SubprocessRunner.create().withTimeout(Duration.ofSeconds(90)).run(c);
    if (o.exitStatus() != 0) {
      throw new IllegalStateException(
          c.toShell()
              + " failed (exit "
              + o.exitStatus()
              + "): "
              + o.output().strip().lines().findFirst().orElse(""));
    }
  }
}
