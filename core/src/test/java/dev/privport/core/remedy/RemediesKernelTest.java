package dev.privport.core.remedy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.core.Command;
import dev.privport.core.ConfigFile;
import dev.privport.core.RedirectPlan;
import dev.privport.testkit.Cmd;
import dev.privport.testkit.Echo;
import dev.privport.testkit.Kernel;
import dev.privport.testkit.Lab;
import dev.privport.testkit.Netns;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Every remedy proven on the kernel, in namespaces of the test's own: an unprivileged user (uid
 * 65534) cannot bind port 80 or open an ICMP echo socket before the rendered commands or files are
 * applied, and can after; redir started as the rendered unit would start it forwards real TCP.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RemediesKernelTest {
  private static final List<String> AS_NOBODY =
      List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups");
  private Path dir;
  private Path bindport;

  @BeforeAll
  void compileHelper() throws IOException {
    Kernel.requireRoot();
    Kernel.requireCommand("gcc", "setpriv", "setcap", "getcap", "sysctl");
    dir = Files.createTempDirectory("privport-remedies-");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path source = dir.resolve("bindport.c");
    try (InputStream in = getClass().getResourceAsStream("/bindport.c")) {
      Files.copy(in, source);
    }
    bindport = dir.resolve("bindport");
    Cmd.run("gcc", "-O2", "-o", bindport.toString(), source.toString()).orThrow();
  }

  @AfterAll
  void cleanUp() throws IOException {
    if (dir != null) {
      try (var files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  private static String asNobody(Netns ns, String... argv) {
    List<String> all = new ArrayList<>(AS_NOBODY);
    all.addAll(List.of(argv));
    return ns.exec(all.toArray(String[]::new)).stdout().strip();
  }

  private static void runIn(Netns ns, List<Command> commands) {
    commands.stream()
        .filter(c -> !c.program().equals("rm"))
        .forEach(c -> ns.exec(c.argv().toArray(String[]::new)).orThrow());
  }

  private Path write(ConfigFile file) throws IOException {
    Path out = dir.resolve(file.fileName());
    Files.writeString(out, file.content());
    return out;
  }

  @Test
  void unprivilegedPortStartLetsAnyUserBindThePortInThatNamespaceOnly() throws IOException {
    Remedy remedy = Remedies.unprivilegedPortStart(RedirectPlan.of(80, 8080));
    String hostValue =
        Cmd.run("sysctl", "-n", "net.ipv4.ip_unprivileged_port_start").orThrow().stdout();
    try (Netns ns = Netns.create()) {
      assertThat(asNobody(ns, bindport.toString(), "80")).isEqualTo("error: Permission denied");
      runIn(ns, remedy.apply());
      assertThat(asNobody(ns, bindport.toString(), "80")).isEqualTo("ok");
      assertThat(asNobody(ns, bindport.toString(), "79"))
          .as("below the start")
          .isEqualTo("error: Permission denied");
      runIn(ns, remedy.undo());
      assertThat(asNobody(ns, bindport.toString(), "80")).isEqualTo("error: Permission denied");
    }
    try (Netns ns = Netns.create()) {
      ns.sh(
          "sysctl",
          "-q",
          "-p",
          write(remedy.files().get(0)).toString()); // the drop-in, as boot would load it
      assertThat(asNobody(ns, bindport.toString(), "80")).isEqualTo("ok");
    }
    assertThat(Cmd.run("sysctl", "-n", "net.ipv4.ip_unprivileged_port_start").orThrow().stdout())
        .as("host untouched")
        .isEqualTo(hostValue);
  }

  @Test
  void pingGroupRangeLetsTheGroupOpenIcmpEchoSockets() throws IOException {
    Remedy remedy = Remedies.pingGroupRange(65534, 65534);
    try (Netns ns = Netns.create()) {
      ns.sh("sysctl", "-qw", "net.ipv4.ping_group_range=1 0");
      assertThat(asNobody(ns, bindport.toString(), "ping")).startsWith("error: ");
      runIn(ns, remedy.apply());
      assertThat(asNobody(ns, bindport.toString(), "ping")).isEqualTo("ok");
      runIn(ns, remedy.undo());
      assertThat(asNobody(ns, bindport.toString(), "ping")).startsWith("error: ");
    }
    try (Netns ns = Netns.create()) {
      ns.sh("sysctl", "-qw", "net.ipv4.ping_group_range=1 0");
      ns.sh("sysctl", "-q", "-p", write(remedy.files().get(0)).toString());
      assertThat(asNobody(ns, bindport.toString(), "ping")).isEqualTo("ok");
    }
  }

  @Test
  void aSetcapCopyBindsPort80AsAnUnprivilegedUser() throws IOException {
    Path withCap = dir.resolve("bindport-cap");
    Files.copy(bindport, withCap);
    Files.setPosixFilePermissions(withCap, PosixFilePermissions.fromString("rwxr-xr-x"));
    Remedy remedy = Remedies.capability(withCap.toString());
    try (Netns ns = Netns.create()) {
      assertThat(asNobody(ns, withCap.toString(), "80")).isEqualTo("error: Permission denied");
      remedy.apply().forEach(c -> Cmd.run(c.argv(), null).orThrow());
      assertThat(Cmd.run("getcap", withCap.toString()).stdout())
          .contains("cap_net_bind_service=ep");
      assertThat(asNobody(ns, withCap.toString(), "80")).isEqualTo("ok");
      assertThat(asNobody(ns, bindport.toString(), "80"))
          .as("the original has no capability")
          .isEqualTo("error: Permission denied");
      remedy.undo().forEach(c -> Cmd.run(c.argv(), null).orThrow());
      assertThat(asNobody(ns, withCap.toString(), "80")).isEqualTo("error: Permission denied");
    }
  }

  @Test
  void redirStartedAsTheUnitStartsItForwardsRealTcp() throws Exception {
    Kernel.requireCommand("redir");
    Remedy remedy = Remedies.redir(RedirectPlan.of(80, 8080));
    String execStart =
        remedy
            .files()
            .get(0)
            .content()
            .lines()
            .filter(l -> l.startsWith("ExecStart="))
            .findFirst()
            .orElseThrow()
            .substring("ExecStart=".length());
    try (Lab lab = Lab.create();
        Echo.Servers service = lab.host.call(() -> new Echo.Servers(8080))) {
      assertThat(lab.client.call(() -> Echo.tcp(Lab.HOST_V4, 80)))
          .as("nothing listens on 80 yet")
          .isEqualTo("refused");
      // As the unit runs it: an unprivileged user whose only privilege is CAP_NET_BIND_SERVICE.
      List<String> argv =
          new ArrayList<>(
              List.of(
                  "setpriv",
                  "--reuid=65534",
                  "--regid=65534",
                  "--clear-groups",
                  "--inh-caps=+net_bind_service",
                  "--ambient-caps=+net_bind_service"));
      argv.addAll(Arrays.asList(execStart.split(" ")));
      Process redir = lab.host.spawn(argv, dir.resolve("redir.log"));
      try {
        String answer = "refused";
        for (int i = 0; i < 50 && answer.equals("refused"); i++) {
          Thread.sleep(100);
          answer = lab.client.call(() -> Echo.tcp(Lab.HOST_V4, 80));
        }
        assertThat(answer).as(Files.readString(dir.resolve("redir.log"))).isEqualTo("port=8080");
        assertThat(lab.host.call(() -> Echo.tcp("127.0.0.1", 80))).isEqualTo("port=8080");
      } finally {
        redir.destroy();
        redir.waitFor();
      }
    }
  }

  @Test
  void theUnitPassesSystemdAnalyzeVerify() throws IOException {
    Kernel.requireCommand("systemd-analyze", "redir");
    for (ConfigFile unit :
        Remedies.redir(RedirectPlan.builder().tcp(80, 8080).tcp(443, 8443).build()).files()) {
      Cmd.Result r = Cmd.run("systemd-analyze", "verify", "--man=no", write(unit).toString());
      assertThat(r.exitCode()).as(r.stderr()).isZero();
      assertThat(r.stderr()).as("systemd-analyze prints mistakes even when it exits 0").isEmpty();
    }
    // The check can fail: the same unit with a misspelt key is reported.
    ConfigFile good = Remedies.redir(RedirectPlan.of(80, 8080)).files().get(0);
    Path broken =
        write(
            new ConfigFile(
                "/etc/systemd/system/broken-redir.service",
                good.content().replace("NoNewPrivileges", "NoNewPrivilegs")));
    assertThat(Cmd.run("systemd-analyze", "verify", "--man=no", broken.toString()).stderr())
        .contains("NoNewPrivilegs");
  }
}
