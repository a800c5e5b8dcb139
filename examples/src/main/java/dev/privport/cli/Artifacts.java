package dev.privport.cli;

import dev.privport.core.ConfigFile;
import dev.privport.core.RedirectPlan;
import dev.privport.core.remedy.Remedies;
import dev.privport.firewalld.FirewalldRenderer;
import dev.privport.firewalld.HostAddresses;
import dev.privport.iptables.IptablesRenderer;
import dev.privport.iptables.IptablesRendering;
import dev.privport.nft.NftRenderer;
import dev.privport.nft.NftServiceUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The files each backend renders for a plan, at conventional paths below an output directory:
 *
 * <pre>
 * nftables/privport.nft            nft -f script
 * systemd/privport.service         the unit that loads it (NftServiceUnit; privport install)
 * iptables/privport.sh             idempotent iptables/ip6tables commands (sh -e)
 * iptables/rules.v4, rules.v6      iptables-restore --noflush files
 * firewalld/direct.xml             permanent direct rules
 * firewalld/policies/NAME.xml      policies (only with --host-address)
 * systemd/privport-redir-80.service  redir units (TCP redirects only)
 * sysctl.d/90-privport-unprivileged-port-start.conf
 * </pre>
 */
final class Artifacts {
  private Artifacts() {}

  /**
   * The artifacts of {@code backend}; for {@link Backend#all}, of every backend that can express
   * the plan ({@code skipped} collects why the others were left out).
   */
  static List<Artifact> render(
      RedirectPlan plan, Backend backend, Optional<HostAddresses> hosts, List<String> skipped) {
    List<Artifact> out = new ArrayList<>();
    String q = plan.qualifiedName();
    if (backend == Backend.nft || backend == Backend.all) {
      out.add(new Artifact("nftables/" + q + ".nft", new NftRenderer().render(plan)));
      // The unit that loads that file from /etc/privport at boot and after nftables reloads.
      out.add(file("systemd/", NftServiceUnit.of(plan).unit()));
    }
    if (backend == Backend.iptables || backend == Backend.all) {
      IptablesRenderer renderer = new IptablesRenderer();
      IptablesRendering r = renderer.renderAll(plan);
      out.add(new Artifact("iptables/" + q + ".sh", renderer.render(plan)));
      r.restoreIpv4().ifPresent(f -> out.add(new Artifact("iptables/rules.v4", f)));
      r.restoreIpv6().ifPresent(f -> out.add(new Artifact("iptables/rules.v6", f)));
    }
    if (backend == Backend.firewalld || backend == Backend.all) {
      FirewalldRenderer renderer = new FirewalldRenderer();
      out.add(file("firewalld/", renderer.renderDirect(plan).directXml()));
      if (hosts.isPresent()) {
        try {
          renderer
              .renderPolicies(plan, hosts.get())
              .policyFiles()
              .forEach(f -> out.add(file("firewalld/policies/", f)));
        } catch (IllegalArgumentException e) {
          if (backend != Backend.all) {
            throw e;
          }
          skipped.add("firewalld policies: " + e.getMessage());
        }
      }
    }
    if (backend == Backend.redir || backend == Backend.all) {
      try {
        Remedies.redir(plan).files().forEach(f -> out.add(file("systemd/", f)));
      } catch (IllegalArgumentException e) {
        if (backend != Backend.all) {
          throw e;
        }
        skipped.add("redir: " + e.getMessage());
      }
    }
    if (backend == Backend.sysctl || backend == Backend.all) {
      if (plan.lowestFromPort() <= Remedies.DEFAULT_UNPRIVILEGED_PORT_START) {
        Remedies.unprivilegedPortStart(plan).files().forEach(f -> out.add(file("sysctl.d/", f)));
      } else if (backend == Backend.sysctl) {
        throw new IllegalArgumentException(
            "sysctl: every port of the plan is already unprivileged (>= 1024)");
      }
    }
    return out;
  }

  /** What {@code render} prints without {@code --out}. */
  static String stdout(
      RedirectPlan plan, Backend backend, Optional<HostAddresses> hosts, List<String> skipped) {
    switch (backend) {
      case nft -> {
        return plan.toNft();
      }
      case iptables -> {
        return plan.toIptables();
      }
      case firewalld -> {
        if (hosts.isEmpty()) {
          return plan.toFirewalld();
        }
      }
      default -> {}
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
