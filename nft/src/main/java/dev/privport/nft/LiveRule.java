package dev.privport.nft;

import dev.privport.core.RedirectRule;
import java.util.List;

/**
 * One rule found in a plan's live table.
 *
 * @param chain the chain it is in
 * @param handle its handle, which {@code nft delete rule ... handle N} takes
 * @param redirects the redirects it implements: one for a plain rule, a map's elements for a map
 *     rule; empty when its shape is not one privport renders (a rule added by hand, say)
 * @param packets its counter's packets (a map rule counts its whole group)
 * @param bytes its counter's bytes
 */
public record LiveRule(
    String chain, long handle, List<RedirectRule> redirects, long packets, long bytes) {
  public LiveRule {
    redirects = List.copyOf(redirects);
  }

  /** Whether privport recognised the rule. */
  public boolean recognised() {
    return !redirects.isEmpty();
  }
}
