package dev.privport.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code privport --version} is the version of the build, as the POM states it. */
class VersionTest {
  @Test
  void versionIsTheProjectVersionOfThePom() throws IOException {
    // Surefire runs in the module's directory: the parent's version is the project's.
    String pom = Files.readString(Path.of("pom.xml"));
    Matcher m =
        Pattern.compile("<parent>.*?<version>([^<]+)</version>", Pattern.DOTALL).matcher(pom);
    assertThat(m.find()).as("parent version in examples/pom.xml").isTrue();

    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Privport.run(new String[] {"--version"}, new PrintWriter(out), new PrintWriter(err));
    assertThat(code).isZero();
    assertThat(out.toString()).isEqualTo("privport " + m.group(1) + System.lineSeparator());
    assertThat(Version.current()).isEqualTo(m.group(1));
  }
}
