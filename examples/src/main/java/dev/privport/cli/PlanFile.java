package dev.privport.cli;

import dev.privport.core.Checks;
import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The plan file: the intent, kept in a repository beside the rules rendered from it.
 *
 * <pre>
 * # privport.plan: one redirect a line; '#' starts a comment.
 * name web                                  # optional, at most once
 * 80:8080                                   # TCP, IPv4 and IPv6, incoming and local
 * 443:8443/tcp
 * 514:5514/udp ipv4-only incoming-only interface=eth0
 * 8000-8009:9000/tcp                        # a range, port by port
 * </pre>
 *
 * A redirect is {@code FROM:TO[/tcp|/udp]} or {@code FIRST-LAST:TO[/tcp|/udp]}, followed by
 * options: {@code ipv4-only}, {@code ipv6-only}, {@code incoming-only}, {@code local-only}, {@code
 * interface=IF}. Errors name the file, line and column.
 */
public final class PlanFile {
  private PlanFile() {}

  /** An error in a plan file, with its position. */
  public static final class ParseException extends IllegalArgumentException {
    public ParseException(String source, int line, int column, String message) {
      super(source + ":" + line + ":" + column + ": " + message);
    }
  }

  /** Reads and parses a plan file. */
  public static RedirectPlan read(Path file) {
    try {
      return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    } catch (IOException e) {
      throw new IllegalArgumentException("plan: cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** Parses plan file text; {@code source} names it in errors. */
  public static RedirectPlan parse(String text, String source) {
    RedirectPlan.Builder plan = RedirectPlan.builder();
    boolean named = false;
    int count = 0;
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      int hash = line.indexOf('#');
      String content = hash >= 0 ? line.substring(0, hash) : line;
      List<int[]> spans = words(content);
      if (spans.isEmpty()) {
        continue;
      }
      int lineNo = i + 1;
      String first = word(content, spans.get(0));
      if (first.equals("name")) {
        if (named) {
          throw new ParseException(source, lineNo, spans.get(0)[0] + 1, "the plan is named twice");
        }
        if (spans.size() != 2) {
          throw new ParseException(source, lineNo, spans.get(0)[0] + 1, "expected: name NAME");
        }
        try {
          plan.name(word(content, spans.get(1)));
        } catch (IllegalArgumentException e) {
          throw new ParseException(source, lineNo, spans.get(1)[0] + 1, e.getMessage());
        }
        named = true;
        continue;
      }
      List<Redirect> redirects;
      try {
        redirects = RedirectSpec.parseAll(first);
      } catch (IllegalArgumentException e) {
        throw new ParseException(source, lineNo, spans.get(0)[0] + 1, e.getMessage());
      }
      List<UnaryOperator<Redirect>> options = new ArrayList<>();
      for (int w = 1; w < spans.size(); w++) {
        String option = word(content, spans.get(w));
        UnaryOperator<Redirect> op = option(option);
        if (op == null) {
          throw new ParseException(
              source,
              lineNo,
              spans.get(w)[0] + 1,
              "unknown option "
                  + Checks.show(option)
                  + " (expected ipv4-only, ipv6-only, incoming-only, local-only or interface=IF)");
        }
        options.add(op);
      }
      for (Redirect r : redirects) {
        for (int w = 0; w < options.size(); w++) {
          try {
            r = options.get(w).apply(r);
          } catch (IllegalArgumentException e) {
            throw new ParseException(source, lineNo, spans.get(w + 1)[0] + 1, e.getMessage());
          }
        }
        plan.add(r);
        count++;
      }
    }
    if (count == 0) {
      throw new ParseException(source, lines.length, 1, "the plan holds no redirect");
    }
    try {
      return plan.build();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
    }
  }

  /** The redirect option a plan file (or the command line, without its dashes) names. */
  static UnaryOperator<Redirect> option(String option) {
    return switch (option) {
      case "ipv4-only" -> Redirect::ipv4Only;
      case "ipv6-only" -> Redirect::ipv6Only;
      case "incoming-only" -> Redirect::incomingOnly;
      case "local-only" -> Redirect::localOnly;
      default ->
          option.startsWith("interface=")
              ? r -> r.onInterface(option.substring("interface=".length()))
              : null;
    };
  }

  private static List<int[]> words(String line) {
    List<int[]> out = new ArrayList<>();
    int i = 0;
    while (i < line.length()) {
      while (i < line.length() && Character.isWhitespace(line.charAt(i))) {
        i++;
      }
      int start = i;
      while (i < line.length() && !Character.isWhitespace(line.charAt(i))) {
        i++;
      }
      if (i > start) {
        out.add(new int[] {start, i});
      }
    }
    return out;
  }

  private static String word(String line, int[] span) {
    return line.substring(span[0], span[1]);
  }
}
