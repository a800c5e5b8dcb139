package dev.privport.cli;

import dev.privport.core.ConntrackCleanup;
import dev.privport.core.RedirectRule;
import dev.privport.core.SubprocessRunner;
import java.io.PrintWriter;
import java.util.Set;
import picocli.CommandLine.Option;

/**
 * What {@code apply} and {@code remove} do about UDP flows that began before the change: by default
 * they run the plan's {@link ConntrackCleanup}, so a sender that never pauses (syslog, traps)
 * follows the change at once instead of keeping its old path. The rules are in place either way, so
 * a cleanup that cannot run is a warning, not a failure.
 */
final class FlowOptions {
  @Option(
      names = "--keep-flows",
      description =
          "leave tracked UDP flows alone (by default the plan's UDP ports are cleared with conntrack -D)")
  boolean keepFlows;

  /**
   * Runs the cleanup for {@code rules} unless told not to; reports on {@code out} and {@code err}.
   */
  void forgetEarlierFlows(Set<RedirectRule> rules, PrintWriter out, PrintWriter err) {
    ConntrackCleanup cleanup = ConntrackCleanup.forRules(rules);
    if (keepFlows || cleanup.isEmpty()) {
      return;
    }
    String ports = ConntrackCleanup.udpPorts(rules);
    String stale =
        "privport: warning: UDP flows to "
            + ports
            + " that began earlier keep their old path while they"
            + " keep sending: ";
    if (SubprocessRunner.locate(cleanup.commands().get(0).program()).isEmpty()) {
      err.println(
          stale
              + "conntrack is not installed (Debian, Ubuntu: apt-get install conntrack;"
              + " Fedora: dnf install conntrack-tools)");
      return;
    }
    try {
      cleanup.execute(SubprocessRunner.create());
      out.println("cleared tracked UDP flows to " + ports + ": senders follow the change now");
    } catch (IllegalStateException e) {
      err.println(stale + e.getMessage());
    }
  }
}
