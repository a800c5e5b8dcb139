package dev.privport.robustness;

import dev.privport.core.Protocol;
import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/** Generators of valid plans for the robustness properties. */
final class Plans {
  private Plans() {}

  /** Interfaces a generated redirect may be restricted to (h0/h1 exist in the lab). */
  static final List<String> INTERFACES =
      List.of("eth0", "ens3", "br-0a1b2c", "veth+", "wlp2s0", "vlan.10", "h0", "h1", "h+");

  /**
   * A target port that depends only on protocol and source port, so generated redirects never
   * conflict (conflicts are the model's own tests' business) while targets still vary widely.
   */
  static int target(Protocol protocol, int from) {
    int to = 1024 + Math.floorMod(from * 7919 + protocol.ordinal() * 13, 64000);
    return to == from ? (to == 65535 ? 1024 : to + 1) : to;
  }

  static Arbitrary<Redirect> redirect(
      Arbitrary<Integer> fromPorts,
      List<String> interfaces,
      java.util.function.IntBinaryOperator to) {
    Arbitrary<Protocol> protocol = Arbitraries.of(Protocol.class);
    Arbitrary<Integer> family = Arbitraries.integers().between(0, 2);
    Arbitrary<Integer> scope = Arbitraries.integers().between(0, 2);
    Arbitrary<Optional<String>> iface = Arbitraries.of(interfaces).optional(0.3);
    return Combinators.combine(protocol, fromPorts, family, scope, iface)
        .as(
            (p, from, f, s, i) -> {
              Redirect r = Redirect.of(p, from, to.applyAsInt(p.ordinal(), from));
              r = f == 1 ? r.ipv4Only() : f == 2 ? r.ipv6Only() : r;
              r = s == 1 ? r.incomingOnly() : s == 2 ? r.localOnly() : r;
              return i.isPresent() && s != 2 ? r.onInterface(i.get()) : r;
            });
  }

  static Arbitrary<Optional<String>> names() {
    Arbitrary<String> head = Arbitraries.chars().range('a', 'z').map(String::valueOf);
    Arbitrary<String> tail =
        Arbitraries.strings().withChars("abcdefghijklmnopqrstuvwxyz0123456789-").ofMaxLength(11);
    return Combinators.combine(head, tail).as(String::concat).optional(0.5);
  }

  /** Plans of 1 to {@code max} redirects on any ports, named or not. */
  static Arbitrary<RedirectPlan> plans(int max) {
    Arbitrary<Integer> ports =
        Arbitraries.integers().between(1, 65535).edgeCases(c -> c.includeOnly(1, 80, 1023, 65535));
    Arbitrary<List<Redirect>> redirects =
        redirect(ports, INTERFACES, (proto, from) -> target(Protocol.values()[proto], from))
            .list()
            .ofMinSize(1)
            .ofMaxSize(max);
    return Combinators.combine(names(), redirects)
        .as(
            (name, list) -> {
              RedirectPlan.Builder b = RedirectPlan.builder().addAll(list);
              name.ifPresent(b::name);
              return b.build();
            });
  }
}
