package dev.privport.core.remedy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privport.core.Command;
import dev.privport.core.ConfigFile;
import dev.privport.core.RedirectPlan;
import dev.privport.core.Step;
import dev.privport.testkit.lab.Kernel;
import dev.privport.testkit.lab.Lab;
import dev.privport.testkit.lab.Netns;
import dev.privport.testkit.process.Cmd;
import dev.privport.testkit.traffic.Echo;
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

  /** Runs argv inside {@code ns}; {@code rm} of a drop-in under /etc is left out (the host's). */
  private static Step.Runner in(Netns ns) {
    return (Command c) ->
        c.program().equals("rm") ? 0 : ns.exec(c.argv().toArray(String[]::new)).exitCode();
  }

  private static Step.Runner onThisHost() {
    return (Command c) -> Cmd.run(c.argv(), null).exitCode();
  }

  private static String sysctl(Netns ns, String key) {
    return ns.sh("sysctl", "-n", key).strip();
  }

  private Path write(ConfigFile file) throws IOException {
    Path out = dir.resolve(file.fileName());
    Files.writeString(out, file.content());
    return out;
  }

  @Test
  void unprivilegedPortStartLetsAnyUserBindThePortInThatNamespaceOnly() throws IOException {
    String hostValue =
        Cmd.run("sysctl", "-n", "net.ipv4.ip_unprivileged_port_start").orThrow().stdout();
    try (Netns ns = Netns.create()) {
      ns.sh("sysctl", "-qw", "net.ipv4.ip_unprivileged_port_start=1024");
      // Rendered inside the namespace: the remedy reads the namespace's own value.
      Remedy remedy = ns.call(() -> Remedies.unprivilegedPortStart(RedirectPlan.of(80, 8080)));
      assertThat(remedy.needed()).isTrue();
      assertThat(asNobody(ns, bindport.toString(), "80")).isEqualTo("error: Permission denied");
      remedy.executeApply(in(ns));
      assertThat(asNobody(ns, bindport.toString(), "80")).isEqualTo("ok");
      assertThat(asNobody(ns, bindport.toString(), "79"))
          .as("below the start")
          .isEqualTo("error: Permission denied");
      remedy.executeUndo(in(ns));
      assertThat(asNobody(ns, bindport.toString(), "80")).isEqualTo("error: Permission denied");
      assertThat(sysctl(ns, "net.ipv4.ip_unprivileged_port_start")).isEqualTo("1024");
    }
    try (Netns ns = Netns.create()) {
      Remedy remedy = Remedies.unprivilegedPortStart(RedirectPlan.of(80, 8080), 1024);
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
  void unprivilegedPortStartNeverRaisesAHostAlreadyAtZeroAndItsDropInChangesNothing()
      throws IOException {
    try (Netns ns = Netns.create()) {
      ns.sh("sysctl", "-qw", "net.ipv4.ip_unprivileged_port_start=0");
      assertThat(asNobody(ns, bindport.toString(), "22"))
          .as("the host's own choice")
          .isEqualTo("ok");
      Remedy remedy = ns.call(() -> Remedies.unprivilegedPortStart(RedirectPlan.of(80, 8080)));
      assertThat(remedy.needed()).isFalse();
      assertThat(remedy.summary())
          .startsWith("nothing to do: net.ipv4.ip_unprivileged_port_start is already 0");
      remedy.executeApply(in(ns));
      assertThat(asNobody(ns, bindport.toString(), "22")).as("not tightened").isEqualTo("ok");
      // The drop-in as boot would load it after the host's own: it must not raise the value.
      ns.sh("sysctl", "-q", "-p", write(remedy.files().get(0)).toString());
      assertThat(sysctl(ns, "net.ipv4.ip_unprivileged_port_start")).isEqualTo("0");
      assertThat(asNobody(ns, bindport.toString(), "22")).isEqualTo("ok");
      remedy.executeUndo(in(ns));
      assertThat(sysctl(ns, "net.ipv4.ip_unprivileged_port_start")).isEqualTo("0");
    }
  }

  @Test
  void unprivilegedPortStartUndoPutsBackTheValueThatWasThereTwiceOver() {
    try (Netns ns = Netns.create()) {
      ns.sh("sysctl", "-qw", "net.ipv4.ip_unprivileged_port_start=500");
      assertThat(asNobody(ns, bindport.toString(), "600")).isEqualTo("ok");
      Remedy remedy = ns.call(() -> Remedies.unprivilegedPortStart(RedirectPlan.of(80, 8080)));
      remedy.executeApply(in(ns));
      assertThat(asNobody(ns, bindport.toString(), "80")).isEqualTo("ok");
      remedy.executeUndo(in(ns));
      assertThat(sysctl(ns, "net.ipv4.ip_unprivileged_port_start")).isEqualTo("500");
      assertThat(asNobody(ns, bindport.toString(), "80")).isEqualTo("error: Permission denied");
      assertThat(asNobody(ns, bindport.toString(), "600")).isEqualTo("ok");
      remedy.executeUndo(in(ns)); // twice: succeeds, changes nothing
      assertThat(sysctl(ns, "net.ipv4.ip_unprivileged_port_start")).isEqualTo("500");
      // Someone else changes it after the apply: undo leaves their value alone.
      remedy.executeApply(in(ns));
      ns.sh("sysctl", "-qw", "net.ipv4.ip_unprivileged_port_start=70");
      remedy.executeUndo(in(ns));
      assertThat(sysctl(ns, "net.ipv4.ip_unprivileged_port_start")).isEqualTo("70");
    }
  }

  @Test
  void pingGroupRangeLetsTheGroupOpenIcmpEchoSockets() throws IOException {
    try (Netns ns = Netns.create()) {
      ns.sh("sysctl", "-qw", "net.ipv4.ping_group_range=1 0");
      Remedy remedy = ns.call(() -> Remedies.pingGroupRange(65534, 65534));
      assertThat(asNobody(ns, bindport.toString(), "ping")).startsWith("error: ");
      remedy.executeApply(in(ns));
      assertThat(asNobody(ns, bindport.toString(), "ping")).isEqualTo("ok");
      remedy.executeUndo(in(ns));
      assertThat(asNobody(ns, bindport.toString(), "ping")).startsWith("error: ");
      assertThat(sysctl(ns, "net.ipv4.ping_group_range")).isEqualTo("1\t0");
    }
    try (Netns ns = Netns.create()) {
      ns.sh("sysctl", "-qw", "net.ipv4.ping_group_range=1 0");
      Remedy remedy = Remedies.pingGroupRange(65534, 65534, "1\t0");
      ns.sh("sysctl", "-q", "-p", write(remedy.files().get(0)).toString());
      assertThat(asNobody(ns, bindport.toString(), "ping")).isEqualTo("ok");
    }
  }

  @Test
  void pingGroupRangeNeverNarrowsAWideRangeAndUndoKeepsIt() throws IOException {
    try (Netns ns = Netns.create()) {
      ns.sh("sysctl", "-qw", "net.ipv4.ping_group_range=0 2147483647");
      assertThat(asNobody(ns, bindport.toString(), "ping")).isEqualTo("ok");
      Remedy remedy = ns.call(() -> Remedies.pingGroupRange(65534, 65534));
      assertThat(remedy.needed()).isFalse();
      remedy.executeApply(in(ns));
      remedy.executeUndo(in(ns));
      ns.sh("sysctl", "-q", "-p", write(remedy.files().get(0)).toString());
      assertThat(sysctl(ns, "net.ipv4.ping_group_range")).isEqualTo("0\t2147483647");
      assertThat(asNobody(ns, bindport.toString(), "ping")).isEqualTo("ok");
    }
    try (Netns ns = Netns.create()) {
      // A range that holds other groups but not 65534: widened to hold both, then put back.
      ns.sh("sysctl", "-qw", "net.ipv4.ping_group_range=100 200");
      Remedy remedy = ns.call(() -> Remedies.pingGroupRange(65534, 65534));
      remedy.executeApply(in(ns));
      assertThat(sysctl(ns, "net.ipv4.ping_group_range")).isEqualTo("100\t65534");
      assertThat(asNobody(ns, bindport.toString(), "ping")).isEqualTo("ok");
      remedy.executeUndo(in(ns));
      remedy.executeUndo(in(ns));
      assertThat(sysctl(ns, "net.ipv4.ping_group_range")).isEqualTo("100\t200");
      assertThat(asNobody(ns, bindport.toString(), "ping")).startsWith("error: ");
    }
  }

  private Path copyOfBindport(String name) throws IOException {
    Path copy = dir.resolve(name);
    Files.copy(bindport, copy);
    Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rwxr-xr-x"));
    return copy;
  }

  @Test
  void aSetcapCopyBindsPort80AsAnUnprivilegedUserAndUndoTwiceSucceeds() throws IOException {
    Path withCap = copyOfBindport("bindport-cap");
    Remedy remedy = Remedies.capability(withCap.toString());
    try (Netns ns = Netns.create()) {
      assertThat(asNobody(ns, withCap.toString(), "80")).isEqualTo("error: Permission denied");
      remedy.executeApply(onThisHost());
      assertThat(Cmd.run("getcap", withCap.toString()).stdout())
          .contains("cap_net_bind_service=ep");
      assertThat(asNobody(ns, withCap.toString(), "80")).isEqualTo("ok");
      assertThat(asNobody(ns, bindport.toString(), "80"))
          .as("the original has no capability")
          .isEqualTo("error: Permission denied");
      remedy.executeUndo(onThisHost());
      assertThat(asNobody(ns, withCap.toString(), "80")).isEqualTo("error: Permission denied");
      remedy.executeUndo(onThisHost()); // twice undone: succeeds
      assertThat(Cmd.run("getcap", withCap.toString()).stdout()).isEmpty();
    }
  }

  @Test
  void setcapOnASymlinkGoesToTheFileItNames() throws IOException {
    Path real = copyOfBindport("bindport-real");
    Path link = dir.resolve("bindport-link");
    Files.createSymbolicLink(link, real);
    Remedy remedy = Remedies.capability(link.toString());
    assertThat(remedy.summary())
        .isEqualTo("let " + real + " (" + link + " is a symlink to it) bind privileged ports");
    try (Netns ns = Netns.create()) {
      remedy.executeApply(onThisHost());
      assertThat(asNobody(ns, link.toString(), "80")).isEqualTo("ok");
      remedy.executeUndo(onThisHost());
      assertThat(asNobody(ns, link.toString(), "80")).isEqualTo("error: Permission denied");
    }
  }

  @Test
  void setcapKeepsCapabilitiesTheFileHadAndUndoPutsThemBack() throws IOException {
    Path file = copyOfBindport("bindport-raw");
    Cmd.run("setcap", "cap_net_raw=ep", file.toString()).orThrow();
    Remedy remedy = Remedies.capability(file.toString());
    remedy.executeApply(onThisHost());
    assertThat(Cmd.run("getcap", file.toString()).stdout())
        .contains("cap_net_bind_service,cap_net_raw=ep");
    remedy.executeUndo(onThisHost());
    remedy.executeUndo(onThisHost());
    assertThat(Cmd.run("getcap", file.toString()).stdout().strip())
        .isEqualTo(file + " cap_net_raw=ep");
    Cmd.run("setcap", "cap_net_bind_service=ep", file.toString()).orThrow();
    assertThat(Remedies.capability(file.toString()).needed()).as("already there").isFalse();
  }

  @Test
  void setcapRefusesAScriptNamingItsInterpreter() throws IOException {
    Path script = dir.resolve("serve.sh");
    Files.writeString(script, "#!/bin/sh -e\nexec python3 -m http.server 80\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    assertThatThrownBy(() -> Remedies.capability(script.toString()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "binary \""
                + script
                + "\" is a script for \"/bin/sh -e\": the kernel ignores file capabilities on '#!'"
                + " scripts, and granting CAP_NET_BIND_SERVICE to \"/bin/sh -e\" instead would let"
                + " every script it runs, for any user, bind privileged ports; use a firewall"
                + " redirect");
    // The kernel really ignores it: the capability set on a script does nothing.
    Path server = copyOfBindport("bindport-plain");
    Files.writeString(script, "#!/bin/sh\nexec " + server + " \"$@\"\n");
    Cmd.run("setcap", "cap_net_bind_service=ep", script.toString()).orThrow();
    assertThat(Cmd.run("getcap", script.toString()).stdout()).contains("cap_net_bind_service=ep");
    try (Netns ns = Netns.create()) {
      assertThat(asNobody(ns, script.toString(), "80")).isEqualTo("error: Permission denied");
    }
    assertThatThrownBy(() -> Remedies.capability(dir.resolve("missing").toString()))
        .hasMessage(
            "binary \"" + dir.resolve("missing") + "\" cannot be read: NoSuchFileException");
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
