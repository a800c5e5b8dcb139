package dev.privport.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import org.junit.jupiter.api.Test;

class PlanFileTest {
  @Test
  void parsesTheDocumentedSyntax() {
    RedirectPlan plan =
        PlanFile.parse(
            """
        # a comment line
        name web   # trailing comment
        80:8080
        443:8443/tcp

        514:5514/udp ipv4-only incoming-only interface=eth0
        8000-8002:9000
        """,
            "p.plan");
    assertThat(plan)
        .isEqualTo(
            RedirectPlan.builder()
                .name("web")
                .tcp(80, 8080)
                .tcp(443, 8443)
                .add(Redirect.udp(514, 5514).ipv4Only().incomingOnly().onInterface("eth0"))
                .tcp(8000, 9000)
                .tcp(8001, 9001)
                .tcp(8002, 9002)
                .build());
  }

  @Test
  void errorsNameTheLineAndColumn() {
    assertThatThrownBy(() -> PlanFile.parse("80:8080\n  514:5514/udp incomng-only\n", "p.plan"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "p.plan:2:16: unknown option \"incomng-only\" (expected ipv4-only, ipv6-only, incoming-only,"
                + " local-only or interface=IF)");
    assertThatThrownBy(() -> PlanFile.parse("# x\n\n   80=8080\n", "p.plan"))
        .hasMessageStartingWith("p.plan:3:4: redirect must look like FROM:TO");
    assertThatThrownBy(() -> PlanFile.parse("80:8080 interface=a;b\n", "p.plan"))
        .hasMessageStartingWith("p.plan:1:9: interface must be a Linux interface name");
    assertThatThrownBy(() -> PlanFile.parse("name Web\n80:8080\n", "p.plan"))
        .hasMessageStartingWith("p.plan:1:6: name must be 1-12 characters");
    assertThatThrownBy(() -> PlanFile.parse("name a\nname b\n80:8080\n", "p.plan"))
        .hasMessage("p.plan:2:1: the plan is named twice");
    assertThatThrownBy(() -> PlanFile.parse("80:70000\n", "p.plan"))
        .hasMessage("p.plan:1:1: toPort must be a port in 1..65535, got 70000");
    assertThatThrownBy(() -> PlanFile.parse("# nothing\n", "p.plan"))
        .hasMessage("p.plan:2:1: the plan holds no redirect");
    assertThatThrownBy(() -> PlanFile.parse("80:8080\n80:9090\n", "p.plan"))
        .hasMessageStartingWith("p.plan: redirects: tcp 80 -> 9090 conflicts with tcp 80 -> 8080");
  }
}
