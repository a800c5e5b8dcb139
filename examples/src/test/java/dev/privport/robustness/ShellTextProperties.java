package dev.privport.robustness;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.core.Command;
import dev.privport.core.RedirectPlan;
import dev.privport.core.Step;
import dev.privport.firewalld.FirewalldDirectRules;
import dev.privport.firewalld.FirewalldRenderer;
import dev.privport.iptables.IptablesRenderer;
import dev.privport.testkit.process.Cmd;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The shell text privport renders is what it means: {@code sh -n} accepts it, and every command,
 * read back by a real shell, is exactly the argv privport would run without one.
 */
class ShellTextProperties {
  static final int TRIES = 200;

  @Provide
  Arbitrary<RedirectPlan> plans() {
    return Plans.plans(30);
  }

  @Property(tries = TRIES)
  void shellTextParsesAndEveryCommandTokenisesToItsArgv(@ForAll("plans") RedirectPlan plan) {
    for (String text : List.of(plan.toIptables(), plan.toFirewalld())) {
      Cmd.Result syntax = Cmd.run(List.of("sh", "-n"), text);
      assertThat(syntax.exitCode()).as(syntax.stderr()).isZero();
    }
    List<Command> commands = new ArrayList<>();
    for (Step step : new IptablesRenderer().renderAll(plan).apply()) {
      commands.add(step.command());
      step.guard().ifPresent(commands::add);
    }
    FirewalldDirectRules direct = new FirewalldRenderer().renderDirect(plan);
    commands.addAll(direct.runtimeAdd());
    commands.addAll(direct.permanentRemove());
    // One shell prints each command's words, NUL-separated, one record per command.
    StringBuilder script = new StringBuilder();
    for (Command c : commands) {
      script.append("printf '%s\\0' ").append(c.toShell()).append("; printf '\\n'\n");
    }
    Cmd.Result r = Cmd.run(List.of("sh"), script.toString());
    assertThat(r.exitCode()).as(r.stderr()).isZero();
    String[] records = r.stdout().split("\n", -1);
    for (int i = 0; i < commands.size(); i++) {
      List<String> words =
          List.of(records[i].split("\0", -1)).subList(0, records[i].split("\0", -1).length - 1);
      assertThat(words).as(commands.get(i).toShell()).isEqualTo(commands.get(i).argv());
    }
  }
}
