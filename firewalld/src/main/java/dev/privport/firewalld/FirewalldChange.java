package dev.privport.firewalld;

/**
 * What one {@link Firewalld} apply or remove did.
 *
 * @param changed whether firewalld's configuration changed; false when it already held exactly what
 *     was asked (applying twice, removing what is gone)
 * @param calls the D-Bus method calls made: a handful, whatever the plan's size
 */
public record FirewalldChange(boolean changed, int calls) {}
