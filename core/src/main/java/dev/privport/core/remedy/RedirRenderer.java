package dev.privport.core.remedy;

import dev.privport.core.RedirectPlan;
import dev.privport.core.spi.Backend;
import dev.privport.core.spi.PlanRenderer;
import dev.privport.core.spi.RenderOptions;
import dev.privport.core.spi.Rendering;
import java.util.List;
import java.util.regex.Pattern;

/**
 * {@link Remedies#redir} through the SPI: a {@code systemd/Q-redir-PORT.service} unit per TCP port.
 */
public final class RedirRenderer implements PlanRenderer {
  private static final String DIR = "systemd";

  @Override
  public Backend backend() {
    return Backend.REDIR;
  }

  /** The apply steps, one command a line. */
  @Override
  public String render(RedirectPlan plan) {
    return Remedies.shellLines(Remedies.redir(plan).apply());
  }

  @Override
  public Rendering rendering(RedirectPlan plan, RenderOptions options) {
    return Remedies.redir(plan).rendering(f -> DIR + "/" + f.fileName());
  }

  @Override
  public boolean owns(RedirectPlan plan, String path) {
    return Pattern.matches(
        DIR + "/" + Pattern.quote(plan.qualifiedName()) + "-redir-[0-9]+\\.service", path);
  }

  @Override
  public List<String> directories() {
    return List.of(DIR);
  }
}
