package dev.privport.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PlanFileTest {
  @Test
  void parsesTheDocumentedSyntax() {
    RedirectPlan plan =
        PlanFile.parse(
            """
        # a comment line
        name web   # trailing comment
        80:8080
        443:8443/tcp

        514:5514/udp ipv4-only incoming-only interface=eth0
        8000-8002:9000
        """);
    assertThat(plan)
        .isEqualTo(
            RedirectPlan.builder()
                .name("web")
                .tcp(80, 8080)
                .tcp(443, 8443)
                .add(Redirect.udp(514, 5514).ipv4Only().incomingOnly().onInterface("eth0"))
                .tcp(8000, 9000)
                .tcp(8001, 9001)
                .tcp(8002, 9002)
                .build());
  }

  @Test
  void errorsNameTheLineAndColumn() {
    assertThatThrownBy(() -> PlanFile.parse("80:8080\n  514:5514/udp incomng-only\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "2:16: unknown option \"incomng-only\" (expected ipv4-only, ipv6-only, incoming-only,"
                + " local-only or interface=IF)");
    assertThatThrownBy(() -> PlanFile.parse("# x\n\n   80=8080\n"))
        .hasMessageStartingWith("3:4: redirect must look like FROM:TO");
    assertThatThrownBy(() -> PlanFile.parse("80:8080 interface=a;b\n"))
        .hasMessageStartingWith("1:9: interface must be a Linux interface name");
    assertThatThrownBy(() -> PlanFile.parse("name Web\n80:8080\n"))
        .hasMessageStartingWith("1:6: name must be 1-12 characters");
    assertThatThrownBy(() -> PlanFile.parse("name a\nname b\n80:8080\n"))
        .hasMessage("2:1: the plan is named twice");
    assertThatThrownBy(() -> PlanFile.parse("80:70000\n"))
        .hasMessage("1:1: toPort must be a port in 1..65535, got 70000");
    assertThatThrownBy(() -> PlanFile.parse("# nothing\n"))
        .hasMessage("2:1: the plan holds no redirect");
    assertThatThrownBy(() -> PlanFile.parse("80:8080\n80:9090\n"))
        .hasMessageStartingWith("redirects: tcp 80 -> 9090 conflicts with tcp 80 -> 8080");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "80:8080 ipv4-only ipv6-only | 1:19: ipv6-only contradicts ipv4-only at column 9",
        "80:8080 ipv6-only  ipv4-only | 1:20: ipv4-only contradicts ipv6-only at column 9",
        "80:8080 incoming-only local-only | 1:23: local-only contradicts incoming-only at column 9",
        "80:8080 ipv4-only ipv4-only | 1:19: ipv4-only repeats ipv4-only at column 9",
        "80:8080 interface=eth0 interface=eth1 | 1:24: interface=eth1 contradicts interface=eth0"
            + " at column 9: give at most one interface a line",
        "80:8080 interface=eth0 local-only | 1:24: interface applies to INCOMING traffic only,"
            + " but this redirect is LOCAL only, got \"eth0\"",
      })
  void contradictoryOptionsOnALineAreRefusedAsOnTheCommandLine(String line, String message) {
    assertThatThrownBy(() -> PlanFile.parse("# web\n" + line + "\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message.replaceFirst("^1:", "2:"));
  }

  @Test
  void readNamesTheFileLineAndColumn(@TempDir Path dir) throws IOException {
    Path file = Files.writeString(dir.resolve("p.plan"), "80:8080\n81:8081 ipv4-only ipv6-only\n");
    assertThatThrownBy(() -> PlanFile.read(file))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(file + ":2:19: ipv6-only contradicts ipv4-only at column 9");
    Files.writeString(file, "80:8080\n80:9090\n");
    assertThatThrownBy(() -> PlanFile.read(file))
        .hasMessageStartingWith(file + ": redirects: tcp 80 -> 9090 conflicts with");
    Files.writeString(file, "\uFEFFname web\r\n80:8080\r\n");
    assertThat(PlanFile.read(file))
        .as("a byte-order mark and CRLF line ends, as some editors write")
        .isEqualTo(RedirectPlan.builder().name("web").tcp(80, 8080).build());
  }

  @Test
  void aFileThatIsNotUtf8IsRefusedNamingFileLineAndColumn(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("latin1.plan");
    Files.write(file, "80:8080\n443:8443 # caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1));
    assertThatThrownBy(() -> PlanFile.read(file))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(file + ":2:15: not UTF-8: byte 0xE9 at offset 22 (save the file as UTF-8)");
  }

  @Test
  void onlyRegularFilesAreReadAndOnlyUpTo16MiB(@TempDir Path dir) throws Exception {
    Path zero = Files.createSymbolicLink(dir.resolve("zero.plan"), Path.of("/dev/zero"));
    Path fifo = dir.resolve("fifo.plan");
    assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
    for (Path p : List.of(Path.of("/dev/zero"), zero, fifo)) {
      assertThatThrownBy(() -> PlanFile.read(p))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("plan file " + p + ": not a regular file (a device, FIFO or socket)");
    }
    assertThatThrownBy(() -> PlanFile.readText(zero, "rules file"))
        .as("the same reader for other inputs")
        .hasMessage("rules file " + zero + ": not a regular file (a device, FIFO or socket)");
    assertThatThrownBy(() -> PlanFile.read(dir))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("plan file " + dir + ": is a directory, not a file");
    assertThatThrownBy(() -> PlanFile.read(dir.resolve("missing.plan")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("plan file " + dir.resolve("missing.plan") + ": no such file");
    Path big = dir.resolve("big.plan");
    try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
      f.setLength(PlanFile.MAX_BYTES + 1L);
    }
    assertThatThrownBy(() -> PlanFile.read(big))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("plan file " + big + ": larger than 16 MiB, the limit");
    byte[] blank = new byte[PlanFile.MAX_BYTES];
    Arrays.fill(blank, (byte) '\n');
    Files.write(big, blank);
    assertThatThrownBy(() -> PlanFile.read(big))
        .as("exactly 16 MiB is read")
        .hasMessage(big + ":" + (PlanFile.MAX_BYTES + 1) + ":1: the plan holds no redirect");
  }

  @Test
  void linesThatExpandToTooManyRedirectsAreRefusedAtTheirLine() {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 20; i++) {
      text.append("1-60000:2000 incoming-only interface=eth").append(i).append('\n');
    }
    assertThatThrownBy(() -> PlanFile.parse(text.toString()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "18:1: redirects must be at most "
                + RedirectPlan.MAX_REDIRECTS
                + " in one plan, got more");
  }
}
