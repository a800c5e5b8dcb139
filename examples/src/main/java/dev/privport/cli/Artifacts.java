package dev.privport.cli;

import dev.privport.core.ConfigFile;
import dev.privport.core.RedirectPlan;
import dev.privport.core.Scope;
import dev.privport.core.remedy.Remedies;
import dev.privport.core.spi.Backend;
import dev.privport.firewalld.FirewalldRenderer;
import dev.privport.firewalld.HostAddresses;
import dev.privport.iptables.IptablesRenderer;
import dev.privport.iptables.IptablesRendering;
import dev.privport.nft.NftRenderer;
import dev.privport.nft.NftServiceUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The files each backend renders for a plan, at conventional paths below an output directory. Every
 * name carries the plan's qualified name Q ({@code privport}, or {@code privport-NAME} for a named
 * plan), so plans rendered into one directory never share a file, and each plan owns its files:
 *
 * <pre>
 * nftables/Q.nft                       nft -f script
 * systemd/Q.service                    the unit that loads it (NftServiceUnit; privport install)
 * iptables/Q.sh                        idempotent iptables/ip6tables commands (sh -e)
 * iptables/Q.rules.v4, Q.rules.v6      iptables-restore --noflush files
 * firewalld/Q.direct.xml               permanent direct rules (firewalld's direct.xml)
 * firewalld/policies/POLICY.xml        policies privport-in/-lo, pp-NAME-in/-lo (--host-address)
 * systemd/Q-redir-PORT.service         redir units (TCP redirects only)
 * sysctl.d/90-Q-unprivileged-port-start.conf
 * </pre>
 */
final class Artifacts {
  private Artifacts() {}

  /**
   * Whether {@code path} (relative, '/'-separated) is a file {@code plan} owns for {@code backend}
   * (for {@code all}: for any backend), rendered now or not: files of the plan that it no longer
   * renders are stale. Files of other plans and foreign files are never the plan's.
   */
  static boolean owns(RedirectPlan plan, BackendSelection backend, String path) {
    return ownership(plan, backend).stream().anyMatch(p -> p.matcher(path).matches());
  }

  /** The directories (relative) where {@link #owns} may find files of {@code backend}. */
  static List<String> directories(BackendSelection backend) {
    List<String> out = new ArrayList<>();
    if (backend.includes(Backend.NFT)) {
      out.add("nftables");
      out.add("systemd");
    }
    if (backend.includes(Backend.IPTABLES)) {
      out.add("iptables");
    }
    if (backend.includes(Backend.FIREWALLD)) {
      out.add("firewalld");
      out.add("firewalld/policies");
    }
    if (backend.includes(Backend.REDIR) && !out.contains("systemd")) {
      out.add("systemd");
    }
    if (backend.includes(Backend.UNPRIVILEGED_PORT_START)) {
      out.add("sysctl.d");
    }
    return out;
  }

  private static List<Pattern> ownership(RedirectPlan plan, BackendSelection backend) {
    String q = Pattern.quote(plan.qualifiedName());
    List<String> out = new ArrayList<>();
    if (backend.includes(Backend.NFT)) {
      out.add("nftables/" + q + "\\.nft");
      out.add("systemd/" + q + "\\.service");
    }
    if (backend.includes(Backend.IPTABLES)) {
      out.add("iptables/" + q + "\\.(sh|rules\\.v4|rules\\.v6)");
    }
    if (backend.includes(Backend.FIREWALLD)) {
      out.add("firewalld/" + q + "\\.direct\\.xml");
      for (Scope scope : Scope.values()) {
        out.add(
            "firewalld/policies/"
                + Pattern.quote(FirewalldRenderer.policyName(plan, scope))
                + "\\.xml");
      }
    }
    if (backend.includes(Backend.REDIR)) {
      out.add("systemd/" + q + "-redir-[0-9]+\\.service");
    }
    if (backend.includes(Backend.UNPRIVILEGED_PORT_START)) {
      out.add("sysctl.d/" + Pattern.quote(SYSCTL_PREFIX + plan.qualifiedName() + SYSCTL_SUFFIX));
    }
    return out.stream().map(Pattern::compile).toList();
  }

  private static final String SYSCTL_PREFIX = "90-";
  private static final String SYSCTL_SUFFIX = "-unprivileged-port-start.conf";

  /**
   * The artifacts of {@code backend}; for {@code all}, of every backend that can express the plan
   * ({@code skipped} collects why the others were left out).
   */
  static List<Artifact> render(
      RedirectPlan plan,
      BackendSelection backend,
      Optional<HostAddresses> hosts,
      List<String> skipped) {
    List<Artifact> out = new ArrayList<>();
    String q = plan.qualifiedName();
    if (backend.includes(Backend.NFT)) {
      out.add(new Artifact("nftables/" + q + ".nft", new NftRenderer().render(plan)));
      // The unit that loads that file from /etc/privport at boot and after nftables reloads.
      out.add(file("systemd/", NftServiceUnit.of(plan).unit()));
    }
    if (backend.includes(Backend.IPTABLES)) {
      IptablesRenderer renderer = new IptablesRenderer();
      IptablesRendering r = renderer.renderAll(plan);
      out.add(new Artifact("iptables/" + q + ".sh", renderer.render(plan)));
      r.restoreIpv4().ifPresent(f -> out.add(new Artifact("iptables/" + q + ".rules.v4", f)));
      r.restoreIpv6().ifPresent(f -> out.add(new Artifact("iptables/" + q + ".rules.v6", f)));
    }
    if (backend.includes(Backend.FIREWALLD)) {
      FirewalldRenderer renderer = new FirewalldRenderer();
      // Per plan: firewalld reads one direct.xml, so a host with one plan installs it as
      // /etc/firewalld/direct.xml; a host with several uses the firewall-cmd calls instead.
      out.add(
          new Artifact(
              "firewalld/" + q + ".direct.xml", renderer.renderDirect(plan).directXml().content()));
      if (hosts.isPresent()) {
        try {
          renderer
              .renderPolicies(plan, hosts.get())
              .policyFiles()
              .forEach(f -> out.add(file("firewalld/policies/", f)));
        } catch (IllegalArgumentException e) {
          if (!backend.isAll()) {
            throw e;
          }
          skipped.add("firewalld policies: " + e.getMessage());
        }
      }
    }
    if (backend.includes(Backend.REDIR)) {
      try {
        Remedies.redir(plan).files().forEach(f -> out.add(file("systemd/", f)));
      } catch (IllegalArgumentException e) {
        if (!backend.isAll()) {
          throw e;
        }
        skipped.add("redir: " + e.getMessage());
      }
    }
    if (backend.includes(Backend.UNPRIVILEGED_PORT_START)) {
      if (plan.lowestFromPort() <= Remedies.DEFAULT_UNPRIVILEGED_PORT_START) {
        // One sysctl for the host: named after the plan so that plans never share the file.
        Remedies.unprivilegedPortStart(plan)
            .files()
            .forEach(
                f ->
                    out.add(
                        new Artifact(
                            "sysctl.d/" + SYSCTL_PREFIX + q + SYSCTL_SUFFIX, f.content())));
      } else if (!backend.isAll()) {
        throw new IllegalArgumentException(
            "sysctl: every port of the plan is already unprivileged (>= 1024)");
      }
    }
    return out;
  }

  /** What {@code render} prints without {@code --out}. */
  static String stdout(
      RedirectPlan plan,
      BackendSelection backend,
      Optional<HostAddresses> hosts,
      List<String> skipped) {
    if (backend.only().isPresent()) {
      switch (backend.only().get()) {
        case NFT -> {
          return plan.toNft();
        }
        case IPTABLES -> {
          return plan.toIptables();
        }
        case FIREWALLD -> {
          if (hosts.isEmpty()) {
            return plan.toFirewalld();
          }
        }
        default -> {}
      }
    }
    List<Artifact> artifacts = render(plan, backend, hosts, skipped);
    StringBuilder out = new StringBuilder();
    for (Artifact a : artifacts) {
      if (out.length() > 0) {
        out.append('\n');
      }
      out.append("### ").append(a.path()).append('\n').append(a.content());
    }
    return out.toString();
  }

  private static Artifact file(String dir, ConfigFile f) {
    return new Artifact(dir + f.fileName(), f.content());
  }
}
