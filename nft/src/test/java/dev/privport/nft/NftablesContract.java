package dev.privport.nft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import dev.privport.core.RedirectRule;
import dev.privport.core.Scope;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The {@link Nftables} contract, run against both executors ({@link FakeNftablesContractTest}, and
 * {@link LibnftablesContractTest} on the kernel in a namespace): every expectation is a literal, so
 * both passing means they agree, down to rule handles and the text of each difference. Changes
 * behind the executor's back go through the subclass: the {@code nft} command for the kernel, the
 * fake's own simulation for the fake.
 */
abstract class NftablesContract {
  /**
   * Two plain rules per scope and a map of 9 in the incoming chain: every shape privport renders.
   */
  static final RedirectPlan MIXED = mixed(40_000, null);

  static final RedirectPlan MIXED_CHANGED = mixed(50_000, null);
  static final RedirectPlan NAMED = mixed(40_000, "web");

  static RedirectPlan mixed(int base, String name) {
    RedirectPlan.Builder b = RedirectPlan.builder().tcp(80, 8080).udp(514, 5514);
    if (name != null) {
      b.name(name);
    }
    for (int i = 0; i < 9; i++) {
      b.add(Redirect.tcp(20_000 + i, base + i).ipv4Only().incomingOnly());
    }
    return b.build();
  }

  /** The executor under test, open. */
  abstract Nftables nft();

  /** A second executor on the same ruleset, which the test closes. */
  abstract Nftables another();

  /** {@code nft flush ruleset}, behind the executor's back. */
  abstract void flushRuleset();

  /** Deletes the rule or map element implementing {@code rule}, behind the executor's back. */
  abstract void deleteRedirect(RedirectPlan plan, RedirectRule rule);

  private static RedirectRule rule(RedirectPlan plan, Scope scope, int port) {
    return plan.rules().stream()
        .filter(r -> r.scope() == scope && r.fromPort() == port)
        .findFirst()
        .orElseThrow();
  }

  private static List<String> lines(PlanStatus s) {
    return s.differences().stream().map(Difference::line).toList();
  }

  /** Each live rule as chain#handle:redirects packets/bytes. */
  private static List<String> live(PlanStatus s) {
    return s.live().stream()
        .map(
            l ->
                l.chain()
                    + "#"
                    + l.handle()
                    + ":"
                    + l.redirects().size()
                    + " "
                    + l.packets()
                    + "/"
                    + l.bytes())
        .toList();
  }

  @Test
  void anAppliedPlanIsInSyncWithItsRulesNumberedAsTheKernelNumbersThem() {
    nft().apply(MIXED);
    PlanStatus s = nft().inspect(MIXED);
    assertThat(s.present()).isTrue();
    assertThat(s.inSync()).isTrue();
    assertThat(lines(s)).isEmpty();
    assertThat(s.missing()).isEmpty();
    assertThat(s.extra()).isEmpty();
    assertThat(s.unrecognised()).isEmpty();
    assertThat(live(s))
        .containsExactly(
            "incoming#4:1 0/0",
            "incoming#5:9 0/0",
            "incoming#6:1 0/0",
            "local#7:1 0/0",
            "local#8:1 0/0");
    assertThat(s.find(rule(MIXED, Scope.INCOMING, 20_003)).orElseThrow().handle()).isEqualTo(5);
  }

  @Test
  void applyingTwiceEqualsApplyingOnce() {
    nft().apply(MIXED);
    List<String> once = live(nft().inspect(MIXED));
    nft().apply(MIXED);
    PlanStatus twice = nft().inspect(MIXED);
    assertThat(twice.inSync()).isTrue();
    assertThat(live(twice)).hasSize(once.size());
  }

