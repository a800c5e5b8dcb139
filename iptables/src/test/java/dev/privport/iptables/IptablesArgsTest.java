package dev.privport.iptables;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import dev.privport.core.RedirectRule;
import dev.privport.core.Scope;
import org.junit.jupiter.api.Test;

class IptablesArgsTest {
  @Test
  void aRuleIsItsMatchAndTargetWithTheInterfaceFirst() {
    RedirectRule rule =
        RedirectPlan.of(Redirect.udp(514, 5514).incomingOnly().onInterface("eth0")).rules().get(0);
    assertThat(IptablesArgs.ruleArgs(rule))
        .containsExactly(
            "-i",
            "eth0",
            "-p",
            "udp",
            "-m",
            "udp",
            "--dport",
            "514",
            "-m",
            "comment",
            "--comment",
            "udp 514 -> 5514",
            "-j",
            "REDIRECT",
            "--to-ports",
            "5514");
    assertThat(IptablesArgs.ruleArgs(rule, "privport-web: x")).contains("privport-web: x");
  }

  @Test
  void eachScopeHasItsChainAndGuard() {
    assertThat(IptablesArgs.builtinChain(Scope.INCOMING)).isEqualTo("PREROUTING");
    assertThat(IptablesArgs.builtinChain(Scope.LOCAL)).isEqualTo("OUTPUT");
    assertThat(IptablesArgs.scopeGuard(Scope.INCOMING))
        .containsExactly("-m", "addrtype", "--dst-type", "LOCAL");
    assertThat(IptablesArgs.scopeGuard(Scope.LOCAL)).containsExactly("-o", "lo");
  }
}
