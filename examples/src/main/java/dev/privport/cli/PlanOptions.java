package dev.privport.cli;

import dev.privport.core.PlanFile;
import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** How every command is told the plan: redirects on the command line, or a plan file. */
final class PlanOptions {
  @Parameters(
      paramLabel = "REDIRECT",
      arity = "0..*",
      description = "FROM:TO, FROM:TO/tcp, FROM:TO/udp or FIRST-LAST:TO, e.g. 80:8080 514:5514/udp")
  List<String> redirects = new ArrayList<>();

  @Option(
      names = "--plan",
      paramLabel = "FILE",
      description = "read the plan from a plan file (see README)")
  Path planFile;

  @Option(
      names = "--name",
      paramLabel = "NAME",
      description = "name the plan (it then owns privport-NAME objects)")
  String name;

  @Option(names = "--ipv4-only", description = "IPv4 only")
  boolean ipv4Only;

  @Option(names = "--ipv6-only", description = "IPv6 only")
  boolean ipv6Only;

  @Option(names = "--incoming-only", description = "only traffic from other hosts")
  boolean incomingOnly;

  @Option(names = "--local-only", description = "only this host's connections to itself")
  boolean localOnly;

  @Option(
      names = "--interface",
      paramLabel = "IF",
      description = "incoming traffic on IF only ('eth+' for eth*)")
  String ifname;

  /** The validated plan. */
  RedirectPlan plan() {
    if (planFile != null) {
      if (!redirects.isEmpty()
          || name != null
          || ipv4Only
          || ipv6Only
          || incomingOnly
          || localOnly
          || ifname != null) {
        throw new IllegalArgumentException(
            "--plan cannot be combined with redirects or redirect options");
      }
      return PlanFile.read(planFile);
    }
    if (ipv4Only && ipv6Only) {
      throw new IllegalArgumentException("--ipv4-only and --ipv6-only exclude each other");
    }
    if (incomingOnly && localOnly) {
      throw new IllegalArgumentException("--incoming-only and --local-only exclude each other");
    }
    if (redirects.isEmpty()) {
      throw new IllegalArgumentException(
          "no redirect given: name at least one, e.g. 80:8080, or --plan FILE");
    }
    RedirectPlan.Builder b = RedirectPlan.builder();
    if (name != null) {
      b.name(name);
    }
    for (String spec : redirects) {
      for (Redirect r : PlanFile.redirects(spec)) {
        // The order a plan file applies its options in, so both report the same errors.
        if (ipv4Only) r = r.ipv4Only();
        if (ipv6Only) r = r.ipv6Only();
        if (ifname != null) r = r.onInterface(ifname);
        if (incomingOnly) r = r.incomingOnly();
        if (localOnly) r = r.localOnly();
        b.add(r);
      }
    }
    return b.build();
  }
}
