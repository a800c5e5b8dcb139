package dev.privport.cli;

import dev.privport.core.RedirectPlan;
import dev.privport.core.spi.RenderOptions;
import dev.privport.core.spi.RenderedFile;
import dev.privport.firewalld.HostAddresses;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code privport render}: print the rules, or write one conventional file per artifact. */
@Command(
    name = "render",
    mixinStandardHelpOptions = true,
    description = {
      "Render a plan for a backend: print it, or write files under --out DIR:",
      "  nftables/NAME.nft, iptables/NAME.sh, iptables/NAME.rules.v4, NAME.rules.v6,",
      "  firewalld/NAME.direct.xml, firewalld/policies/*.xml (with --host-address),",
      "  systemd/NAME-redir-PORT.service, sysctl.d/90-NAME-*.conf",
      "  (NAME: privport, or privport-NAME for a named plan; plans never share a file)"
    })
final class RenderCommand implements Callable<Integer> {
  /** {@code --backend} when not given. */
  static final String DEFAULT_BACKEND = "nft";

  @Spec CommandSpec spec;
  @Mixin PlanOptions plan;

  @Option(
      names = "--backend",
      paramLabel = "BACKEND",
      defaultValue = DEFAULT_BACKEND,
      converter = BackendSelection.Converter.class,
      completionCandidates = BackendSelection.Names.class,
      description = "nft, iptables, firewalld, redir, sysctl or all (default: ${DEFAULT-VALUE})")
  BackendSelection backend;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      description = "write files below DIR instead of printing")
  Path out;

  @Option(
      names = "--host-address",
      paramLabel = "ADDR",
      description = "this host's address, for firewalld policies (repeat for each)")
  List<String> hostAddresses = new ArrayList<>();

  @Override
  public Integer call() {
    return render(spec.commandLine().getOut(), spec.commandLine().getErr());
  }

  /** Renders, printing to {@code stdout} and {@code stderr}; returns the exit code. */
  int render(PrintWriter stdout, PrintWriter stderr) {
    RedirectPlan p = plan.plan();
    RenderOptions options = options(hostAddresses);
    List<String> skipped = new ArrayList<>();
    if (out == null) {
      stdout.print(Artifacts.stdout(p, backend, options, skipped));
    } else {
      List<RenderedFile> artifacts = Artifacts.render(p, backend, options, skipped);
      OutputDirectory dir = OutputDirectory.create(out);
      // Every path is checked before the first is written: a refusal leaves the directory as it
      // was.
      artifacts.forEach(a -> dir.check(a.path()));
      for (RenderedFile a : artifacts) {
        OutputDirectory.Outcome outcome = dir.write(a.path(), a.content());
        stdout.println(
            (outcome == OutputDirectory.Outcome.WRITTEN ? "wrote " : "unchanged ")
                + out.resolve(a.path()));
      }
    }
    skipped.forEach(s -> stderr.println("privport: skipped " + s));
    return Privport.OK;
  }

  /**
   * The render options for {@code --host-address}; the addresses are checked here, so bad input is
   * refused before anything is rendered, whichever backend is selected.
   */
  static RenderOptions options(List<String> addresses) {
    if (!addresses.isEmpty()) {
      HostAddresses.of(addresses.toArray(String[]::new));
    }
    return new RenderOptions(addresses);
  }
}
