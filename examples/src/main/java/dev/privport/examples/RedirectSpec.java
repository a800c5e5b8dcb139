package dev.privport.examples;

import dev.privport.core.Protocol;
import dev.privport.core.Redirect;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses the command line's redirect syntax: {@code FROM:TO[/tcp|/udp]}, e.g. {@code 514:5514/udp}. */
public final class RedirectSpec {
  private static final Pattern SPEC = Pattern.compile("(\\d{1,5}):(\\d{1,5})(?:/(tcp|udp))?");

  private RedirectSpec() {}

  /**
   * The redirect {@code text} describes.
   *
   * @throws IllegalArgumentException naming the text when it is not of the form FROM:TO[/PROTO]
   */
  public static Redirect parse(String text) {
    Matcher m = SPEC.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "redirect must look like FROM:TO or FROM:TO/tcp or FROM:TO/udp (e.g. 80:8080), got \"" + text + "\"");
    }
    Protocol protocol = "udp".equals(m.group(3)) ? Protocol.UDP : Protocol.TCP;
    return Redirect.of(protocol, Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
  }
}
