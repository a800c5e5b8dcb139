package dev.privport.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privport.core.Redirect;
import dev.privport.testkit.lab.Kernel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The policy file: grants, their narrowing, errors with file:line:column, and file trust. */
class PolicyTest {
  @TempDir Path dir;

  private UserDatabase users() throws IOException {
    Path passwd = dir.resolve("passwd");
    Path group = dir.resolve("group");
    Files.writeString(
        passwd,
        "alice:x:1000:1000::/home/alice:/bin/sh\nbob:x:1001:100::/home/bob:/bin/sh\n"
            + "carol:x:1002:1002::/:/bin/sh\n");
    Files.writeString(group, "users:x:100:\nweb:x:2000:alice,carol\n");
    return UserDatabase.files(passwd, group);
  }

  private Policy parse(String text) throws IOException {
    return Policy.parse(text, "policy", users());
  }

  private static final Peer ALICE = new Peer(1000, 1000);
  private static final Peer BOB = new Peer(1001, 100);
  private static final Peer CAROL = new Peer(1002, 1002);
  private static final Peer STRANGER = new Peer(4000, 4000);

  private Optional<String> refusal(Policy p, Peer peer, Redirect r) throws IOException {
    return p.refusal(peer, users().user(peer.uid()), r, PlanText.line(r));
  }

  @Test
  void grantsNameUsersByNameUidOrGroup() throws IOException {
    Policy p =
        parse(
            "# comment\n\n  allow alice tcp 80,443 to 8000-8999   # trailing comment\n"
                + "allow 4000 udp 514 to 5514 ipv4-only incoming-only\n"
                + "allow @web tcp 81 to 8081 interface=eth0\n"
                + "allow @100 tcp 82 to 8082\n");
    assertThat(p.grants()).hasSize(4);
    assertThat(p.grants().get(0).describe()).isEqualTo("allow alice tcp 80,443 to 8000-8999");
    assertThat(p.grants().get(0).where()).isEqualTo("policy:3");
    assertThat(p.grants().get(1).describe())
        .isEqualTo("allow 4000 udp 514 to 5514-5514 ipv4-only incoming-only");
    assertThat(refusal(p, ALICE, Redirect.tcp(80, 8080))).isEmpty();
    assertThat(refusal(p, ALICE, Redirect.tcp(443, 8999))).isEmpty();
    // @web lists alice and carol; @100 is bob's primary group in passwd.
    assertThat(refusal(p, CAROL, Redirect.tcp(81, 8081).onInterface("eth0"))).isEmpty();
    assertThat(refusal(p, BOB, Redirect.tcp(82, 8082))).isEmpty();
    assertThat(refusal(p, new Peer(5000, 100), Redirect.tcp(82, 8082)))
        .as("the peer's own gid from the kernel counts")
        .isEmpty();
    assertThat(refusal(p, STRANGER, Redirect.udp(514, 5514).ipv4Only().incomingOnly())).isEmpty();
  }

  @Test
  void refusalsNameTheRedirectAndWhatIsMissing() throws IOException {
    Policy p =
        parse(
            "allow alice tcp 80,443 to 8000-8999\n"
                + "allow 4000 udp 514 to 5514 ipv4-only incoming-only\n"
                + "allow @web tcp 81 to 8081 interface=eth0\n");
    assertThat(refusal(p, ALICE, Redirect.tcp(22, 8022)))
        .hasValue(
            "22:8022/tcp: tcp port 22 is not granted to uid 1000 (granted: tcp 80,443; tcp 81)");
    assertThat(refusal(p, ALICE, Redirect.udp(80, 8080))).get().asString().contains("udp port 80");
    assertThat(refusal(p, ALICE, Redirect.tcp(80, 9000)))
        .hasValue(
            "80:9000/tcp: target port 9000 is outside the granted range 8000-8999 (policy:1)");
    assertThat(refusal(p, ALICE, Redirect.tcp(80, 7999))).isPresent();
    assertThat(refusal(p, BOB, Redirect.tcp(80, 8080)))
        .hasValue("80:8080/tcp: uid 1001 has no grant in policy");
    assertThat(refusal(p, STRANGER, Redirect.udp(514, 5514).incomingOnly()))
        .hasValue("514:5514/udp incoming-only: the grant requires ipv4-only (policy:2)");
    assertThat(refusal(p, STRANGER, Redirect.udp(514, 5514).ipv4Only()))
        .hasValue("514:5514/udp ipv4-only: the grant requires incoming-only (policy:2)");
    assertThat(refusal(p, STRANGER, Redirect.udp(514, 5514).ipv6Only().incomingOnly())).isPresent();
    assertThat(refusal(p, CAROL, Redirect.tcp(81, 8081)))
        .hasValue("81:8081/tcp: the grant requires interface=eth0, got no interface (policy:3)");
    assertThat(refusal(p, CAROL, Redirect.tcp(81, 8081).onInterface("eth1"))).isPresent();
    assertThat(refusal(p, CAROL, Redirect.tcp(81, 8081).onInterface("eth+")))
        .as("a wildcard is wider than the interface granted")
        .isPresent();
  }

