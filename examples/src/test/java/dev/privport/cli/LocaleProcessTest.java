package dev.privport.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.testkit.lab.Kernel;
import dev.privport.testkit.lab.Netns;
import dev.privport.testkit.process.Cmd;
import dev.privport.testkit.traffic.Echo;
import dev.privport.testkit.traffic.Flows;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
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
  void empty() throws IOException {
    ns.sh("nft", "flush", "ruleset");
    Flows.forget(ns);
    state =
        Files.createTempDirectory(
            "fixes-state",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
  }

  @AfterEach
  void clean() throws IOException {
    try (Stream<Path> files = Files.walk(state)) {
      for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(f);
      }
    }
  }

  /** Runs privport in the namespace with the locale given as {@code -Duser.*} options. */
  private CliProcessTest.Run privport(String locale, String... args) {
    List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", ns.name()));
    argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    argv.add("-Dprivport.state.dir=" + state);
    argv.addAll(List.of(locale.split(" ")));
    argv.addAll(List.of("-cp", System.getProperty("java.class.path"), Privport.class.getName()));
    argv.addAll(List.of(args));
    Cmd.Result r = Cmd.run(argv, "");
    return new CliProcessTest.Run(r.exitCode(), r.stdout(), r.stderr());
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

    CliProcessTest.Run apply = privport(locale, "apply", "80:8080");
    assertThat(apply.exitCode()).as(apply.stdout() + apply.stderr()).isZero();
    assertThat(tablePresent()).isTrue();
    assertThat(local80()).as("redirected by the kernel").isEqualTo("port=8080");

    CliProcessTest.Run status = privport(locale, "status", "80:8080");
    assertThat(status.exitCode()).as(status.stdout() + status.stderr()).isZero();

    CliProcessTest.Run remove = privport(locale, "remove", "80:8080");
    assertThat(remove.exitCode()).as(remove.stdout() + remove.stderr()).isZero();
    assertThat(tablePresent()).isFalse();
    Flows.forget(ns);
    assertThat(local80()).as("no redirect left").isEqualTo("port=80");
  }
}
