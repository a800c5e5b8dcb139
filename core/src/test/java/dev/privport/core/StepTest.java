package dev.privport.core;

import static dev.privport.testkit.process.RecordingRunner.exit;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privport.testkit.process.RecordingRunner;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How a {@link Step}'s guard decides, told apart with a recording runner. */
class StepTest {
  private static final Command CHECK = Command.of("iptables", "-C", "X");
  private static final Command CHANGE = Command.of("iptables", "-D", "X");

  @Test
  void unlessRunsTheCommandOnlyWhenTheGuardFails() {
    RecordingRunner present = RecordingRunner.scripted(exit(0));
    Step.unless(CHECK, CHANGE).execute(present);
    assertThat(present.commands()).containsExactly(CHECK);

    RecordingRunner absent = RecordingRunner.scripted(exit(1), exit(0));
    Step.unless(CHECK, CHANGE).execute(absent);
    assertThat(absent.commands()).containsExactly(CHECK, CHANGE);
  }

  @Test
  void onlyIfRunsTheCommandOnceWhenTheGuardSucceeds() {
    RecordingRunner present = RecordingRunner.scripted(exit(0), exit(0));
    Step.onlyIf(CHECK, CHANGE).execute(present);
    assertThat(present.commands()).containsExactly(CHECK, CHANGE);

    RecordingRunner absent = RecordingRunner.scripted(exit(1));
    Step.onlyIf(CHECK, CHANGE).execute(absent);
    assertThat(absent.commands()).containsExactly(CHECK);
  }

  @Test
  void whilstRemovesEveryCopy() {
    RecordingRunner twice = RecordingRunner.scripted(exit(0), exit(0), exit(0), exit(0), exit(1));
    Step.whilst(CHECK, CHANGE).execute(twice);
    assertThat(twice.commands()).containsExactly(CHECK, CHANGE, CHECK, CHANGE, CHECK);
  }

  @Test
  void aFailingCommandStopsTheStepsNamingItAndWhatItSaid() {
    RecordingRunner runner =
        RecordingRunner.scripted(
            exit(0), exit(2, "iptables v1.8.9 (nf_tables): Chain 'X' does not exist\nTry -h\n"));
    assertThatThrownBy(
            () ->
                Step.executeAll(
                    List.of(Step.always(CHECK), Step.always(CHANGE), Step.always(CHECK)), runner))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "iptables -D X exited 2: iptables v1.8.9 (nf_tables): Chain 'X' does not exist");
    assertThat(runner.commands()).containsExactly(CHECK, CHANGE);
  }

  @Test
  void aGuardThatCannotRunIsAnErrorNotAnAnswer() {
    // Read as "absent", it would make an undo skip a rule that may still be there.
    RecordingRunner runner =
        RecordingRunner.answering(
            c -> {
              throw new CommandException(c, "iptables -C X did not finish within 60 s", null);
            });
    assertThatThrownBy(() -> Step.onlyIf(CHECK, CHANGE).execute(runner))
        .isInstanceOf(CommandException.class)
        .hasMessage("iptables -C X did not finish within 60 s");
    assertThat(runner.commands()).containsExactly(CHECK);
  }
}
