package dev.privport.core.spi;

import dev.privport.core.RedirectPlan;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;

/** Finds {@link PlanRenderer}s on the class path with {@link ServiceLoader}, once per backend. */
public final class PlanRenderers {
  /** Found renderers; a missing backend is looked up again next time (it may be added later). */
  private static final Map<Backend, PlanRenderer> FOUND = new ConcurrentHashMap<>();

  private PlanRenderers() {}

  /**
   * The renderer for {@code backend}.
   *
   * @throws IllegalStateException naming the Maven artifact to add when none is on the class path
   */
  public static PlanRenderer find(Backend backend) {
    PlanRenderer cached = FOUND.get(backend);
    if (cached != null) {
      return cached;
    }
    for (PlanRenderer renderer :
        ServiceLoader.load(PlanRenderer.class, PlanRenderers.class.getClassLoader())) {
      if (renderer.backend() == backend) {
        FOUND.put(backend, renderer);
        return renderer;
      }
    }
    throw new IllegalStateException(
        "No privport "
            + backend.name().toLowerCase(Locale.ROOT)
            + " backend on the class path: add the Maven artifact "
            + backend.coordinates());
  }

  /** Renders {@code plan} with the backend for {@code backend}. */
  public static String render(Backend backend, RedirectPlan plan) {
    return find(backend).render(plan);
  }
}
