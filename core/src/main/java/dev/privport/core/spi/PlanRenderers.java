package dev.privport.core.spi;

import dev.privport.core.Checks;
import dev.privport.core.RedirectPlan;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one entry point to the backends: finds each {@link PlanRenderer} with {@link ServiceLoader},
 * once per backend. The set of backends is closed (see {@link PlanRenderer}).
 */
public final class PlanRenderers {
  /** Found renderers; a missing backend is looked up again next time (it may be added later). */
  private static final Map<Backend, PlanRenderer> FOUND = new ConcurrentHashMap<>();

  private PlanRenderers() {}

  /**
   * The renderer for {@code backend}.
   *
   * @throws IllegalArgumentException for a remedy that is not rendered from a plan (the capability
   *     and the ping group range: see {@code Remedies})
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
    // Every remedy is in privport-core, so only a firewall's module can be missing: a remedy not
    // found is one that takes no plan.
    Checks.check(
        backend.firewall(),
        "backend",
        backend.cliName(),
        "is not rendered from a plan (see Remedies)");
    throw new IllegalStateException(
        "No privport "
            + backend.cliName()
            + " backend on the class path: add the Maven artifact "
            + backend.coordinates());
  }

  /** Renders {@code plan}'s headline text with {@code backend}. */
  public static String render(Backend backend, RedirectPlan plan) {
    return find(backend).render(plan);
  }

  /** Everything {@code backend} renders for {@code plan} with {@code options}. */
  public static Rendering rendering(Backend backend, RedirectPlan plan, RenderOptions options) {
    return find(backend).rendering(plan, options);
  }
}
