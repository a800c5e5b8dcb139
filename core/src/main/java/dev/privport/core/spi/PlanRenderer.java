package dev.privport.core.spi;

import dev.privport.core.RedirectPlan;
import java.util.List;

/**
 * A backend that renders a {@link RedirectPlan}: the firewalls (nft, iptables, firewalld) and the
 * remedies that take a plan (redir, the unprivileged port start).
 *
 * <p>The backends are a closed set, the constants of {@link Backend}, not a plug-in point for third
 * parties: each lives in its own module (privport-nft, -iptables, -firewalld; the remedies in
 * privport-core) so that a program depends only on what it uses, and {@link PlanRenderers} finds
 * the ones on the class or module path with {@link java.util.ServiceLoader} ({@code
 * META-INF/services/dev.privport.core.spi.PlanRenderer}, a public no-argument constructor). A
 * missing module is an {@link IllegalStateException} naming its Maven artifact.
 */
public interface PlanRenderer {
  /** Which backend this is. */
  Backend backend();

  /** The plan's headline text ({@code toNft()}, {@code toIptables()} ...), deterministic. */
  String render(RedirectPlan plan);

  /**
   * Everything this backend renders for {@code plan}: apply and remove steps, files in the layout
   * of {@link RenderedFile}, notes.
   *
   * @throws IllegalArgumentException naming the field and value when this backend cannot express
   *     the plan with these options (e.g. redir and a UDP redirect)
   */
  Rendering rendering(RedirectPlan plan, RenderOptions options);

  /**
   * Whether {@code path} (relative, '/'-separated) is a file this backend renders for {@code plan}
   * with some options, rendered now or not; files of other plans and foreign files never are.
   */
  boolean owns(RedirectPlan plan, String path);

  /** The directories (relative) where this backend's files are, as {@link #owns} knows them. */
  List<String> directories();
}