  @Test
  void anotherPlanReplacesTheTableAndTheOldPlanSeesEachChangedElement() {
    nft().apply(MIXED);
    nft().apply(MIXED_CHANGED);
    assertThat(nft().inspect(MIXED_CHANGED).inSync()).isTrue();
    PlanStatus old = nft().inspect(MIXED);
    assertThat(lines(old))
        .hasSize(9)
        .contains("map incoming_tcp_ipv4: element 20003 : 50003, plan says 20003 : 40003");
    assertThat(old.missing()).hasSize(9);
    assertThat(old.extra()).hasSize(9);
  }

  @Test
  void removeDeletesTheTableAndSucceedsWhenItIsGone() {
    nft().apply(MIXED);
    nft().remove(MIXED);
    PlanStatus s = nft().inspect(MIXED);
    assertThat(s.present()).isFalse();
    assertThat(s.inSync()).isFalse();
    assertThat(lines(s)).containsExactly("table inet privport: absent");
    assertThat(s.missing()).isEqualTo(MIXED.rules());
    assertThat(s.live()).isEmpty();
    nft().remove(MIXED);
  }

  @Test
  void eachPlanOwnsItsTable() {
    nft().apply(MIXED);
    nft().apply(NAMED);
    nft().remove(MIXED);
    assertThat(nft().inspect(NAMED).inSync()).isTrue();
    assertThat(lines(nft().inspect(MIXED))).containsExactly("table inet privport: absent");
    nft().remove(NAMED);
    assertThat(lines(nft().inspect(NAMED))).containsExactly("table inet privport-web: absent");
  }

  @Test
  void aFlushedRulesetIsAbsentAndApplyingPutsItBack() {
    nft().apply(MIXED);
    flushRuleset();
    assertThat(lines(nft().inspect(MIXED))).containsExactly("table inet privport: absent");
    nft().apply(MIXED);
    assertThat(nft().inspect(MIXED).inSync()).isTrue();
  }

  @Test
  void aMapElementDeletedByHandIsOneDifferenceAndApplyingRepairsIt() {
    nft().apply(MIXED);
    RedirectRule gone = rule(MIXED, Scope.INCOMING, 20_003);
    deleteRedirect(MIXED, gone);
    PlanStatus s = nft().inspect(MIXED);
    assertThat(lines(s))
        .containsExactly("map incoming_tcp_ipv4: element 20003 missing, plan says 20003 : 40003");
    assertThat(s.missing()).containsExactly(gone);
    nft().apply(MIXED);
    assertThat(nft().inspect(MIXED).inSync()).isTrue();
  }

  @Test
  void aRuleDeletedByHandIsOneDifference() {
    nft().apply(MIXED);
    RedirectRule gone = rule(MIXED, Scope.LOCAL, 514);
    deleteRedirect(MIXED, gone);
    PlanStatus s = nft().inspect(MIXED);
    assertThat(lines(s))
        .containsExactly(
            "chain local: rule \"udp 514 -> 5514\" missing, plan says oifname lo udp dport 514"
                + " counter redirect to :5514");
    assertThat(s.missing()).containsExactly(gone);
    assertThat(live(s))
        .containsExactly(
            "incoming#4:1 0/0", "incoming#5:9 0/0", "incoming#6:1 0/0", "local#7:1 0/0");
  }

  @Test
  void aConfirmedTrialKeepsThePlan() {
    nft().apply(MIXED);
    Trial trial = nft().begin(MIXED_CHANGED);
    assertThat(trial.recovered()).isEmpty();
    assertThat(nft().inspect(MIXED_CHANGED).inSync()).isTrue();
    trial.confirm();
    assertThat(nft().inspect(MIXED_CHANGED).inSync()).isTrue();
    assertThatThrownBy(trial::rollback)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("this trial was already confirmed or rolled back");
  }

  @Test
  void aRolledBackTrialPutsThePreviousTableBack() {
    nft().apply(MIXED);
    Trial trial = nft().begin(MIXED_CHANGED);
    Trial.Rollback r = trial.rollback();
    assertThat(r)
        .isEqualTo(
            new Trial.Rollback(true, "table inet privport is back to its state before the trial"));
    assertThat(nft().inspect(MIXED).inSync()).isTrue();
  }

