package dev.privport.core.spi;

import dev.privport.core.RedirectPlan;

/**
 * A backend that renders a {@link RedirectPlan} as text. Implementations register in {@code
 * META-INF/services/dev.privport.core.spi.PlanRenderer} and need a public no-argument constructor;
 * {@link PlanRenderers} finds them with {@link java.util.ServiceLoader}.
 */
public interface PlanRenderer {
  /** Which backend this is. */
  Backend backend();

  /** The plan's apply artifact as text, deterministic for equal plans. */
  String render(RedirectPlan plan);
}
