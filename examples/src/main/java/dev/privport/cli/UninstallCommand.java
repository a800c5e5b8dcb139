package dev.privport.cli;

import dev.privport.core.Checks;
import dev.privport.core.RedirectPlan;
import dev.privport.nft.LibnftablesExecutor;
import dev.privport.nft.NftServiceUnit;
import dev.privport.nft.Nftables;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code privport uninstall}: undo {@code privport install}. */
@Command(
    name = "uninstall",
    mixinStandardHelpOptions = true,
    description = {
      "Undo 'privport install' (root).",
      "It stops and disables the unit (under systemd), removes /etc/privport/NAME.nft",
      "and /etc/systemd/system/NAME.service, and deletes the plan's table. Name the",
      "plan by its redirects, --plan FILE or --name NAME.",
      "Running it again is harmless; no other plan's file is touched."
    })
final class UninstallCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin PlanOptions plan;

  @Option(
      names = "--root",
      paramLabel = "DIR",
      defaultValue = "/",
      description =
          "uninstall from below DIR, a staging root: nothing outside it is touched"
              + " (default: ${DEFAULT-VALUE})")
  Path root;

  @Override
  public Integer call() {
    String q = qualifiedName();
    Installer installer = new Installer(root);
    List<Installer.Change> planned =
        installer.plannedRemoval(
            q, List.of(NftServiceUnit.unitPath(q), NftServiceUnit.rulesPath(q)));
    PrintWriter out = spec.commandLine().getOut();
    boolean unitPresent = planned.get(0).outcome() == Installer.Outcome.REMOVED;
    boolean systemd = installer.isSystemRoot() && Installer.systemdRunning();
    if (systemd && unitPresent) {
      InstallCommand.systemctl("daemon-reload");
      InstallCommand.systemctl("disable", "--now", NftServiceUnit.unitName(q));
    }
    installer.remove(planned);
    for (Installer.Change c : planned) {
      out.println((c.outcome() == Installer.Outcome.REMOVED ? "removed " : "absent ") + c.path());
    }
    if (systemd && unitPresent) {
      InstallCommand.systemctl("daemon-reload");
    }
    if (installer.isSystemRoot()) {
      // Also when the unit was never started, or the plan was applied by hand.
      try (LibnftablesExecutor nft = Nftables.open()) {
        nft.run("table inet " + q + "\ndelete table inet " + q + "\n");
      }
      out.println("removed: table inet " + q);
    } else {
      out.println("staged below " + root + "; no service or table was touched.");
    }
    return Privport.OK;
  }

  /** The plan's qualified name, from its redirects, its file or --name alone. */
  private String qualifiedName() {
    if (plan.planFile != null || !plan.redirects.isEmpty()) {
      return plan.plan().qualifiedName();
    }
    if (plan.name == null) {
      throw new IllegalArgumentException(
          "no plan given: name it by its redirects (e.g. 80:8080), --plan FILE or --name NAME");
    }
    return RedirectPlan.DEFAULT_NAME + "-" + Checks.planName(plan.name);
  }
}
