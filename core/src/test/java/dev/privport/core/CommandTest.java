package dev.privport.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Shell rendering and program lookup of {@link Command}. */
class CommandTest {
  @Test
  void wordsAreQuotedOnlyWhereTheyNeedIt() {
    assertThat(
            Command.of(
                    "iptables", "-A", "X", "-m", "comment", "--comment", "tcp 80 -> 8080", "it's")
                .toShell())
        .isEqualTo("iptables -A X -m comment --comment 'tcp 80 -> 8080' 'it'\\''s'");
  }

  @Test
  void anEmptyArgvIsRefused() {
    assertThatThrownBy(() -> new Command(List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("argv ");
  }

  @Test
  void programsAreFoundOnThePathAndInTheSbinDirectories() {
    assertThat(Command.of("sh").locate())
        .hasValueSatisfying(p -> assertThat(p.getFileName()).isEqualTo(Path.of("sh")));
    assertThat(Command.of("/bin/sh", "-c", "true").resolvedArgv())
        .containsExactly("/bin/sh", "-c", "true");
    // sysctl lives in /usr/sbin or /sbin, which a user's PATH often lacks: it is found there
    // anyway.
    assertThat(Command.of("sysctl").locate()).isPresent();
    assertThat(Command.of("privport-no-such-program-x", "a").locate()).isEmpty();
    assertThat(Command.of("privport-no-such-program-x", "a").resolvedArgv())
        .containsExactly("privport-no-such-program-x", "a");
    assertThat(Command.of("/nonexistent/sh").locate()).isEmpty();
  }

  @Test
  void runLocallyGivesStatusAndBothOutputs() {
    assertThat(
            Command.of("sh", "-c", "echo out; echo err >&2; exit 3")
                .runLocally(Duration.ofSeconds(30)))
        .hasValueSatisfying(
            o -> {
              assertThat(o.exitStatus()).isEqualTo(3);
              assertThat(o.output()).contains("out\n").contains("err\n");
            });
    assertThat(Command.of("privport-no-such-program-x").runLocally(Duration.ofSeconds(30)))
        .isEmpty();
  }

  @Test
  void aChildThatOutlivesTheTimeoutGivesNothing() {
    // It keeps its output open: the timeout must still apply (reading first would wait for it).
    assertThat(Command.of("sh", "-c", "exec sleep 30").runLocally(Duration.ofMillis(200)))
        .isEmpty();
  }
}