  @Test
  void anyGrantThatAllowsIsEnough() throws IOException {
    Policy p = parse("allow alice tcp 80 to 8000-8099\nallow @web tcp 80 to 9000-9099\n");
    assertThat(refusal(p, ALICE, Redirect.tcp(80, 9050))).isEmpty();
    assertThat(refusal(p, CAROL, Redirect.tcp(80, 8050)))
        .hasValue(
            "80:8050/tcp: target port 8050 is outside the granted range 9000-9099 (policy:2)");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          grant alice tcp 80 to 8080                   | policy:2:1: expected "allow", got "grant"
          allow                                        | policy:2:6: expected a user, uid, @group or @gid
          allow mallory tcp 80 to 8080                 | policy:2:7: unknown user "mallory"
          allow @nogroup tcp 80 to 8080                | policy:2:8: unknown group "nogroup"
          allow @ tcp 80 to 8080                       | policy:2:8: expected a group name or gid after @
          allow 99999999999 tcp 80 to 8080             | policy:2:7: uid out of range: 99999999999
          allow alice                                  | policy:2:12: expected a protocol (tcp or udp)
          allow alice sctp 80 to 8080                  | policy:2:13: protocol must be tcp or udp, got "sctp"
          allow alice tcp                              | policy:2:16: expected the ports, e.g. 80,443
          allow alice tcp 80,x to 8080                 | policy:2:20: port must be a number 1..65535, got "x"
          allow alice tcp 80,,443 to 8080              | policy:2:20: port must be a number 1..65535, got ""
          allow alice tcp 80,0 to 8080                 | policy:2:20: port must be 1..65535, got 0
          allow alice tcp 80,80 to 8080                | policy:2:20: port 80 is listed twice
          allow alice tcp 80 8080                      | policy:2:20: expected "to" after the ports, got "8080"
          allow alice tcp 80 to                        | policy:2:22: expected the target range LOW-HIGH
          allow alice tcp 80 to 9000-8000              | policy:2:28: target range must be LOW-HIGH with LOW <= HIGH, got 9000-8000
          allow alice tcp 80 to 8000-70000             | policy:2:28: target port must be 1..65535, got 70000
          allow alice tcp 80 to 8080 ipv5-only         | policy:2:28: unknown option "ipv5-only" (expected ipv4-only, ipv6-only, incoming-only, local-only or interface=IF)
          allow alice tcp 80 to 8080 ipv4-only ipv6-only | policy:2:38: only one of ipv4-only and ipv6-only may be given
          allow alice tcp 80 to 8080 local-only incoming-only | policy:2:39: only one of incoming-only and local-only may be given
          allow alice tcp 80 to 8080 interface=a;b     | policy:2:38: interface must be a Linux interface name: 1-15 characters of letters, digits, '_', '.' or '-', optionally ending in the wildcard '+', got "a;b"
          allow alice tcp 80 to 8080 interface=a interface=b | policy:2:40: interface is given twice
          allow alice tcp 80 to 8080 local-only interface=eth0 | policy:2:28: interface= restricts incoming traffic and cannot go with local-only
          """)
  void errorsNameFileLineAndColumn(String line, String message) throws IOException {
    assertThatThrownBy(() -> parse("# first line\n" + line + "\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }

  private Path policyFile(String mode) throws IOException {
    Path etc = dir.resolve("etc");
    Files.createDirectories(etc);
    Files.setPosixFilePermissions(etc, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path f = etc.resolve("policy");
    Files.writeString(f, "allow alice tcp 80 to 8080\n");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(mode));
    return f;
  }

  @Test
  void aPolicyOthersCanWriteIsRefused() throws IOException {
    Kernel.require(Kernel.isRoot(), "this test needs root: the policy must be owned by root");
    assertThat(Policy.load(policyFile("rw-r--r--"), users()).grants()).hasSize(1);
    for (String mode : List.of("rw-rw-r--", "rw-r--rw-", "rw-rw-rw-")) {
      Path f = policyFile(mode);
      assertThatThrownBy(() -> Policy.load(f, users()))
          .hasMessage(
              "policy file "
                  + f
                  + ": must not be writable by group or others, mode is "
                  + mode
                  + " (chmod go-w)");
    }
  }

  @Test
  void aPolicyNotOwnedByRootOrInAWritableDirectoryOrBehindASymlinkIsRefused() throws IOException {
    Kernel.require(Kernel.isRoot(), "this test needs root to change a file's owner");
    Path f = policyFile("rw-r--r--");
    Files.setAttribute(f, "unix:uid", 65534);
    assertThatThrownBy(() -> Policy.load(f, users()))
        .hasMessage("policy file " + f + ": must be owned by root, is owned by uid 65534");
    Files.setAttribute(f, "unix:uid", 0);
    Files.setPosixFilePermissions(f.getParent(), PosixFilePermissions.fromString("rwxrwxrwx"));
    assertThatThrownBy(() -> Policy.load(f, users()))
        .hasMessageStartingWith("policy directory " + f.getParent() + ": must not be writable");
    Files.setPosixFilePermissions(f.getParent(), PosixFilePermissions.fromString("rwxr-xr-x"));
    Path link = f.resolveSibling("link");
    Files.createSymbolicLink(link, f);
    assertThatThrownBy(() -> Policy.load(link, users()))
        .hasMessage("policy file " + link + ": is a symbolic link; name the file itself");
  }
}
