package dev.privport.core;

import static dev.privport.core.Checks.check;

import com.google.common.collect.ImmutableList;
import dev.privport.core.spi.BackendKind;
import dev.privport.core.spi.PlanRenderers;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A set of redirects that is applied and removed as one unit: the entry point of privport.
 *
 * <pre>{@code
 * RedirectPlan.of(80, 8080).toNft();           // nft ruleset text for `nft -f`
 * RedirectPlan.builder()
 *     .name("web")
 *     .tcp(80, 8080)
 *     .tcp(443, 8443)
 *     .add(Redirect.udp(514, 5514).incomingOnly())
 *     .build()
 *     .toIptables();
 * }</pre>
 *
 * <p>A plan is immutable and validated when built: ports in range, no two redirects that claim the
 * same protocol, family, scope, port and interface with different targets (identical claims fold
 * into one). Each backend gives the plan one object of its own (an nft table, a pair of iptables
 * chains, a firewalld policy) named after {@link #qualifiedName()}, so removing a plan touches
 * nothing else.
 *
 * <p>Equality is by name and redirects (after duplicates are folded, in the order added).
 */
public final class RedirectPlan {
  /** The name every backend uses for the unnamed plan. */
  public static final String DEFAULT_NAME = "privport";

  private final Optional<String> name;
  private final ImmutableList<Redirect> redirects;
  private final ImmutableList<RedirectRule> rules;

  private RedirectPlan(Optional<String> name, List<Redirect> redirects) {
    name.ifPresent(Checks::planName);
    check(!redirects.isEmpty(), "redirects", "[]", "must hold at least one redirect");
    this.name = name;
    this.redirects = ImmutableList.copyOf(new LinkedHashSet<>(redirects));
    this.rules = canonicalRules(this.redirects);
  }

  /** A TCP redirect from {@code fromPort} to {@code toPort} for IPv4 and IPv6, incoming and local. */
  public static RedirectPlan of(int fromPort, int toPort) {
    return builder().add(Redirect.tcp(fromPort, toPort)).build();
  }

  /** A plan of the given redirects. */
  public static RedirectPlan of(Redirect first, Redirect... more) {
    return builder().add(first).addAll(List.of(more)).build();
  }

  /** A builder for a plan with a name or several redirects. */
  public static Builder builder() {
    return new Builder();
  }

  /** The plan's own name, if it was given one. */
  public Optional<String> name() {
    return name;
  }

  /**
   * The name of every object the plan owns: {@code privport} for the unnamed plan, {@code
   * privport-NAME} for a named one (the nft table, the firewalld policy, the prefix of iptables
   * chains and systemd units).
   */
  public String qualifiedName() {
    return name.map(n -> DEFAULT_NAME + "-" + n).orElse(DEFAULT_NAME);
  }

  /** The redirects, duplicates folded, in the order they were added. */
  public List<Redirect> redirects() {
    return redirects;
  }

  /** The canonical rules every backend renders, in rendering order. */
  public List<RedirectRule> rules() {
    return rules;
  }

  /** nft ruleset text for {@code nft -f}: replaces the plan's table atomically (module privport-nft). */
  public String toNft() {
    return PlanRenderers.render(BackendKind.NFT, this);
  }

  /** {@code iptables}/{@code ip6tables} commands, one a line, for {@code sh -e} (module privport-iptables). */
  public String toIptables() {
    return PlanRenderers.render(BackendKind.IPTABLES, this);
  }

  /** {@code firewall-cmd --direct} commands, one a line (module privport-firewalld). */
  public String toFirewalld() {
    return PlanRenderers.render(BackendKind.FIREWALLD, this);
  }

  /** The lowest port any redirect listens on: the port a sysctl or capability remedy must cover. */
  public int lowestFromPort() {
    return redirects.stream().mapToInt(Redirect::fromPort).min().orElseThrow();
  }

  /**
   * Expands redirects into one claim per (scope, interface, protocol, family, port), refuses
   * conflicting claims, then regroups the families that share a target.
   */
  private static ImmutableList<RedirectRule> canonicalRules(List<Redirect> redirects) {
    record Claim(Scope scope, Optional<String> iface, Protocol protocol, Family family, int port) {}
    Map<Claim, Redirect> claims = new HashMap<>();
    for (Redirect r : redirects) {
      for (Scope scope : r.scopes()) {
        Optional<String> iface = scope == Scope.INCOMING ? r.inputInterface() : Optional.empty();
        for (Family family : r.families()) {
          Claim claim = new Claim(scope, iface, r.protocol(), family, r.fromPort());
          Redirect previous = claims.putIfAbsent(claim, r);
          if (previous != null && previous.toPort() != r.toPort()) {
            throw new IllegalArgumentException(
                "redirects: " + r.describe() + " conflicts with " + previous.describe()
                    + ": both claim " + family.keyword() + " " + scope.name().toLowerCase(java.util.Locale.ROOT)
                    + iface.map(i -> " via " + i).orElse("") + " " + r.protocol().keyword()
                    + " port " + r.fromPort());
          }
        }
      }
    }
    record Target(Scope scope, Optional<String> iface, Protocol protocol, int from, int to) {}
    Map<Target, Set<Family>> grouped = new LinkedHashMap<>();
    claims.forEach((c, r) ->
        grouped.computeIfAbsent(new Target(c.scope(), c.iface(), c.protocol(), c.port(), r.toPort()),
            t -> EnumSet.noneOf(Family.class)).add(c.family()));
    List<RedirectRule> rules = new ArrayList<>(grouped.size());
    grouped.forEach((t, families) ->
        rules.add(new RedirectRule(t.scope(), t.iface(), t.protocol(), families, t.from(), t.to())));
    rules.sort(null);
    return ImmutableList.copyOf(rules);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RedirectPlan p && name.equals(p.name) && redirects.equals(p.redirects);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, redirects);
  }

  @Override
  public String toString() {
    return "RedirectPlan[" + qualifiedName() + ", " + redirects.size() + " redirect(s)]";
  }

  /** Builds a {@link RedirectPlan}; validation happens in {@link #build()} and in each redirect. */
  public static final class Builder {
    private Optional<String> name = Optional.empty();
    private final List<Redirect> redirects = new ArrayList<>();

    private Builder() {}

    /** Names the plan, so several plans can live side by side; see {@link Checks#planName}. */
    public Builder name(String name) {
      this.name = Optional.of(Checks.planName(name));
      return this;
    }

    /** Adds a redirect. */
    public Builder add(Redirect redirect) {
      check(redirect != null, "redirect", null, "must not be null");
      redirects.add(redirect);
      return this;
    }

    /** Adds redirects. */
    public Builder addAll(Iterable<Redirect> more) {
      more.forEach(this::add);
      return this;
    }

    /** Adds a TCP redirect, both families, both scopes. */
    public Builder tcp(int fromPort, int toPort) {
      return add(Redirect.tcp(fromPort, toPort));
    }

    /** Adds a UDP redirect, both families, both scopes. */
    public Builder udp(int fromPort, int toPort) {
      return add(Redirect.udp(fromPort, toPort));
    }

    /** The validated plan. */
    public RedirectPlan build() {
      return new RedirectPlan(name, redirects);
    }
  }
}
