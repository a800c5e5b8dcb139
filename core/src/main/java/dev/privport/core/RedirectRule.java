package dev.privport.core;

import com.google.common.collect.ComparisonChain;
import com.google.common.collect.Ordering;
import com.google.common.collect.Sets;
import java.util.Comparator;
import java.util.Optional;
import java.util.Set;

/**
 * One scope's share of a plan, in canonical form: what each backend renders as one rule (or one map
 * entry). {@link RedirectPlan#rules()} derives these from the plan's redirects after folding
 * overlaps, so no backend has to repeat that logic and every backend renders the same set.
 *
 * @param scope the single scope this rule acts in
 * @param inputInterface for {@link Scope#INCOMING}: the interface packets must arrive on; always
 *     empty for {@link Scope#LOCAL}
 * @param protocol the transport protocol
 * @param families the families that share this exact redirect (one or both)
 * @param fromPort the port clients connect to
 * @param toPort the port the service listens on
 */
public record RedirectRule(
    Scope scope,
    Optional<String> inputInterface,
    Protocol protocol,
    Set<Family> families,
    int fromPort,
    int toPort)
    implements Comparable<RedirectRule> {

  /**
   * Rendering order: the most specific interface first, so that when several rules could match a
   * packet, the first one to match is the most specific. An exact name matches one interface and
   * comes first; then wildcards, longer prefixes before shorter ({@code eth+} before {@code et+},
   * which also matches {@code eth0}); rules for any interface come last. Names break ties, so the
   * order is total and the text deterministic.
   */
  private static final Comparator<Optional<String>> INTERFACE_ORDER = new InterfaceOrder();

  /** The highest {@link #interfaceSpecificity()}: an exact interface name. */
  public static final int EXACT_INTERFACE = 16;

  /** One family before both; then IPv4 before IPv6. */
  private static final Comparator<Set<Family>> FAMILY_ORDER = new FamilyOrder();

  // The two orders as classes, not Comparator.comparing(...).thenComparing(...): those are lambdas
  // inside java.util.Comparator, which the class-data-sharing archive does not hold, so every short
  // run spun them (and the lambda machinery's first use) anew.

  private static final class InterfaceOrder implements Comparator<Optional<String>> {
    @Override
    public int compare(Optional<String> a, Optional<String> b) {
      int bySpecificity = Integer.compare(specificity(b), specificity(a));
      return bySpecificity != 0 ? bySpecificity : a.orElse("").compareTo(b.orElse(""));
    }
  }

  private static final class FamilyOrder implements Comparator<Set<Family>> {
    @Override
    public int compare(Set<Family> a, Set<Family> b) {
      int bySize = Integer.compare(a.size(), b.size());
      return bySize != 0 ? bySize : a.iterator().next().compareTo(b.iterator().next());
    }
  }

  public RedirectRule {
    families = Sets.immutableEnumSet(families);
    if (scope == Scope.LOCAL && inputInterface.isPresent()) {
      throw new IllegalArgumentException(
          "inputInterface must be empty for LOCAL rules, got " + inputInterface);
    }
  }

  // equals and hashCode as the record's own would be, written out: the generated ones are an
  // invokedynamic bootstrap whose first run costs a short command line run a tenth of its time.

  @Override
  public boolean equals(Object o) {
    return o instanceof RedirectRule r
        && scope == r.scope
        && inputInterface.equals(r.inputInterface)
        && protocol == r.protocol
        && families.equals(r.families)
        && fromPort == r.fromPort
        && toPort == r.toPort;
  }

  @Override
  public int hashCode() {
    int h = java.util.Objects.hashCode(scope);
    h = 31 * h + inputInterface.hashCode();
    h = 31 * h + java.util.Objects.hashCode(protocol);
    h = 31 * h + families.hashCode();
    h = 31 * h + fromPort;
    return 31 * h + toPort;
  }

  /** True when the rule is for one family only, so a backend must say which. */
  public boolean singleFamily() {
    return families.size() == 1;
  }

  /** The only family, for {@link #singleFamily()} rules. */
  public Family family() {
    if (!singleFamily()) {
      throw new IllegalStateException("rule is for both families: " + this);
    }
    return families.iterator().next();
  }

  /**
   * How narrowly the rule's input interface restricts it: {@value #EXACT_INTERFACE} for an exact
   * name, 1 + the prefix length for a wildcard ({@code eth+}: 4; a 14-character prefix: 15), 0 for
   * any interface. Rules are rendered in descending specificity; a backend that orders rules by a
   * number of its own (firewalld's direct-rule priority) derives it from this.
   */
  public int interfaceSpecificity() {
    return specificity(inputInterface);
  }

  private static int specificity(Optional<String> ifname) {
    if (ifname.isEmpty()) {
      return 0;
    }
    String name = ifname.get();
    return name.endsWith("+") ? name.length() : EXACT_INTERFACE;
  }

  /** A short, stable description for comments: {@code tcp 80 -> 8080}. */
  public String describe() {
    return protocol.keyword() + " " + fromPort + " -> " + toPort;
  }

  @Override
  public int compareTo(RedirectRule o) {
    return ComparisonChain.start()
        .compare(scope, o.scope)
        .compare(inputInterface, o.inputInterface, INTERFACE_ORDER)
        .compare(protocol, o.protocol)
        .compare(fromPort, o.fromPort)
        .compare(families, o.families, FAMILY_ORDER)
        .compare(toPort, o.toPort, Ordering.natural())
        .result();
  }
}
