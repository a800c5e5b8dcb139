package dev.privport.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RedirectPlanTest {
  @Test
  void ofIsOneTcpRedirectForEverything() {
    RedirectPlan plan = RedirectPlan.of(80, 8080);
    assertThat(plan.redirects()).containsExactly(Redirect.tcp(80, 8080));
    assertThat(plan.name()).isEmpty();
    assertThat(plan.qualifiedName()).isEqualTo("privport");
    assertThat(plan.rules())
        .containsExactly(
            new RedirectRule(
                Scope.INCOMING,
                Optional.empty(),
                Protocol.TCP,
                Set.of(Family.IPV4, Family.IPV6),
                80,
                8080),
            new RedirectRule(
                Scope.LOCAL,
                Optional.empty(),
                Protocol.TCP,
                Set.of(Family.IPV4, Family.IPV6),
                80,
                8080));
  }

  @Test
  void namedPlansGetTheirOwnObjects() {
    assertThat(RedirectPlan.builder().name("web").tcp(80, 8080).build().qualifiedName())
        .isEqualTo("privport-web");
  }

  @Test
  void identicalDuplicatesFoldIntoOne() {
    RedirectPlan plan =
        RedirectPlan.builder()
            .tcp(80, 8080)
            .tcp(80, 8080)
            .add(Redirect.tcp(80, 8080).ipv4Only())
            .build();
    assertThat(plan.redirects()).hasSize(2);
    assertThat(plan.rules())
        .hasSize(2); // overlapping claims fold too: one incoming rule, one local rule
  }

  @Test
  void conflictingTargetsAreRefusedNamingBoth() {
    assertThatThrownBy(
            () ->
                RedirectPlan.builder()
                    .tcp(80, 8080)
                    .add(Redirect.tcp(80, 9090).ipv6Only().localOnly())
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "redirects: tcp 80 -> 9090 [ipv6, local] conflicts with tcp 80 -> 8080: both claim ipv6 local tcp port 80");
  }

  @Test
  void differentFamiliesProtocolsOrInterfacesMayDiffer() {
    RedirectPlan plan =
        RedirectPlan.builder()
            .add(Redirect.tcp(80, 8080).ipv4Only())
            .add(Redirect.tcp(80, 8081).ipv6Only())
            .udp(80, 8082)
            .add(Redirect.tcp(80, 8083).onInterface("eth0").incomingOnly().ipv4Only())
            .build();
    assertThat(plan.rules())
        .extracting(RedirectRule::toPort)
        .containsExactly(8083, 8080, 8081, 8082, 8080, 8081, 8082);
  }

  @Test
  void rulesAreOrderedMostSpecificInterfaceFirst() {
    RedirectPlan plan =
        RedirectPlan.builder()
            .add(Redirect.tcp(80, 8080).incomingOnly())
            .add(Redirect.tcp(80, 8081).incomingOnly().onInterface("eth+"))
            .add(Redirect.tcp(80, 8082).incomingOnly().onInterface("eth0"))
            .build();
    assertThat(plan.rules())
        .extracting(r -> r.inputInterface().orElse("*"))
        .containsExactly("eth0", "eth+", "*");
  }

  @Test
  void nestedWildcardsAreOrderedLongerPrefixFirstWhateverTheOrderOfAdding() {
    List<Redirect> redirects =
        List.of(
            Redirect.tcp(80, 8080).incomingOnly().onInterface("et+"),
            Redirect.tcp(80, 9090).incomingOnly().onInterface("eth+"),
            Redirect.tcp(80, 9091).incomingOnly().onInterface("e+"),
            Redirect.tcp(80, 9092).incomingOnly().onInterface("eth0"),
            Redirect.tcp(80, 9093).incomingOnly().onInterface("eth0.1+"),
            Redirect.tcp(80, 9094).incomingOnly().onInterface("ab+"),
            Redirect.tcp(80, 9095).incomingOnly());
    List<String> expected = List.of("eth0", "eth0.1+", "eth+", "ab+", "et+", "e+", "*");
    for (int rotation = 0; rotation < redirects.size(); rotation++) {
      List<Redirect> order = new java.util.ArrayList<>(redirects);
      java.util.Collections.rotate(order, rotation);
      assertThat(RedirectPlan.builder().addAll(order).build().rules())
          .extracting(r -> r.inputInterface().orElse("*"))
          .containsExactlyElementsOf(expected);
      java.util.Collections.reverse(order);
      assertThat(RedirectPlan.builder().addAll(order).build().rules())
          .extracting(r -> r.inputInterface().orElse("*"))
          .containsExactlyElementsOf(expected);
    }
  }

  @Test
  void specificityRanksExactNamesAboveEveryWildcard() {
    RedirectRule exact = rule("eth0");
    RedirectRule longest = rule("abcdefghijklmn+");
    RedirectRule shortest = rule("e+");
    RedirectRule any =
        new RedirectRule(
            Scope.INCOMING, Optional.empty(), Protocol.TCP, Set.of(Family.IPV4), 80, 8080);
    assertThat(List.of(exact, longest, shortest, any))
        .extracting(RedirectRule::interfaceSpecificity)
        .containsExactly(16, 15, 2, 0);
  }

  private static RedirectRule rule(String ifname) {
    return new RedirectRule(
        Scope.INCOMING, Optional.of(ifname), Protocol.TCP, Set.of(Family.IPV4), 80, 8080);
  }

  @Test
  void orderOfAddingDoesNotChangeTheRules() {
    RedirectPlan a = RedirectPlan.builder().tcp(443, 8443).udp(514, 5514).tcp(80, 8080).build();
    RedirectPlan b = RedirectPlan.builder().tcp(80, 8080).tcp(443, 8443).udp(514, 5514).build();
    assertThat(a.rules()).isEqualTo(b.rules());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "Web",
        "1web",
        "web_1",
        "web;rm",
        "thirteen-char",
        "w b",
        "wéb",
        "web\"",
        "-web"
      })
  void refusesBadNamesNamingFieldAndValue(String name) {
    assertThatThrownBy(() -> RedirectPlan.builder().name(name))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("name must be 1-12 characters");
  }

  @Test
  void showsHostileValuesEscapedOnOneLine() {
    assertThatThrownBy(() -> RedirectPlan.builder().name("a\nb\"c"))
        .hasMessageEndingWith("got \"a\\u000ab\\\"c\"");
  }

  @Test
  void refusesEmptyPlans() {
    assertThatThrownBy(() -> RedirectPlan.builder().build())
        .hasMessage("redirects must hold at least one redirect, got \"[]\"");
  }

  @Test
  void withoutABackendModuleTheCallNamesTheArtifact() {
    RedirectPlan plan = RedirectPlan.of(80, 8080);
    assertThatThrownBy(plan::toNft)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "No privport nft backend on the class path: add the Maven artifact dev.privport:privport-nft");
    assertThatThrownBy(plan::toIptables).hasMessageContaining("dev.privport:privport-iptables");
    assertThatThrownBy(plan::toFirewalld).hasMessageContaining("dev.privport:privport-firewalld");
  }

  @Test
  void lowestFromPort() {
    assertThat(RedirectPlan.builder().tcp(443, 8443).udp(162, 1162).build().lowestFromPort())
        .isEqualTo(162);
  }
}
