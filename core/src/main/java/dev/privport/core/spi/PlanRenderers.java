package dev.privport.core.spi;

import dev.privport.core.RedirectPlan;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;

/** Finds {@link PlanRenderer}s on the class path with {@link ServiceLoader}, once per backend. */
public final class PlanRenderers {
  /** Found renderers; a missing backend is looked up again next time (it may be added later). */
  private static final Map<BackendKind, PlanRenderer> FOUND = new ConcurrentHashMap<>();

  private PlanRenderers() {}

  /**
   * The renderer for {@code kind}.
   *
   * @throws IllegalStateException naming the Maven artifact to add when none is on the class path
   */
  public static PlanRenderer find(BackendKind kind) {
    PlanRenderer cached = FOUND.get(kind);
    if (cached != null) {
      return cached;
    }
    for (PlanRenderer renderer :
        ServiceLoader.load(PlanRenderer.class, PlanRenderers.class.getClassLoader())) {
      if (renderer.kind() == kind) {
        FOUND.put(kind, renderer);
        return renderer;
      }
    }
    throw new IllegalStateException(
        "No privport "
            + kind.name().toLowerCase(Locale.ROOT)
            + " backend on the class path: add the Maven artifact "
            + kind.coordinates());
  }

  /** Renders {@code plan} with the backend for {@code kind}. */
  public static String render(BackendKind kind, RedirectPlan plan) {
    return find(kind).render(plan);
  }
}
