package dev.privport.core;

import static dev.privport.core.Checks.check;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.Sets;
import dev.privport.core.spi.Backend;
import dev.privport.core.spi.PlanRenderers;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
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

  /**
   * The most distinct redirects one plan may hold: 1 048 576. A few bytes of input (a plan file
   * line {@code 1000-60000:2000}) expand to tens of thousands of redirects, so the bound keeps
   * hostile input from exhausting memory; real plans hold far fewer.
   */
  public static final int MAX_REDIRECTS = 1 << 20;

  private final Optional<String> name;
  private final ImmutableList<Redirect> redirects;
  private final ImmutableList<RedirectRule> rules;

  private RedirectPlan(Optional<String> name, List<Redirect> redirects) {
    name.ifPresent(Checks::planName);
    check(!redirects.isEmpty(), "redirects", "[]", "must hold at least one redirect");
    this.name = name;
    this.redirects = ImmutableList.copyOf(redirects); // distinct: the builder keeps a set
    this.rules = canonicalRules(this.redirects);
  }

  /**
   * A TCP redirect from {@code fromPort} to {@code toPort} for IPv4 and IPv6, incoming and local.
   */
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

  /**
   * nft ruleset text for {@code nft -f}: replaces the plan's table atomically (module
   * privport-nft).
   */
  public String toNft() {
    return PlanRenderers.render(Backend.NFT, this);
  }

  /**
   * {@code iptables}/{@code ip6tables} commands, one a line, for {@code sh -e} (module
   * privport-iptables).
   */
  public String toIptables() {
    return PlanRenderers.render(Backend.IPTABLES, this);
  }

  /** {@code firewall-cmd --direct} commands, one a line (module privport-firewalld). */
  public String toFirewalld() {
    return PlanRenderers.render(Backend.FIREWALLD, this);
  }

  /** The lowest port any redirect listens on: the port a sysctl or capability remedy must cover. */
  public int lowestFromPort() {
    return redirects.stream().mapToInt(Redirect::fromPort).min().orElseThrow();
  }

  private static final Set<Family> BOTH = Sets.immutableEnumSet(Family.IPV4, Family.IPV6);
  private static final Set<Family> V4 = Sets.immutableEnumSet(Family.IPV4);
  private static final Set<Family> V6 = Sets.immutableEnumSet(Family.IPV6);

  /**
   * Expands redirects into one claim per (interface, scope, protocol, port, family), refuses
   * conflicting claims, then regroups the families that share a target. Claims are packed into
   * longs and sorted, so a plan of 100 000 redirects needs a few MiB, not a map of objects.
   */
  private static ImmutableList<RedirectRule> canonicalRules(List<Redirect> redirects) {
    Map<String, Integer> ifaceIndex = new HashMap<>();
    List<Optional<String>> ifaces = new ArrayList<>(List.of(Optional.empty()));
    long[] claims = new long[redirects.size() * 4];
    int n = 0;
    for (Redirect r : redirects) {
      for (Scope scope : r.scopes()) {
        long iface = 0;
        if (scope == Scope.INCOMING && r.inputInterface().isPresent()) {
          iface =
              ifaceIndex.computeIfAbsent(
                  r.inputInterface().get(),
                  name -> {
                    ifaces.add(Optional.of(name));
                    return ifaces.size() - 1;
                  });
        }
        for (Family family : r.families()) {
          claims[n++] = Claim.pack(iface, scope, r.protocol(), r.fromPort(), family, r.toPort());
        }
      }
    }
    Arrays.sort(claims, 0, n);
    List<RedirectRule> rules = new ArrayList<>();
    int i = 0;
    while (i < n) {
      long claim = claims[i];
      int j = i + 1;
      while (j < n && claims[j] == claim) {
        j++; // identical claims fold into one
      }
      if (j < n && Claim.samePortAndFamily(claims[j], claim)) {
        throw conflict(redirects, claim, claims[j]);
      }
      // The other family of the same (interface, scope, protocol, port), if claimed, is adjacent.
      Set<Family> families = Claim.family(claim) == Family.IPV4 ? V4 : V6;
      int k = j;
      if (families == V4
          && k < n
          && Claim.samePort(claims[k], claim)
          && Claim.toPort(claims[k]) == Claim.toPort(claim)) {
        families = BOTH;
        long other = claims[k];
        while (k < n && claims[k] == other) {
          k++;
        }
        if (k < n && Claim.samePortAndFamily(claims[k], other)) {
          throw conflict(redirects, other, claims[k]);
        }
      }
      rules.add(
          new RedirectRule(
              Claim.scope(claim),
              ifaces.get(Claim.iface(claim)),
              Claim.protocol(claim),
              families,
              Claim.fromPort(claim),
              Claim.toPort(claim)));
      i = k;
    }
    rules.sort(null);
    return ImmutableList.copyOf(rules);
  }

  /**
   * One claim packed into a long, most significant first, so that sorting claims groups them by
   * interface, scope, protocol, port and family: bits 35.. the interface's index (0: any), 34 the
   * scope, 33 the protocol, 17-32 the port listened on, 16 the family, 0-15 the target port.
   */
  private static final class Claim {
    private static final int TO_SHIFT = 0;
    private static final int FAMILY_SHIFT = 16;
    private static final int FROM_SHIFT = 17;
    private static final int PROTOCOL_SHIFT = 33;
    private static final int SCOPE_SHIFT = 34;
    private static final int IFACE_SHIFT = 35;
    private static final long PORT_MASK = 0xFFFF;
    private static final long BIT = 1;
    // values() copies its array on every call; a claim is decoded for every redirect.
    private static final Scope[] SCOPES = Scope.values();
    private static final Protocol[] PROTOCOLS = Protocol.values();
    private static final Family[] FAMILIES = Family.values();

    private Claim() {}

    static long pack(
        long iface, Scope scope, Protocol protocol, int fromPort, Family family, int toPort) {
      return iface << IFACE_SHIFT
          | (long) scope.ordinal() << SCOPE_SHIFT
          | (long) protocol.ordinal() << PROTOCOL_SHIFT
          | (long) fromPort << FROM_SHIFT
          | (long) family.ordinal() << FAMILY_SHIFT
          | (long) toPort << TO_SHIFT;
    }

    static int iface(long claim) {
      return (int) (claim >>> IFACE_SHIFT);
    }

    static Scope scope(long claim) {
      return SCOPES[(int) ((claim >>> SCOPE_SHIFT) & BIT)];
    }

    static Protocol protocol(long claim) {
      return PROTOCOLS[(int) ((claim >>> PROTOCOL_SHIFT) & BIT)];
    }

    static int fromPort(long claim) {
      return (int) ((claim >>> FROM_SHIFT) & PORT_MASK);
    }

    static Family family(long claim) {
      return FAMILIES[(int) ((claim >>> FAMILY_SHIFT) & BIT)];
    }

    static int toPort(long claim) {
      return (int) ((claim >>> TO_SHIFT) & PORT_MASK);
    }

    /** Same interface, scope, protocol and port listened on; any family and target. */
    static boolean samePort(long a, long b) {
      return a >>> FROM_SHIFT == b >>> FROM_SHIFT;
    }

    /** Same interface, scope, protocol, port listened on and family; any target. */
    static boolean samePortAndFamily(long a, long b) {
      return a >>> FAMILY_SHIFT == b >>> FAMILY_SHIFT;
    }
  }

  /** The error for two claims of the same port with different targets, naming both redirects. */
  private static IllegalArgumentException conflict(List<Redirect> redirects, long a, long b) {
    Scope scope = Claim.scope(a);
    Protocol protocol = Claim.protocol(a);
    Family family = Claim.family(a);
    int port = Claim.fromPort(a);
    List<Redirect> claimants =
        redirects.stream()
            .filter(
                r ->
                    r.protocol() == protocol
                        && r.fromPort() == port
                        && r.scopes().contains(scope)
                        && r.families().contains(family)
                        && (r.toPort() == Claim.toPort(a) || r.toPort() == Claim.toPort(b)))
            .toList();
    Redirect first = claimants.get(0);
    Redirect second =
        claimants.stream().filter(r -> r.toPort() != first.toPort()).findFirst().orElse(first);
    String via =
        scope == Scope.INCOMING ? second.inputInterface().map(x -> " via " + x).orElse("") : "";
    return new IllegalArgumentException(
        "redirects: "
            + second.describe()
            + " conflicts with "
            + first.describe()
            + ": both claim "
            + family.keyword()
            + " "
            + scope.name().toLowerCase(Locale.ROOT)
            + via
            + " "
            + protocol.keyword()
            + " port "
            + port);
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
    // A set: identical redirects fold as they are added, so only distinct ones count to the bound.
    private final Set<Redirect> redirects = new LinkedHashSet<>();

    private Builder() {}

    /** Names the plan, so several plans can live side by side; see {@link Checks#planName}. */
    public Builder name(String name) {
      this.name = Optional.of(Checks.planName(name));
      return this;
    }

    /** Adds a redirect. */
    public Builder add(Redirect redirect) {
      check(redirect != null, "redirect", null, "must not be null");
      if (redirects.add(redirect) && redirects.size() > MAX_REDIRECTS) {
        redirects.remove(redirect);
        throw new IllegalArgumentException(
            "redirects must be at most " + MAX_REDIRECTS + " in one plan, got more");
      }
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

    /** Adds TCP redirects for a port range, port by port: see {@link Redirect#range}. */
    public Builder tcpRange(int fromFirst, int fromLast, int toFirst) {
      return addAll(Redirect.range(Protocol.TCP, fromFirst, fromLast, toFirst));
    }

    /** Adds UDP redirects for a port range, port by port: see {@link Redirect#range}. */
    public Builder udpRange(int fromFirst, int fromLast, int toFirst) {
      return addAll(Redirect.range(Protocol.UDP, fromFirst, fromLast, toFirst));
    }

    /** The validated plan. */
    public RedirectPlan build() {
      return new RedirectPlan(name, ImmutableList.copyOf(redirects));
    }
  }
}
