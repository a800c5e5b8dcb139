package dev.privport.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@link Redirect}'s and {@link RedirectRule}'s written-out equals and hashCode (see the comment
 * there) behave as a record's: equal exactly when every component is, whatever set implementation
 * the components came in.
 */
class RedirectEqualityTest {
  private static final Redirect BASE = Redirect.tcp(80, 8080);

  @Test
  void equalComponentsMakeEqualRedirects() {
    Redirect same =
        new Redirect(
            Protocol.TCP,
            80,
            8080,
            Set.of(Family.IPV6, Family.IPV4),
            EnumSet.allOf(Scope.class),
            Optional.empty());
    assertThat(same).isEqualTo(BASE).hasSameHashCodeAs(BASE);
    assertThat(BASE).isEqualTo(BASE).isNotEqualTo(null).isNotEqualTo("tcp 80 -> 8080");
    Redirect named = BASE.onInterface("eth0");
    assertThat(named).isEqualTo(Redirect.tcp(80, 8080).onInterface("eth0"));
    assertThat(named.hashCode()).isEqualTo(Redirect.tcp(80, 8080).onInterface("eth0").hashCode());
  }

  @Test
  void anyDifferentComponentMakesThemDiffer() {
    List<Redirect> others =
        List.of(
            Redirect.udp(80, 8080),
            Redirect.tcp(81, 8080),
            Redirect.tcp(80, 8081),
            BASE.ipv4Only(),
            BASE.localOnly(),
            BASE.onInterface("eth0"),
            BASE.onInterface("eth1"));
    for (Redirect other : others) {
      assertThat(other).as(other.describe()).isNotEqualTo(BASE);
      assertThat(BASE).as(other.describe()).isNotEqualTo(other);
    }
    assertThat(others).doesNotHaveDuplicates();
  }

  @Test
  void rulesAreEqualExactlyWhenEveryComponentIs() {
    RedirectRule base =
        new RedirectRule(
            Scope.INCOMING, Optional.of("eth0"), Protocol.TCP, Set.of(Family.IPV4), 80, 8080);
    RedirectRule same =
        new RedirectRule(
            Scope.INCOMING, Optional.of("eth0"), Protocol.TCP, EnumSet.of(Family.IPV4), 80, 8080);
    assertThat(same).isEqualTo(base).hasSameHashCodeAs(base);
    assertThat(base).isNotEqualTo(null).isNotEqualTo(BASE);
    List<RedirectRule> others =
        List.of(
            new RedirectRule(
                Scope.INCOMING, Optional.empty(), Protocol.TCP, Set.of(Family.IPV4), 80, 8080),
            new RedirectRule(
                Scope.LOCAL, Optional.empty(), Protocol.TCP, Set.of(Family.IPV4), 80, 8080),
            new RedirectRule(
                Scope.INCOMING, Optional.of("eth0"), Protocol.UDP, Set.of(Family.IPV4), 80, 8080),
            new RedirectRule(
                Scope.INCOMING,
                Optional.of("eth0"),
                Protocol.TCP,
                EnumSet.allOf(Family.class),
                80,
                8080),
            new RedirectRule(
                Scope.INCOMING, Optional.of("eth0"), Protocol.TCP, Set.of(Family.IPV4), 81, 8080),
            new RedirectRule(
                Scope.INCOMING, Optional.of("eth0"), Protocol.TCP, Set.of(Family.IPV4), 80, 8081));
    for (RedirectRule other : others) {
      assertThat(other).as(other.toString()).isNotEqualTo(base);
      assertThat(base).as(other.toString()).isNotEqualTo(other);
    }
    RedirectRule noScope =
        new RedirectRule(null, Optional.empty(), null, Set.of(Family.IPV6), 80, 8080);
    assertThat(noScope)
        .isEqualTo(new RedirectRule(null, Optional.empty(), null, Set.of(Family.IPV6), 80, 8080));
    assertThat(noScope.hashCode())
        .isEqualTo(
            new RedirectRule(null, Optional.empty(), null, Set.of(Family.IPV6), 80, 8080)
                .hashCode());
  }
}
