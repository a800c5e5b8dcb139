package dev.privport.robustness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privport.cli.Privport;
import dev.privport.core.PlanFile;
import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import dev.privport.core.remedy.Remedies;
import java.io.PrintWriter;
import java.io.StringWriter;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Hostile input never reaches rendered text: names carrying quotes, semicolons, braces, newlines,
 * {@code $()}, backticks, non-ASCII or over-long strings, and ports out of range, are each refused
 * with an {@link IllegalArgumentException} naming the field, through the API, plan files and the
 * command line alike.
 */
class HostileInputProperties {
  static final int TRIES = 1000;

  /** Strings that always carry at least one fragment no interface or plan name may hold. */
  @Provide
  Arbitrary<String> hostile() {
    Arbitrary<String> fragment =
        Arbitraries.of(
            "\"",
            "'",
            ";",
            "{",
            "}",
            "\n",
            "\r",
            "$(reboot)",
            "`id`",
            "é",
            "名",
            "\u0000",
            "\t",
            " ",
            "\\",
            "/",
            ":",
            "|",
            "&&",
            "#",
            "<",
            ">",
            "*",
            "\u202e",
            "%s",
            "${IFS}");
    Arbitrary<String> filler = Arbitraries.strings().ascii().ofMaxLength(8);
    Arbitrary<String> overLong =
        Arbitraries.strings().withCharRange('a', 'z').ofMinLength(16).ofMaxLength(300);
    Arbitrary<String> withFragment =
        Combinators.combine(filler, fragment, filler).as((a, f, b) -> a + f + b);
    return Arbitraries.oneOf(withFragment, withFragment, overLong);
  }

  @Property(tries = TRIES)
  void hostileInterfaceNamesAreRefusedNamingTheField(@ForAll("hostile") String ifname) {
    assertThatThrownBy(() -> Redirect.tcp(80, 8080).onInterface(ifname))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("interface must be a Linux interface name")
        .hasMessageMatching("[\\x20-\\x7e]+");
    // In a plan file too: refused with its line and column, the message one line of printable
    // ASCII.
    // (White space separates words there and '#' starts a comment, so those would cut the value.)
    if (ifname.chars().noneMatch(c -> Character.isWhitespace(c) || c == '#')) {
      assertThatThrownBy(() -> PlanFile.parse("80:8080 interface=" + ifname + "\n"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("1:")
          .hasMessageMatching("[\\x20-\\x7e]+");
    }
  }

  @Property(tries = TRIES)
  void hostilePlanNamesAreRefusedNamingTheField(@ForAll("hostile") String name) {
    assertThatThrownBy(() -> RedirectPlan.builder().name(name))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("name must be 1-12 characters")
        .hasMessageMatching("[\\x20-\\x7e]+");
  }

  @Property(tries = TRIES)
  void hostileValuesOnTheCommandLineAreOneLineAndExit2(@ForAll("hostile") String value) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        Privport.run(
            new String[] {"render", "--interface", value, "80:8080"},
            new PrintWriter(out),
            new PrintWriter(err));
    assertThat(code).isEqualTo(2);
    assertThat(out.toString()).isEmpty();
    assertThat(err.toString().strip().lines()).hasSize(1);
    assertThat(err.toString()).startsWith("privport: interface must be");
  }

  @Property(tries = TRIES)
  void hostileBinaryPathsAreRefused(@ForAll("hostile") String path) {
    // '/' and long plain names are legitimate in a path; anything else in the hostile set is not.
    if (!path.matches("[A-Za-z0-9_.+/-]*")) {
      assertThatThrownBy(() -> Remedies.capability("/usr/bin/" + path))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("binary must be an absolute path");
    }
  }

  @Provide
  Arbitrary<Integer> badPorts() {
    return Arbitraries.oneOf(
        Arbitraries.integers().lessOrEqual(0), Arbitraries.integers().greaterOrEqual(65536));
  }

  @Property(tries = TRIES)
  void portsOutOfRangeAreRefusedNamingTheField(@ForAll("badPorts") int port) {
    assertThatThrownBy(() -> Redirect.udp(port, 8080))
        .hasMessage("fromPort must be a port in 1..65535, got " + port);
    assertThatThrownBy(() -> Redirect.udp(80, port))
        .hasMessage("toPort must be a port in 1..65535, got " + port);
  }
}
