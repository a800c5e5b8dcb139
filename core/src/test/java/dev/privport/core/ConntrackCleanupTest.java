package dev.privport.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privport.testkit.process.RecordingRunner;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The commands {@link ConntrackCleanup} renders and how it reads conntrack's answers. */
class ConntrackCleanupTest {
  private static List<String> lines(ConntrackCleanup cleanup) {
    return cleanup.commands().stream().map(Command::toShell).toList();
  }

  @Test
  void aTcpOnlyPlanNeedsNoCleanup() {
    ConntrackCleanup cleanup = ConntrackCleanup.forPlan(RedirectPlan.of(80, 8080));
    assertThat(cleanup.isEmpty()).isTrue();
    assertThat(cleanup.toShell()).isEmpty();
  }

  @Test
  void oneCommandPerUdpPortNamingTheFamilyOnlyWhenThereIsOne() {
    RedirectPlan plan =
        RedirectPlan.builder()
            .tcp(80, 8080)
            .udp(514, 5514)
            .add(Redirect.udp(162, 1162).ipv4Only().incomingOnly())
            .add(Redirect.udp(69, 6969).ipv6Only().localOnly())
            .add(Redirect.udp(162, 1162).ipv4Only().localOnly())
            .build();
    assertThat(lines(ConntrackCleanup.forPlan(plan)))
        .containsExactly(
            "conntrack -D -f ipv6 -p udp --orig-port-dst 69",
            "conntrack -D -f ipv4 -p udp --orig-port-dst 162",
            "conntrack -D -p udp --orig-port-dst 514");
  }

  @Test
  void aPortInTwoRedirectsOfDifferentFamiliesCoversBoth() {
    RedirectPlan plan =
        RedirectPlan.of(
            Redirect.udp(514, 5514).ipv4Only(), Redirect.udp(514, 5514).ipv6Only().localOnly());
    assertThat(lines(ConntrackCleanup.forPlan(plan)))
        .containsExactly("conntrack -D -p udp --orig-port-dst 514");
  }

  @Test
  void rangesCountEveryPortAndManyPortsBecomeOneCommand() {
    RedirectPlan few =
        RedirectPlan.builder().udpRange(5000, 5000 + ConntrackCleanup.MAX_PORTS - 1, 6000).build();
    assertThat(ConntrackCleanup.forPlan(few).commands()).hasSize(ConntrackCleanup.MAX_PORTS);
    RedirectPlan many =
        RedirectPlan.builder().udpRange(5000, 5000 + ConntrackCleanup.MAX_PORTS, 6000).build();
    assertThat(lines(ConntrackCleanup.forPlan(many))).containsExactly("conntrack -D -p udp");
  }

  @Test
  void shellLinesCarryOnWhenNothingMatched() {
    assertThat(ConntrackCleanup.forPlan(RedirectPlan.builder().udp(514, 5514).build()).toShell())
        .isEqualTo("conntrack -D -p udp --orig-port-dst 514 || true\n");
  }

  @Test
  void nothingToDeleteIsSuccessAndEveryCommandRuns() {
    ConntrackCleanup cleanup =
        ConntrackCleanup.forPlan(RedirectPlan.builder().udp(162, 1162).udp(514, 5514).build());
    RecordingRunner runner =
        RecordingRunner.scripted(
            RecordingRunner.exit(
                0, "conntrack v1.4.7 (conntrack-tools): 3 flow entries have been deleted.\n"),
            RecordingRunner.exit(
                1, "conntrack v1.4.7 (conntrack-tools): 0 flow entries have been deleted.\n"));
    cleanup.execute(runner);
    assertThat(runner.commands()).isEqualTo(cleanup.commands());
  }

  @Test
  void aRealFailureNamesTheCommandAndConntracksReason() {
    ConntrackCleanup cleanup =
        ConntrackCleanup.forPlan(RedirectPlan.builder().udp(514, 5514).build());
    assertThatThrownBy(
            () ->
                cleanup.execute(
                    RecordingRunner.scripted(
                        RecordingRunner.exit(
                            1,
                            "conntrack v1.4.7 (conntrack-tools): Operation failed: sorry, you must be root or get CAP_NET_ADMIN capability to do this\n"))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "conntrack -D -p udp --orig-port-dst 514 exited 1: conntrack v1.4.7 (conntrack-tools): Operation failed: "
                + "sorry, you must be root or get CAP_NET_ADMIN capability to do this");
    assertThatThrownBy(
            () ->
                cleanup.execute(
                    RecordingRunner.scripted(
                        RecordingRunner.exit(127, "sh: 1: conntrack: not found\n"))))
        .hasMessageContaining("exited 127");
  }

  @Test
  void aConntrackThatCannotRunStopsTheCleanupNamingIt() {
    ConntrackCleanup cleanup =
        ConntrackCleanup.forPlan(RedirectPlan.builder().udp(162, 1162).udp(514, 5514).build());
    RecordingRunner runner =
        RecordingRunner.answering(
            c -> {
              throw new CommandException(c, "cannot start " + c.toShell() + ": not found", null);
            });
    assertThatThrownBy(() -> cleanup.execute(runner))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("cannot start conntrack -D -p udp --orig-port-dst 162: not found");
    assertThat(runner.commands()).hasSize(1);
  }

  @Test
  void theNoteForRenderedTextListsThePortsInOrderAndOnlyForUdp() {
    assertThat(ConntrackCleanup.note(RedirectPlan.of(80, 8080))).isEmpty();
    RedirectPlan plan =
        RedirectPlan.builder()
            .add(Redirect.udp(514, 5514).incomingOnly())
            .add(Redirect.udp(162, 1162).localOnly())
            .build();
    assertThat(ConntrackCleanup.note(plan))
        .isEqualTo(
            "# UDP flows that began before an apply or a remove keep their old path until cleared:\n"
                + "#   conntrack -D -p udp --orig-port-dst PORT   (PORT: 162 514)\n");
    RedirectPlan many = RedirectPlan.builder().udpRange(5000, 5019, 6000).build();
    assertThat(ConntrackCleanup.udpPorts(many.rules()))
        .isEqualTo("5000 5001 5002 5003 5004 5005 5006 5007 ... (20 ports)");
  }
}
