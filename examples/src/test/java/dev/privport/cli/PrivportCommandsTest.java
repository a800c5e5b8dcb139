package dev.privport.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@link Privport#subcommand}'s table names exactly the subcommands of {@link Privport.All} (from
 * which help, the man pages and the completion script are generated), each by its own name.
 */
class PrivportCommandsTest {
  private static final List<Class<?>> ALL =
      Arrays.asList(Privport.All.class.getAnnotation(Command.class).subcommands());

  @Test
  void everySubcommandIsFoundByItsNameAndBuiltAlone() {
    for (Class<?> sub : ALL) {
      String name = sub.getAnnotation(Command.class).name();
      assertThat(Privport.subcommand(name)).as(name).isEqualTo(sub);
      CommandLine cli = Privport.commandLine(name);
      assertThat(cli.getSubcommands()).as(name).containsOnlyKeys(name);
      assertThat((Object) cli.getSubcommands().get(name).getCommand()).as(name).isInstanceOf(sub);
    }
  }

  @Test
  void theTableHasNoOtherName() {
    // Every name the table knows is one of All's: a command missing from All (so from --help, the
    // man pages and completion) would still run, unseen.
    List<String> names =
        ALL.stream().map(c -> c.getAnnotation(Command.class).name()).sorted().toList();
    assertThat(names)
        .containsExactly(
            "apply",
            "check",
            "daemon",
            "doctor",
            "install",
            "remove",
            "render",
            "status",
            "uninstall");
    for (String other : List.of("", "--help", "--version", "Render", "render ", "help", "x")) {
      assertThat(Privport.subcommand(other)).as(other).isNull();
      assertThat(Privport.commandLine(other).getSubcommands()).as(other).hasSize(ALL.size());
    }
  }
}
