package dev.privport.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privport.cli.Privport;
import dev.privport.testkit.lab.Kernel;
import dev.privport.testkit.process.Cmd;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The systemd units: rendered by the command line, accepted by systemd-analyze. */
class UnitsTest {
  @TempDir Path dir;

  private Cmd.Result verify(Path... units) {
    String[] argv = new String[units.length + 3];
    argv[0] = "systemd-analyze";
    argv[1] = "verify";
    argv[2] = "--man=no";
    for (int i = 0; i < units.length; i++) {
      argv[i + 3] = units[i].toString();
    }
    return Cmd.run(argv);
  }

  @Test
  void theRenderedUnitsPassSystemdAnalyzeVerify() throws IOException {
    Kernel.requireCommand("systemd-analyze");
    Path jar = Files.writeString(dir.resolve("privport.jar"), "");
    Path out = dir.resolve("units");
    StringWriter stdout = new StringWriter();
    StringWriter stderr = new StringWriter();
    int code =
        Privport.run(
            new String[] {
              "daemon", "--print-units", "--jar", jar.toString(), "--out", out.toString()
            },
            new PrintWriter(stdout),
            new PrintWriter(stderr));
    assertThat(code).as(stderr.toString()).isZero();
    Path socket = out.resolve("privport.socket");
    Path service = out.resolve("privport.service");
    assertThat(Files.readString(socket))
        .contains("ListenStream=/run/privport/privport.sock\n")
        .contains("SocketMode=0666\n")
        .contains("Accept=no\n");
    assertThat(Files.readString(service))
        .contains(
            "ExecStart="
                + Path.of(System.getProperty("java.home"), "bin", "java")
                + " -jar "
                + jar
                + " daemon --policy /etc/privport/policy --state /var/lib/privport\n")
        .contains("StandardInput=socket\n")
        .contains("ExecReload=/bin/kill -HUP $MAINPID\n")
        .contains("StateDirectory=privport\n");
    Cmd.Result r = verify(socket, service);
    assertThat(r.stderr()).isEmpty();
    assertThat(r.exitCode()).isZero();

    // The check can fail: systemd-analyze complains (on stderr) about a broken unit.
    Path broken = Files.createDirectory(dir.resolve("broken")).resolve("privport.socket");
    Files.writeString(broken, Files.readString(socket).replace("Accept=no", "Accept=maybe"));
    assertThat(verify(broken).stderr()).contains("Failed to parse boolean value, ignoring: maybe");
  }

  @Test
  void unitPathsMustBeAbsoluteAndPlain() {
    Path ok = Path.of("/usr/bin/java");
    assertThatThrownBy(
            () -> Units.render(ok, Path.of("/opt/my jar.jar"), ok, ok, Path.of("/var/lib/x")))
        .hasMessageStartingWith("unit paths must be absolute and free of spaces");
    assertThatThrownBy(() -> Units.render(ok, Path.of("privport.jar"), ok, ok, ok))
        .hasMessageStartingWith("unit paths must be absolute");
  }
}
