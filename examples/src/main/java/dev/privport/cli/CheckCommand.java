package dev.privport.cli;

import dev.privport.core.PlanFile;
import dev.privport.core.RedirectPlan;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code privport check}: are the checked-in files what the plan renders? For a repository's CI.
 */
@Command(
    name = "check",
    mixinStandardHelpOptions = true,
    description = {
      "Check that the files under DIR are exactly what 'render --out DIR'",
      "writes for the plan. Exits 1 and shows a diff when any is stale or missing."
    })
final class CheckCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--plan", paramLabel = "FILE", required = true, description = "the plan file")
  Path planFile;

  @Option(
      names = "--backend",
      paramLabel = "BACKEND",
      defaultValue = "all",
      description = "nft, iptables, firewalld, redir, sysctl or all (default: ${DEFAULT-VALUE})")
  Backend backend;

  @Option(names = "--host-address", paramLabel = "ADDR", description = "as for render")
  List<String> hostAddresses = new ArrayList<>();

  @Parameters(paramLabel = "DIR", description = "the directory the files were rendered into")
  Path dir;

  @Override
  public Integer call() throws IOException {
    RedirectPlan plan = PlanFile.read(planFile);
    PrintWriter out = spec.commandLine().getOut();
    int stale = 0;
    List<Artifact> artifacts =
        Artifacts.render(plan, backend, RenderCommand.hosts(hostAddresses), new ArrayList<>());
    for (Artifact a : artifacts) {
      Path file = dir.resolve(a.path());
      if (!Files.exists(file)) {
        out.println("missing: " + file);
        stale++;
        continue;
      }
      String actual = Files.readString(file, StandardCharsets.UTF_8);
      if (!actual.equals(a.content())) {
        out.print(Diff.unified(file.toString(), a.content(), actual));
        stale++;
      }
    }
    if (stale > 0) {
      out.println(
          stale
              + " of "
              + artifacts.size()
              + " files are stale: run privport render --plan "
              + planFile
              + " --backend "
              + backend
              + " --out "
              + dir);
      return Privport.STALE;
    }
    out.println("fresh: " + artifacts.size() + " files match " + planFile);
    return Privport.OK;
  }
}