  @Test
  void aRolledBackTrialOfANewTableRemovesIt() {
    Trial trial = nft().begin(MIXED);
    assertThat(trial.rollback())
        .isEqualTo(
            new Trial.Rollback(
                true, "table inet privport is removed again: it did not exist before the trial"));
    assertThat(nft().inspect(MIXED).present()).isFalse();
  }

  @Test
  void aSecondTrialOfTheSameTableWaitsForTheFirst() {
    Trial trial = nft().begin(MIXED);
    try {
      assertThatThrownBy(() -> nft().begin(MIXED_CHANGED))
          .isInstanceOfSatisfying(
              NftablesException.class,
              e -> assertThat(e.reason()).isEqualTo(NftablesException.Reason.TRIAL_PENDING))
          .hasMessage(
              "table inet privport: a trial by process "
                  + ProcessHandle.current().pid()
                  + " is waiting for confirmation; confirm it or let it roll back first");
      assertThat(nft().recover(MIXED)).isEmpty(); // its owner still waits
    } finally {
      trial.rollback();
    }
  }

  @Test
  void aTrialRollbackLeavesATableChangedMeanwhileAlone() {
    nft().apply(MIXED);
    Trial trial = nft().begin(MIXED_CHANGED);
    deleteRedirect(MIXED_CHANGED, rule(MIXED_CHANGED, Scope.INCOMING, 20_001));
    assertThat(trial.rollback())
        .isEqualTo(
            new Trial.Rollback(
                false,
                "table inet privport changed since the trial applied it (another process applied or"
                    + " removed it): left as it is"));
    assertThat(lines(nft().inspect(MIXED_CHANGED)))
        .containsExactly("map incoming_tcp_ipv4: element 20001 missing, plan says 20001 : 50001");
  }

  @Test
  void aTrialIsPendingUntilConfirmedOrRolledBack() {
    assertThat(nft().trialPending(MIXED)).isFalse();
    Trial trial = nft().begin(MIXED);
    assertThat(nft().trialPending(MIXED)).isTrue();
    trial.confirm();
    assertThat(nft().trialPending(MIXED)).isFalse();
    Trial second = nft().begin(MIXED_CHANGED);
    assertThat(nft().trialPending(MIXED_CHANGED)).isTrue();
    second.rollback();
    assertThat(nft().trialPending(MIXED_CHANGED)).isFalse();
  }

  @Test
  void recoverWithNoTrialDoesNothing() {
    assertThat(nft().recover(MIXED)).isEqualTo(Optional.empty());
  }

  @Test
  void nullPlansAreRefusedBeforeAnythingHappens() {
    for (java.util.function.Consumer<RedirectPlan> call :
        List.<java.util.function.Consumer<RedirectPlan>>of(
            nft()::apply,
            nft()::check,
            nft()::remove,
            nft()::inspect,
            nft()::begin,
            nft()::recover,
            nft()::trialPending)) {
      assertThatThrownBy(() -> call.accept(null)).isInstanceOf(NullPointerException.class);
    }
    assertThat(nft().inspect(MIXED).present()).isFalse();
  }

  @Test
  void aCheckChangesNothing() {
    nft().check(MIXED);
    assertThat(nft().inspect(MIXED).present()).isFalse();
  }

  @Test
  void aClosedExecutorRefusesEveryCall() {
    Nftables other = another();
    other.close();
    for (java.util.function.Consumer<RedirectPlan> call :
        List.<java.util.function.Consumer<RedirectPlan>>of(
            other::apply,
            other::check,
            other::remove,
            other::inspect,
            other::begin,
            other::trialPending)) {
      assertThatThrownBy(() -> call.accept(MIXED))
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("this Nftables executor is closed");
    }
    assertThat(nft().inspect(MIXED).present()).isFalse();
  }
}
