package dev.privport.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.testkit.lab.Kernel;
import dev.privport.testkit.lab.Netns;
import dev.privport.testkit.process.CliProcess;
import dev.privport.testkit.process.Cmd;
import dev.privport.testkit.process.TempDirs;
import dev.privport.testkit.traffic.Echo;
import dev.privport.testkit.traffic.Flows;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code apply}, {@code status} and {@code remove} through libnftables, as real processes whose
 * default locale writes digits other than ASCII's. jffi (under jnr-ffi) once formatted its native
 * stub's name in that locale and could not find it, so every libnftables command failed there. Each
 * process keeps its state in a directory of this test's own, never in the host's {@code /run}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LocaleProcessTest {
  private Netns ns;
  private Echo.Servers listeners;
  private Path state;

  @BeforeAll
  void createNamespace() {
    Kernel.requireRoot();
    Kernel.requireCommand("nft");
    ns = Netns.create("fixes");
    listeners = ns.call(() -> new Echo.Servers(80, 8080));
  }

  @AfterAll
  void deleteNamespace() {
    if (listeners != null) listeners.close();
    if (ns != null) ns.close();
  }

  @BeforeEach
  void empty() {
    ns.sh("nft", "flush", "ruleset");
    Flows.forget(ns);
    state = TempDirs.create("fixes-state");
  }

  @AfterEach
  void clean() {
    TempDirs.delete(state);
  }

  /** Runs privport in the namespace with the locale given as {@code -Duser.*} options. */
  private Cmd.Result privport(String locale, String... args) {
    return CliProcess.java().in(ns).stateIn(state).withJvmOptions(locale.split(" ")).run(args);
  }

  private String local80() {
    return ns.call(() -> Echo.tcp("127.0.0.1", 80));
  }

  private boolean tablePresent() {
    return ns.exec("nft", "list", "table", "inet", "privport").exitCode() == 0;
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "-Duser.language=ar -Duser.country=EG",
        "-Duser.language=th -Duser.country=TH -Duser.variant=TH"
      })
  void applyStatusAndRemoveWorkUnderALocaleWithOtherDigits(String locale) {
    assertThat(local80()).as("no redirect yet").isEqualTo("port=80");

    Cmd.Result apply = privport(locale, "apply", "80:8080");
    assertThat(apply.exitCode()).as(apply.stdout() + apply.stderr()).isZero();
    assertThat(tablePresent()).isTrue();
    assertThat(local80()).as("redirected by the kernel").isEqualTo("port=8080");

    Cmd.Result status = privport(locale, "status", "80:8080");
    assertThat(status.exitCode()).as(status.stdout() + status.stderr()).isZero();

    Cmd.Result remove = privport(locale, "remove", "80:8080");
    assertThat(remove.exitCode()).as(remove.stdout() + remove.stderr()).isZero();
    assertThat(tablePresent()).isFalse();
    Flows.forget(ns);
    assertThat(local80()).as("no redirect left").isEqualTo("port=80");
  }
}
