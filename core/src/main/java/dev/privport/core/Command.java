package dev.privport.core;

import com.google.common.collect.ImmutableList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One command as an argv list, to be executed without a shell, plus its shell-safe rendering. It
 * only says what to run: a {@link CommandRunner} runs it ({@link SubprocessRunner} finds the
 * program and starts it).
 *
 * @param argv the program and its arguments, not empty
 */
public record Command(List<String> argv) {
  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_./:=@%+,-]+");

  public Command {
    argv = ImmutableList.copyOf(argv);
    Checks.check(!argv.isEmpty(), "argv", "[]", "must name a program");
  }

  /** A command from its words. */
  public static Command of(String... argv) {
    return new Command(List.of(argv));
  }

  /** The program, {@code argv[0]}. */
  public String program() {
    return argv.get(0);
  }

  /** The command as one line for {@code sh}: every word that needs it single-quoted. */
  public String toShell() {
    StringBuilder out = new StringBuilder();
    for (String word : argv) {
      if (out.length() > 0) {
        out.append(' ');
      }
      out.append(quote(word));
    }
    return out.toString();
  }

  /** One word quoted for {@code sh}: unchanged when safe, else in single quotes. */
  public static String quote(String word) {
    if (SAFE.matcher(word).matches()) {
      return word;
    }
    return "'" + word.replace("'", "'\\''") + "'";
  }
}
