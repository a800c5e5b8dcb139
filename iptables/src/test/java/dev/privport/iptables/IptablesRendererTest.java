package dev.privport.iptables;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.core.Command;
import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import dev.privport.testkit.process.RecordingRunner;
import org.junit.jupiter.api.Test;

class IptablesRendererTest {
  private final IptablesRenderer renderer = new IptablesRenderer();

  @Test
  void rendersIdempotentShellLines() {
    String text = RedirectPlan.of(Redirect.tcp(80, 8080).ipv4Only().incomingOnly()).toIptables();
    assertThat(text)
        .isEqualTo(
            """
        # privport plan "privport": iptables/ip6tables commands, rendered by privport.
        # Idempotent: run with sh -e as often as needed. Owns the nat chains PRIVPORT-IN and PRIVPORT-LOCAL.
        if firewall-cmd --state >/dev/null 2>&1; then echo 'privport: warning: firewalld runs here and its next firewall-cmd --reload deletes these chains; use the firewalld backend' >&2; fi
        iptables -w -t nat -L PRIVPORT-IN -n >/dev/null 2>&1 || iptables -w -t nat -N PRIVPORT-IN
        iptables -w -t nat -F PRIVPORT-IN
        iptables -w -t nat -A PRIVPORT-IN -p tcp -m tcp --dport 80 -m comment --comment 'tcp 80 -> 8080' -j REDIRECT --to-ports 8080
        iptables -w -t nat -C PREROUTING -m addrtype --dst-type LOCAL -j PRIVPORT-IN >/dev/null 2>&1 || iptables -w -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j PRIVPORT-IN
        while iptables -w -t nat -C OUTPUT -o lo -j PRIVPORT-LOCAL >/dev/null 2>&1; do iptables -w -t nat -D OUTPUT -o lo -j PRIVPORT-LOCAL; done
        if iptables -w -t nat -L PRIVPORT-LOCAL -n >/dev/null 2>&1; then iptables -w -t nat -F PRIVPORT-LOCAL; fi
        if iptables -w -t nat -L PRIVPORT-LOCAL -n >/dev/null 2>&1; then iptables -w -t nat -X PRIVPORT-LOCAL; fi
        while ip6tables -w -t nat -C PREROUTING -m addrtype --dst-type LOCAL -j PRIVPORT-IN >/dev/null 2>&1; do ip6tables -w -t nat -D PREROUTING -m addrtype --dst-type LOCAL -j PRIVPORT-IN; done
        if ip6tables -w -t nat -L PRIVPORT-IN -n >/dev/null 2>&1; then ip6tables -w -t nat -F PRIVPORT-IN; fi
        if ip6tables -w -t nat -L PRIVPORT-IN -n >/dev/null 2>&1; then ip6tables -w -t nat -X PRIVPORT-IN; fi
        while ip6tables -w -t nat -C OUTPUT -o lo -j PRIVPORT-LOCAL >/dev/null 2>&1; do ip6tables -w -t nat -D OUTPUT -o lo -j PRIVPORT-LOCAL; done
        if ip6tables -w -t nat -L PRIVPORT-LOCAL -n >/dev/null 2>&1; then ip6tables -w -t nat -F PRIVPORT-LOCAL; fi
        if ip6tables -w -t nat -L PRIVPORT-LOCAL -n >/dev/null 2>&1; then ip6tables -w -t nat -X PRIVPORT-LOCAL; fi
        """);
  }

  @Test
  void namedPlanChainsFitIptablesLimit() {
    RedirectPlan plan = RedirectPlan.builder().name("abcdefghijkl").tcp(80, 8080).build();
    assertThat(IptablesArgs.chain(plan, dev.privport.core.Scope.LOCAL))
        .isEqualTo("PRIVPORT-ABCDEFGHIJKL-LOCAL")
        .hasSizeLessThanOrEqualTo(28);
  }

  @Test
  void restoreFilesOnlyForFamiliesWithRules() {
    IptablesRendering r = renderer.renderAll(RedirectPlan.of(Redirect.udp(514, 5514).ipv4Only()));
    assertThat(r.restoreIpv6()).isEmpty();
    assertThat(r.restoreIpv4().orElseThrow())
        .contains("*nat\n:PRIVPORT-IN - [0:0]\n:PRIVPORT-LOCAL - [0:0]\n")
        .contains(
            "-A PRIVPORT-IN -p udp -m udp --dport 514 -m comment --comment \"udp 514 -> 5514\" -j REDIRECT --to-ports 5514\n")
        .endsWith(
            "-A PREROUTING -m addrtype --dst-type LOCAL -j PRIVPORT-IN\n-A OUTPUT -o lo -j PRIVPORT-LOCAL\nCOMMIT\n");
  }

  @Test
  void stepsHonourTheirGuards() {
    // A fake ruleset where nothing exists: guards (-L, -C) fail, everything else succeeds.
    RecordingRunner fake =
        RecordingRunner.answering(
            c -> RecordingRunner.exit(c.argv().contains("-L") || c.argv().contains("-C") ? 1 : 0));
    renderer
        .renderAll(RedirectPlan.of(Redirect.tcp(80, 8080).ipv4Only().localOnly()))
        .executeRemove(fake);
    assertThat(fake.commands())
        .isNotEmpty()
        .allMatch(c -> c.argv().contains("-L") || c.argv().contains("-C")); // nothing to remove
  }

  @Test
  void shellQuotingKeepsEveryWordIntact() {
    assertThat(Command.of("iptables", "--comment", "tcp 80 -> 8080", "it's").toShell())
        .isEqualTo("iptables --comment 'tcp 80 -> 8080' 'it'\\''s'");
  }
}
