package dev.privport.cli;

import dev.privport.core.Checks;
import dev.privport.core.Protocol;
import dev.privport.core.Redirect;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The redirect syntax of the command line and plan files: {@code FROM:TO[/tcp|/udp]} ({@code
 * 80:8080}, {@code 514:5514/udp}) or a range {@code FIRST-LAST:TO[/tcp|/udp]} ({@code
 * 8000-8009:9000}), TCP when no protocol is given.
 */
public final class RedirectSpec {
  private static final Pattern SPEC =
      Pattern.compile("(\\d{1,5})(?:-(\\d{1,5}))?:(\\d{1,5})(?:/(tcp|udp))?");

  private RedirectSpec() {}

  /** The one redirect {@code text} describes. */
  public static Redirect parse(String text) {
    List<Redirect> all = parseAll(text);
    if (all.size() != 1) {
      throw new IllegalArgumentException(
          "redirect must be a single port here, got " + Checks.show(text));
    }
    return all.get(0);
  }

  /**
   * The redirects {@code text} describes (several for a range).
   *
   * @throws IllegalArgumentException naming the text when it is not of that form
   */
  public static List<Redirect> parseAll(String text) {
    Matcher m = SPEC.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "redirect must look like FROM:TO, FROM:TO/udp or FIRST-LAST:TO"
              + " (e.g. 80:8080), got "
              + Checks.show(text));
    }
    Protocol protocol = "udp".equals(m.group(4)) ? Protocol.UDP : Protocol.TCP;
    int from = Integer.parseInt(m.group(1));
    int to = Integer.parseInt(m.group(3));
    if (m.group(2) == null) {
      return List.of(Redirect.of(protocol, from, to));
    }
    return Redirect.range(protocol, from, Integer.parseInt(m.group(2)), to);
  }
}
