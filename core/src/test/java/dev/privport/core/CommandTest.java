package dev.privport.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Shell rendering of {@link Command}. */
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
}
