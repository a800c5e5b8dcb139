package dev.privport.core.spi;

import dev.privport.core.RedirectPlan;
import java.util.ServiceLoader;

/** Finds {@link PlanRenderer}s on the class path with {@link ServiceLoader}. */
public final class PlanRenderers {
  private PlanRenderers() {}

  /**
   * The renderer for {@code kind}.
   *
   * @throws IllegalStateException naming the Maven artifact to add when none is on the class path
   */
  public static PlanRenderer find(BackendKind kind) {
    for (PlanRenderer renderer : ServiceLoader.load(PlanRenderer.class, PlanRenderers.class.getClassLoader())) {
      if (renderer.kind() == kind) {
        return renderer;
      }
    }
    throw new IllegalStateException(
        "No privport " + kind.name().toLowerCase(java.util.Locale.ROOT)
            + " backend on the class path: add the Maven artifact " + kind.coordinates());
  }

  /** Renders {@code plan} with the backend for {@code kind}. */
  public static String render(BackendKind kind, RedirectPlan plan) {
    return find(kind).render(plan);
  }
}
