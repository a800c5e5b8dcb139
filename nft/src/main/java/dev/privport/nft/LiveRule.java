package dev.privport.nft;

import dev.privport.core.RedirectRule;
import java.util.Optional;

/**
 * One rule found in a plan's live table.
 *
 * @param chain the chain it is in
 * @param handle its handle, which {@code nft delete rule ... handle N} takes
 * @param rule the redirect it implements, or empty when its shape is not one privport renders
 *     (a rule added by hand, say)
 * @param packets its counter's packets
 * @param bytes its counter's bytes
 */
public record LiveRule(String chain, long handle, Optional<RedirectRule> rule, long packets, long bytes) {}
