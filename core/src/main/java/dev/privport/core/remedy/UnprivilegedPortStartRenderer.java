package dev.privport.core.remedy;

import dev.privport.core.RedirectPlan;
import dev.privport.core.spi.Backend;
import dev.privport.core.spi.PlanRenderer;
import dev.privport.core.spi.RenderOptions;
import dev.privport.core.spi.Rendering;
import java.util.List;

/**
 * {@link Remedies#unprivilegedPortStart(RedirectPlan)} through the SPI, judged against this host's
 * current value: one drop-in, {@code sysctl.d/90-Q-unprivileged-port-start.conf}, named after the
 * plan so that plans never share it. A plan whose every port is unprivileged by default (>= 1024)
 * renders nothing, with a note saying so.
 */
public final class UnprivilegedPortStartRenderer implements PlanRenderer {
  private static final String DIR = "sysctl.d";

  @Override
  public Backend backend() {
    return Backend.UNPRIVILEGED_PORT_START;
  }

  /** The apply steps, one command a line (none when the host already allows the ports). */
  @Override
  public String render(RedirectPlan plan) {
    return Remedies.shellLines(rendering(plan, RenderOptions.NONE).apply());
  }

  @Override
  public Rendering rendering(RedirectPlan plan, RenderOptions options) {
    if (plan.lowestFromPort() > Remedies.DEFAULT_UNPRIVILEGED_PORT_START) {
      return new Rendering(
          List.of(),
          List.of(),
          List.of(),
          List.of("every port of the plan is already unprivileged (>= 1024)"));
    }
    return Remedies.unprivilegedPortStart(plan).rendering(f -> path(plan));
  }

  @Override
  public boolean owns(RedirectPlan plan, String path) {
    return path.equals(path(plan));
  }

  @Override
  public List<String> directories() {
    return List.of(DIR);
  }

  private static String path(RedirectPlan plan) {
    return DIR + "/90-" + plan.qualifiedName() + "-unprivileged-port-start.conf";
  }
}
