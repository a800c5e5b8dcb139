package dev.privport.cli;

import dev.privport.core.RedirectPlan;
import dev.privport.core.spi.Backend;
import dev.privport.core.spi.PlanRenderers;
import dev.privport.core.spi.RenderOptions;
import dev.privport.core.spi.RenderedFile;
import dev.privport.core.spi.Rendering;
import java.util.ArrayList;
import java.util.List;

/**
 * The files each backend renders for a plan, at the paths of {@link RenderedFile}'s layout below an
 * output directory, reached only through {@link PlanRenderers}. Every name carries the plan's
 * qualified name Q ({@code privport}, or {@code privport-NAME} for a named plan), so plans rendered
 * into one directory never share a file, and each plan owns its files.
 */
final class Artifacts {
  private Artifacts() {}

  /**
   * Whether {@code path} (relative, '/'-separated) is a file {@code plan} owns for {@code backend}
   * (for {@code all}: for any backend), rendered now or not: files of the plan that it no longer
   * renders are stale. Files of other plans and foreign files are never the plan's.
   */
  static boolean owns(RedirectPlan plan, BackendSelection backend, String path) {
    return selected(backend).stream().anyMatch(b -> PlanRenderers.find(b).owns(plan, path));
  }

  /** The directories (relative) where {@link #owns} may find files of {@code backend}. */
  static List<String> directories(BackendSelection backend) {
    List<String> out = new ArrayList<>();
    for (Backend b : selected(backend)) {
      PlanRenderers.find(b).directories().stream().filter(d -> !out.contains(d)).forEach(out::add);
    }
    return out;
  }

  /**
   * The artifacts of {@code backend}; for {@code all}, of every backend that can express the plan
   * ({@code skipped} collects why the others were left out).
   */
  static List<RenderedFile> render(
      RedirectPlan plan, BackendSelection backend, RenderOptions options, List<String> skipped) {
    List<RenderedFile> out = new ArrayList<>();
    for (Backend b : selected(backend)) {
      out.addAll(rendering(plan, b, backend.isAll(), options, skipped).files());
    }
    return out;
  }

  private static Rendering rendering(
      RedirectPlan plan, Backend b, boolean all, RenderOptions options, List<String> skipped) {
    Rendering r;
    try {
      r = PlanRenderers.rendering(b, plan, options);
    } catch (IllegalArgumentException e) {
      if (!all) {
        throw e;
      }
      if (b == Backend.FIREWALLD) {
        // Only the policy route needs more than the plan: keep the direct rules' file.
        skipped.add("firewalld policies: " + e.getMessage());
        return PlanRenderers.rendering(b, plan, RenderOptions.NONE);
      }
      skipped.add(b.cliName() + ": " + e.getMessage());
      return new Rendering(List.of(), List.of(), List.of(), List.of());
    }
    if (r.files().isEmpty() && !all) {
      // Selected alone, a backend that renders nothing for this plan is a mistake worth a word.
      throw new IllegalArgumentException(b.cliName() + ": " + String.join("; ", r.notes()));
    }
    return r;
  }

  /** What {@code render} prints without {@code --out}. */
  static String stdout(
      RedirectPlan plan, BackendSelection backend, RenderOptions options, List<String> skipped) {
    if (backend.only().isPresent()) {
      Backend b = backend.only().get();
      // A firewall's headline text, except for firewalld's policies, which are files.
      if (b.firewall() && (b != Backend.FIREWALLD || options.hostAddresses().isEmpty())) {
        return PlanRenderers.render(b, plan);
      }
    }
    List<RenderedFile> artifacts = render(plan, backend, options, skipped);
    StringBuilder out = new StringBuilder();
    for (RenderedFile a : artifacts) {
      if (out.length() > 0) {
        out.append('\n');
      }
      out.append("### ").append(a.path()).append('\n').append(a.content());
    }
    return out.toString();
  }

  private static List<Backend> selected(BackendSelection backend) {
    return backend.only().map(List::of).orElse(BackendSelection.RENDERED);
  }
}
