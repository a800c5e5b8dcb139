package dev.privport.examples;

import dev.privport.core.ConntrackCleanup;
import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import dev.privport.core.spi.Backend;
import dev.privport.core.spi.PlanRenderers;
import dev.privport.core.spi.RenderOptions;
import dev.privport.core.spi.Rendering;

/**
 * Example, after the OpenNMS-on-port-514 write-up this project grew from: a monitoring server
 * (OpenNMS) running as an unprivileged user must receive syslog on 514/udp and SNMP traps on
 * 162/udp from the network. Redirect them to 10514 and 10162, where the JVM listens; or, as the
 * alternative remedy, lower the unprivileged port start to 162 in the container's own network
 * namespace. Run: {@code java -cp privport.jar dev.privport.examples.OpenNmsSyslogAndTraps}.
 */
public final class OpenNmsSyslogAndTraps {
  private OpenNmsSyslogAndTraps() {}

  /** The plan: UDP only, from other hosts only (devices send to the server). */
  public static RedirectPlan plan() {
    return RedirectPlan.builder()
        .name("opennms")
        .add(Redirect.udp(514, 10514).incomingOnly())
        .add(Redirect.udp(162, 10162).incomingOnly())
        .build();
  }

  /**
   * The nft rules; the conntrack commands to run after loading them (devices send from one source
   * port without pausing, so their flows would otherwise keep going to 514 and 162); and the sysctl
   * alternative with its warning.
   */
  public static String render() {
    Rendering sysctl =
        PlanRenderers.rendering(Backend.UNPRIVILEGED_PORT_START, plan(), RenderOptions.NONE);
    return plan().toNft()
        + "\n# After nft -f: move devices that are already sending onto the redirect.\n"
        + ConntrackCleanup.forPlan(plan()).toShell()
        + "\n# Alternative: lower the unprivileged port start ("
        + sysctl.files().get(0).path()
        + ")\n# "
        + sysctl.notes().get(0)
        + "\n"
        + sysctl.files().get(0).content();
  }

  public static void main(String[] args) {
    System.out.print(render());
  }
}
