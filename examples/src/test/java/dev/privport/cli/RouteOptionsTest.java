package dev.privport.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.core.Command;
import dev.privport.core.CommandRunner;
import dev.privport.core.SubprocessRunner;
import dev.privport.testkit.lab.Kernel;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The default backend's probe: its shortcut says what the real command says. */
class RouteOptionsTest {
  @Test
  void iptablesVariantFromTheBinarysNameIsWhatIptablesVersionSays() throws Exception {
    Kernel.requireCommand("iptables");
    Optional<String> quick = RouteOptions.QuickProbe.iptablesVariant();
    assertThat(quick)
        .as("Debian, Fedora and Alpine link iptables to an xtables multi-call binary")
        .isPresent();
    CommandRunner.Outcome real = SubprocessRunner.create().run(Command.of("iptables", "--version"));
    String version = real.stdout() + real.stderr();
    assertThat(quick.get().contains("legacy")).isEqualTo(version.contains("legacy"));
    assertThat(quick.get().contains("nf_tables")).isEqualTo(version.contains("nf_tables"));
  }
}
