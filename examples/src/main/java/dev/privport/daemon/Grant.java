package dev.privport.daemon;

import dev.privport.core.Family;
import dev.privport.core.Protocol;
import dev.privport.core.Redirect;
import dev.privport.core.Scope;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One {@code allow} line of the policy: who may redirect which privileged ports of one protocol to
 * which range of ports, and how far the redirects must be narrowed.
 *
 * @param subject the user or group the grant is for
 * @param protocol the one protocol it covers
 * @param ports the from-ports it covers, ascending
 * @param low the lowest to-port allowed
 * @param high the highest to-port allowed
 * @param families the families a redirect may cover (one when the grant says ipv4-only/ipv6-only)
 * @param scopes the scopes a redirect may cover (one when the grant says incoming-only/local-only)
 * @param inputInterface when present, the interface a redirect must be restricted to
 * @param where the policy line, {@code FILE:LINE}, for log lines and errors
 */
public record Grant(
    Subject subject,
    Protocol protocol,
    List<Integer> ports,
    int low,
    int high,
    Set<Family> families,
    Set<Scope> scopes,
    Optional<String> inputInterface,
    String where) {

  /** Copies the collections. */
  public Grant {
    ports = List.copyOf(ports);
    families = Set.copyOf(families);
    scopes = Set.copyOf(scopes);
  }

  /** Who a grant is for. */
  public sealed interface Subject permits User, Group {
    /** Whether the peer (with its passwd entry, when it has one) is this subject. */
    boolean includes(Peer peer, Optional<UserDatabase.Account> account);

    /** As written in the policy. */
    String label();
  }

  /**
   * A user, by uid (names are resolved when the policy is loaded).
   *
   * @param uid the uid
   * @param label the name or number as written
   */
  public record User(int uid, String label) implements Subject {
    @Override
    public boolean includes(Peer peer, Optional<UserDatabase.Account> account) {
      return peer.uid() == uid;
    }
  }

  /**
   * A group: the peer's own gid, its passwd entry's primary group, or membership listed in the
   * group database.
   *
   * @param gid the gid
   * @param label {@code @NAME} or {@code @GID} as written
   * @param members the user names the group database lists
   */
  public record Group(int gid, String label, List<String> members) implements Subject {
    /** Copies the members. */
    public Group {
      members = List.copyOf(members);
    }

    @Override
    public boolean includes(Peer peer, Optional<UserDatabase.Account> account) {
      return peer.gid() == gid
          || account.map(a -> a.gid() == gid || members.contains(a.name())).orElse(false);
    }
  }

  /** Whether this grant speaks about {@code r} at all: same protocol, a listed from-port. */
  public boolean covers(Redirect r) {
    return r.protocol() == protocol && ports.contains(r.fromPort());
  }

  /** Why this grant does not allow {@code r}, which it {@link #covers}; empty when it allows it. */
  public Optional<String> refusal(Redirect r) {
    if (r.toPort() < low || r.toPort() > high) {
      return Optional.of(
          "target port " + r.toPort() + " is outside the granted range " + low + "-" + high);
    }
    if (!families.containsAll(r.families())) {
      return Optional.of("the grant requires " + only(families));
    }
    if (!scopes.containsAll(r.scopes())) {
      return Optional.of("the grant requires " + only(scopes));
    }
    if (inputInterface.isPresent() && !inputInterface.equals(r.inputInterface())) {
      return Optional.of(
          "the grant requires interface="
              + inputInterface.get()
              + ", got "
              + r.inputInterface().map(i -> "interface=" + i).orElse("no interface"));
    }
    return Optional.empty();
  }

  private static String only(Set<? extends Enum<?>> values) {
    return values.stream()
        .map(v -> v.name().toLowerCase(Locale.ROOT) + "-only")
        .collect(Collectors.joining(", "));
  }

  /** The grant as one policy line (normalised), for logs. */
  public String describe() {
    StringBuilder out =
        new StringBuilder("allow ")
            .append(subject.label())
            .append(' ')
            .append(protocol.keyword())
            .append(' ')
            .append(ports.stream().map(String::valueOf).collect(Collectors.joining(",")))
            .append(" to ")
            .append(low)
            .append('-')
            .append(high);
    if (families.size() == 1) {
      out.append(' ').append(families.iterator().next().keyword()).append("-only");
    }
    if (scopes.size() == 1) {
      out.append(' ')
          .append(scopes.iterator().next().name().toLowerCase(Locale.ROOT))
          .append("-only");
    }
    inputInterface.ifPresent(i -> out.append(" interface=").append(i));
    return out.toString();
  }
}
