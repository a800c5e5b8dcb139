package dev.privport.core;

import static dev.privport.core.Checks.check;

import com.google.common.collect.ImmutableSet;
import com.google.common.collect.Sets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One redirect intent: traffic for {@code fromPort} is served by the local service listening on
 * {@code toPort}. Immutable; every wither returns a new instance.
 *
 * <p>By default a redirect applies to IPv4 and IPv6 and to both scopes: {@link Scope#INCOMING}
 * (other hosts connecting to this host) and {@link Scope#LOCAL} (this host connecting to itself).
 *
 * <pre>{@code
 * Redirect.tcp(80, 8080);                              // both families, both scopes
 * Redirect.udp(514, 5514).ipv4Only().incomingOnly();   // syslog from the network, IPv4 only
 * Redirect.tcp(443, 8443).onInterface("eth0");         // from the network: only via eth0
 * }</pre>
 *
 * @param protocol the transport protocol
 * @param fromPort the (privileged) port clients connect to, 1..65535
 * @param toPort the port the unprivileged service listens on, 1..65535, not {@code fromPort}
 * @param families the address families, not empty
 * @param scopes the scopes, not empty
 * @param inputInterface for {@link Scope#INCOMING}: the interface packets must arrive on; empty for
 *     any. {@link Scope#LOCAL} traffic always travels over {@code lo} and is not restricted by it.
 */
public record Redirect(
    Protocol protocol,
    int fromPort,
    int toPort,
    Set<Family> families,
    Set<Scope> scopes,
    Optional<String> inputInterface) {

  /** Validates every field; see {@link Checks} for the exact rules. */
  public Redirect {
    check(protocol != null, "protocol", protocol, "must not be null");
    Checks.port("fromPort", fromPort);
    Checks.port("toPort", toPort);
    check(fromPort != toPort, "toPort", toPort, "must differ from fromPort " + fromPort);
    check(
        families != null && !families.isEmpty(),
        "families",
        families,
        "must name IPV4, IPV6 or both");
    check(
        scopes != null && !scopes.isEmpty(), "scopes", scopes, "must name INCOMING, LOCAL or both");
    families = Sets.immutableEnumSet(families);
    scopes = Sets.immutableEnumSet(scopes);
    check(
        inputInterface != null,
        "inputInterface",
        inputInterface,
        "must not be null (use Optional.empty())");
    inputInterface.ifPresent(Checks::interfaceName);
    check(
        inputInterface.isEmpty() || scopes.contains(Scope.INCOMING),
        "interface",
        inputInterface.orElse(""),
        "applies to INCOMING traffic only, but this redirect is LOCAL only");
  }

  // equals and hashCode as the record's own would be, written out: the generated ones are an
  // invokedynamic bootstrap whose first run costs a short command line run a tenth of its time.

  @Override
  public boolean equals(Object o) {
    return o instanceof Redirect r
        && protocol == r.protocol
        && fromPort == r.fromPort
        && toPort == r.toPort
        && families.equals(r.families)
        && scopes.equals(r.scopes)
        && inputInterface.equals(r.inputInterface);
  }

  @Override
  public int hashCode() {
    int h = protocol.hashCode();
    h = 31 * h + fromPort;
    h = 31 * h + toPort;
    h = 31 * h + families.hashCode();
    h = 31 * h + scopes.hashCode();
    return 31 * h + inputInterface.hashCode();
  }

  /** A TCP redirect from {@code fromPort} to {@code toPort}, both families, both scopes. */
  public static Redirect tcp(int fromPort, int toPort) {
    return of(Protocol.TCP, fromPort, toPort);
  }

  /** A UDP redirect from {@code fromPort} to {@code toPort}, both families, both scopes. */
  public static Redirect udp(int fromPort, int toPort) {
    return of(Protocol.UDP, fromPort, toPort);
  }

  /** A redirect for {@code protocol}, both families, both scopes. */
  public static Redirect of(Protocol protocol, int fromPort, int toPort) {
    return new Redirect(protocol, fromPort, toPort, ALL_FAMILIES, ALL_SCOPES, Optional.empty());
  }

  /**
   * One redirect per port of a range: {@code fromFirst..fromLast} to {@code toFirst..} of equal
   * width, port by port (80-89 to 8080-8089 is 80 to 8080, 81 to 8081, ...). Every backend renders
   * ranges this way: a kernel "redirect to a port range" would pick any port of it, not the
   * matching one.
   */
  public static List<Redirect> range(Protocol protocol, int fromFirst, int fromLast, int toFirst) {
    Checks.port("fromFirst", fromFirst);
    Checks.port("fromLast", fromLast);
    check(fromLast >= fromFirst, "fromLast", fromLast, "must not be below fromFirst " + fromFirst);
    Checks.port("toFirst", toFirst);
    check(
        toFirst + (fromLast - fromFirst) <= 65535,
        "toFirst",
        toFirst,
        "must leave room for " + (fromLast - fromFirst + 1) + " ports below 65536");
    List<Redirect> out = new ArrayList<>(fromLast - fromFirst + 1);
    for (int p = fromFirst; p <= fromLast; p++) {
      out.add(of(protocol, p, toFirst + (p - fromFirst)));
    }
    return out;
  }

  private static final Set<Family> ALL_FAMILIES =
      Sets.immutableEnumSet(EnumSet.allOf(Family.class));
  private static final Set<Scope> ALL_SCOPES = Sets.immutableEnumSet(EnumSet.allOf(Scope.class));

  /** This redirect for IPv4 traffic only. */
  public Redirect ipv4Only() {
    return withFamilies(ImmutableSet.of(Family.IPV4));
  }

  /** This redirect for IPv6 traffic only. */
  public Redirect ipv6Only() {
    return withFamilies(ImmutableSet.of(Family.IPV6));
  }

  /** This redirect for {@link Scope#INCOMING} traffic only: other hosts connecting to this one. */
  public Redirect incomingOnly() {
    return new Redirect(
        protocol, fromPort, toPort, families, Set.of(Scope.INCOMING), inputInterface);
  }

  /**
   * This redirect for {@link Scope#LOCAL} traffic only: this host connecting to itself.
   *
   * @throws IllegalArgumentException if the redirect is restricted to an input interface
   */
  public Redirect localOnly() {
    return new Redirect(protocol, fromPort, toPort, families, Set.of(Scope.LOCAL), inputInterface);
  }

  /**
   * This redirect with its {@link Scope#INCOMING} part restricted to packets arriving on {@code
   * ifname}. A trailing {@code +} is a wildcard ({@code "eth+"}: every interface whose name begins
   * with {@code eth}). The {@link Scope#LOCAL} part, if any, is unchanged: combine with {@link
   * #incomingOnly()} to catch nothing but that interface's traffic.
   */
  public Redirect onInterface(String ifname) {
    return new Redirect(
        protocol, fromPort, toPort, families, scopes, Optional.of(Checks.interfaceName(ifname)));
  }

  private Redirect withFamilies(Set<Family> newFamilies) {
    return new Redirect(protocol, fromPort, toPort, newFamilies, scopes, inputInterface);
  }

  /** A short, stable description, e.g. {@code tcp 80 -> 8080 [ipv4, incoming via eth0]}. */
  public String describe() {
    StringBuilder out =
        new StringBuilder()
            .append(protocol.keyword())
            .append(' ')
            .append(fromPort)
            .append(" -> ")
            .append(toPort);
    StringBuilder qualifiers = new StringBuilder();
    if (families.size() == 1) {
      qualifiers.append(families.iterator().next().keyword());
    }
    // "incoming via eth0" already says incoming; saying it twice reads as two scopes.
    if (scopes.size() == 1 && inputInterface.isEmpty()) {
      append(qualifiers, scopes.contains(Scope.INCOMING) ? "incoming" : "local");
    }
    inputInterface.ifPresent(i -> append(qualifiers, "incoming via " + i));
    if (qualifiers.length() > 0) {
      out.append(" [").append(qualifiers).append(']');
    }
    return out.toString();
  }

  private static void append(StringBuilder out, String text) {
    if (out.length() > 0) {
      out.append(", ");
    }
    out.append(text);
  }
}
