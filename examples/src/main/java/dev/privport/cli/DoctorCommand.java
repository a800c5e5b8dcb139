package dev.privport.cli;

import dev.privport.core.RedirectPlan;
import dev.privport.core.RedirectRule;
import dev.privport.core.advice.Advisor;
import dev.privport.core.advice.ErrorTexts;
import dev.privport.core.advice.HostFacts;
import dev.privport.nft.Nftables;
import java.io.PrintWriter;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code privport doctor}: read the host and say which remedy to use for each port. */
@Command(
    name = "doctor",
    mixinStandardHelpOptions = true,
    description = {
      "Read this host (sysctls, nft, iptables, firewalld, libnftables, redir, conntrack)",
      "and advise a remedy per port. --error takes what Docker or Podman printed."
    })
final class DoctorCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin PlanOptions plan;

  @Option(
      names = "--error",
      paramLabel = "TEXT",
      description = "an error such as 'rootlessport cannot expose privileged port 80, ...'")
  String error;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    RedirectPlan p;
    if (error != null) {
      p =
          ErrorTexts.planFor(error)
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "--error: no 'cannot expose privileged port N' in the text given"));
      out.println(
          "The error implies: "
              + String.join(", ", p.redirects().stream().map(r -> r.describe()).toList())
              + " (publish the container on the new port, e.g. -p "
              + p.redirects().get(0).toPort()
              + ":"
              + p.redirects().get(0).fromPort()
              + ")");
    } else {
      p = plan.plan();
    }
    HostFacts facts = HostFacts.ofThisHost();
    out.println(
        "Host: ip_unprivileged_port_start="
            + (facts.unprivilegedPortStart().isPresent()
                ? facts.unprivilegedPortStart().getAsInt()
                : "absent")
            + ", ping_group_range="
            + facts.pingGroupRange().orElse("absent")
            + ", nft="
            + yes(facts.nft())
            + ", iptables="
            + facts.iptables().name().toLowerCase(Locale.ROOT)
            + ", firewalld running="
            + yes(facts.firewalldRunning())
            + ", libnftables="
            + (facts.libnftables()
                ? Nftables.libraryProblem().map(why -> "no (" + why + ")").orElse("yes")
                : "no")
            + ", redir="
            + yes(facts.redir())
            + ", conntrack="
            + yes(facts.conntrack()));
    Set<String> seen = new LinkedHashSet<>();
    for (RedirectRule r : p.rules()) {
      if (seen.add(r.protocol() + "/" + r.fromPort())) {
        out.print(Advisor.advise(facts, r.protocol(), r.fromPort()).describe());
      }
    }
    return Privport.OK;
  }

  private static String yes(boolean b) {
    return b ? "yes" : "no";
  }
}
