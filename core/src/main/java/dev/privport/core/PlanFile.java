package dev.privport.core;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
 * <p>A redirect is {@code FROM:TO[/tcp|/udp]} or {@code FIRST-LAST:TO[/tcp|/udp]} ({@link
 * #redirects(String)}), followed by options: at most one of {@code ipv4-only}/{@code ipv6-only}, at
 * most one of {@code incoming-only}/{@code local-only}, at most one {@code interface=IF}.
 *
 * <p>Errors are {@link IllegalArgumentException}s on one line, naming the line and column ({@code
 * 3:14: unknown option ...}), and for {@link #read} the file too ({@code privport.plan:3:14: ...}).
 * {@link #read} takes regular files only (a symlink to one is fine), of at most {@link #MAX_BYTES},
 * in UTF-8.
 */
public final class PlanFile {
  /** The largest plan file {@link #read} accepts: 16 MiB. */
  public static final int MAX_BYTES = 16 << 20;

  private static final Pattern SPEC =
      Pattern.compile("(\\d{1,5})(?:-(\\d{1,5}))?:(\\d{1,5})(?:/(tcp|udp))?");

  private static final String OPTIONS =
      "ipv4-only, ipv6-only, incoming-only, local-only or interface=IF";

  private PlanFile() {}

  /**
   * An error at a position of a plan file; the message begins with {@code [FILE:]LINE:COLUMN: }.
   */
  public static final class ParseException extends IllegalArgumentException {
    private final int line;
    private final int column;

    ParseException(String source, int line, int column, String message) {
      super(source + line + ":" + column + ": " + message);
      this.line = line;
      this.column = column;
    }

    /** The line, counted from 1. */
    public int line() {
      return line;
    }

    /** The column, counted from 1 in characters. */
    public int column() {
      return column;
    }
  }

  /**
   * Parses plan file text.
   *
   * @throws IllegalArgumentException naming {@code line:column} and the problem
   */
  public static RedirectPlan parse(String text) {
    Checks.check(text != null, "text", null, "must not be null");
    return parseWithPrefix(text, "");
  }

  /**
   * Parses plan file text that came from {@code source} (a file name, a request): errors begin
   * {@code SOURCE:line:column:}.
   *
   * @throws IllegalArgumentException naming the source, {@code line:column} and the problem
   */
  public static RedirectPlan parse(String text, String source) {
    Checks.check(text != null, "text", null, "must not be null");
    Checks.check(source != null, "source", null, "must not be null");
    return parseWithPrefix(text, source + ":");
  }

  /**
   * Reads and parses a plan file: a regular file (or a symlink to one) of at most {@link
   * #MAX_BYTES} bytes of UTF-8.
   *
   * @throws IllegalArgumentException naming the file and, for its content, {@code line:column}: the
   *     file is missing, unreadable, not a regular file, too large, not UTF-8 or not a valid plan
   * @throws UncheckedIOException naming the file and the cause when reading fails otherwise
   */
  public static RedirectPlan read(Path file) {
    Checks.check(file != null, "file", null, "must not be null");
    return parseWithPrefix(readText(file, "plan file"), file + ":");
  }

  /**
   * Reads a text file the way {@link #read} reads a plan file, for callers that read other inputs
   * (a rules file a config repository holds): a regular file (or a symlink to one) of at most
   * {@link #MAX_BYTES}, in UTF-8 (a leading byte-order mark dropped).
   *
   * @param what names the file's role in errors, e.g. {@code rules file}
   * @throws IllegalArgumentException naming the file and the problem, for what is the caller's to
   *     fix: missing, no permission, not a regular file, too large, not UTF-8 ({@code
   *     FILE:LINE:COLUMN: not UTF-8: ...})
   * @throws UncheckedIOException naming the file and the cause, for any other failure
   */
  public static String readText(Path file, String what) {
    return decode(readBytes(file, MAX_BYTES, what), file + ":");
  }

  /**
   * Reads a whole regular file (following symlinks) of at most {@code maxBytes}, refusing devices,
   * FIFOs, sockets and directories before opening them, so that {@code /dev/zero} or a FIFO can
   * neither exhaust memory nor block. The read itself is bounded too, in case the file is swapped
   * between the check and the open. Also for callers that compare files byte for byte (such as
   * {@code privport check}); errors are one line naming {@code what} and the file.
   *
   * @throws IllegalArgumentException for a directory, device, FIFO or socket, or a file too large
   */
  public static byte[] readBytes(Path file, int maxBytes, String what) {
    BasicFileAttributes attributes;
    try {
      attributes = Files.readAttributes(file, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException(what + " " + file + ": no such file", e);
    } catch (IOException e) {
      throw failure(what, file, e);
    }
    if (attributes.isDirectory()) {
      throw new IllegalArgumentException(what + " " + file + ": is a directory, not a file");
    }
    if (!attributes.isRegularFile()) {
      throw new IllegalArgumentException(
          what + " " + file + ": not a regular file (a device, FIFO or socket)");
    }
    if (attributes.size() > maxBytes) {
      throw tooLarge(what, file, maxBytes);
    }
    try (InputStream in = Files.newInputStream(file)) {
      byte[] bytes = in.readNBytes(maxBytes + 1);
      if (bytes.length > maxBytes) {
        throw tooLarge(what, file, maxBytes);
      }
      return bytes;
    } catch (IOException e) {
      throw failure(what, file, e);
    }
  }

  private static IllegalArgumentException tooLarge(String what, Path file, int maxBytes) {
    return new IllegalArgumentException(
        what + " " + file + ": larger than " + (maxBytes >> 20) + " MiB, the limit");
  }

  private static RuntimeException failure(String what, Path file, IOException e) {
    String message = what + " " + file + ": cannot read: " + Checks.cause(e, file);
    return e instanceof AccessDeniedException || e instanceof NoSuchFileException
        ? new IllegalArgumentException(message, e)
        : new UncheckedIOException(message, e);
  }

  /** Decodes UTF-8, naming the line and column of the first invalid byte; drops a leading BOM. */
  private static String decode(byte[] bytes, String source) {
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CharBuffer out = CharBuffer.allocate(bytes.length);
    CoderResult result = decoder.decode(in, out, true);
    if (!result.isError()) {
      result = decoder.flush(out);
    }
    if (result.isError()) {
      out.flip();
      int line = 1;
      int lineStart = 0;
      for (int i = 0; i < out.limit(); i++) {
        if (out.get(i) == '\n') {
          line++;
          lineStart = i + 1;
        }
      }
      throw new ParseException(
          source,
          line,
          out.limit() - lineStart + 1,
          String.format(
              Locale.ROOT,
              "not UTF-8: byte 0x%02X at offset %d (save the file as UTF-8)",
              bytes[in.position()] & 0xFF,
              in.position()));
    }
    out.flip();
    String text = out.toString();
    return text.startsWith("\uFEFF") ? text.substring(1) : text;
  }

  /**
   * The redirects one redirect word describes: {@code FROM:TO[/tcp|/udp]} ({@code 80:8080}, {@code
   * 514:5514/udp}) or a range {@code FIRST-LAST:TO[/tcp|/udp]} ({@code 8000-8009:9000}, port by
   * port: see {@link Redirect#range}); TCP when no protocol is given. Each is for both families and
   * both scopes. The command line takes the same syntax.
   *
   * @throws IllegalArgumentException naming the text when it is not of that form
   */
  public static List<Redirect> redirects(String text) {
    Checks.check(text != null, "redirect", null, "must not be null");
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

  private static RedirectPlan parseWithPrefix(String text, String source) {
    RedirectPlan.Builder plan = RedirectPlan.builder();
    boolean named = false;
    int count = 0;
    int lineNo = 0;
    int start = 0;
    while (start <= text.length()) {
      int end = text.indexOf('\n', start);
      if (end < 0) {
        end = text.length();
      }
      lineNo++;
      String line = text.substring(start, end);
      start = end + 1;
      int hash = line.indexOf('#');
      String content = hash >= 0 ? line.substring(0, hash) : line;
      List<int[]> spans = words(content);
      if (spans.isEmpty()) {
        continue;
      }
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
        redirects = redirects(first);
      } catch (IllegalArgumentException e) {
        throw new ParseException(source, lineNo, spans.get(0)[0] + 1, e.getMessage());
      }
      Options options = new Options();
      for (int w = 1; w < spans.size(); w++) {
        options.add(word(content, spans.get(w)), source, lineNo, spans.get(w)[0] + 1);
      }
      for (Redirect r : redirects) {
        Redirect shaped;
        try {
          shaped = options.applyTo(r);
        } catch (IllegalArgumentException e) {
          throw new ParseException(source, lineNo, options.lastColumn(), e.getMessage());
        }
        try {
          plan.add(shaped);
        } catch (IllegalArgumentException e) {
          throw new ParseException(source, lineNo, spans.get(0)[0] + 1, e.getMessage());
        }
        count++;
      }
    }
    if (count == 0) {
      throw new ParseException(source, lineNo, 1, "the plan holds no redirect");
    }
    try {
      return plan.build();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          (source.isEmpty() ? "" : source + " ") + e.getMessage(), e);
    }
  }

  /** The options of one line: each kind at most once, as on the command line. */
  private static final class Options {
    private String family;
    private String scope;
    private String ifname;
    private final int[] columns = new int[3];

    void add(String option, String source, int line, int column) {
      switch (option) {
        case "ipv4-only", "ipv6-only" -> family = once(0, family, option, source, line, column);
        case "incoming-only", "local-only" -> scope = once(1, scope, option, source, line, column);
        default -> {
          if (!option.startsWith("interface=")) {
            throw new ParseException(
                source,
                line,
                column,
                "unknown option " + Checks.show(option) + " (expected " + OPTIONS + ")");
          }
          String name = option.substring("interface=".length());
          if (ifname != null) {
            throw new ParseException(
                source,
                line,
                column,
                "interface="
                    + name
                    + " contradicts interface="
                    + ifname
                    + " at column "
                    + columns[2]
                    + ": give at most one interface a line");
          }
          try {
            Checks.interfaceName(name);
          } catch (IllegalArgumentException e) {
            throw new ParseException(source, line, column, e.getMessage());
          }
          ifname = name;
          columns[2] = column;
        }
      }
    }

    private String once(
        int kind, String earlier, String option, String source, int line, int column) {
      if (earlier != null) {
        throw new ParseException(
            source,
            line,
            column,
            option
                + (earlier.equals(option) ? " repeats " : " contradicts ")
                + earlier
                + " at column "
                + columns[kind]);
      }
      columns[kind] = column;
      return option;
    }

    Redirect applyTo(Redirect r) {
      if (family != null) {
        r = family.equals("ipv4-only") ? r.ipv4Only() : r.ipv6Only();
      }
      if (ifname != null) {
        r = r.onInterface(ifname);
      }
      if (scope != null) {
        r = scope.equals("incoming-only") ? r.incomingOnly() : r.localOnly();
      }
      return r;
    }

    /** The column of the option a failing combination is blamed on: the last one given. */
    int lastColumn() {
      return Math.max(columns[0], Math.max(columns[1], columns[2]));
    }
  }

  private static List<int[]> words(String line) {
    List<int[]> out = new ArrayList<>();
    int i = 0;
    while (i < line.length()) {
      while (i < line.length() && Character.isWhitespace(line.charAt(i))) {
        i++;
      }
      int begin = i;
      while (i < line.length() && !Character.isWhitespace(line.charAt(i))) {
        i++;
      }
      if (i > begin) {
        out.add(new int[] {begin, i});
      }
    }
    return out;
  }

  private static String word(String line, int[] span) {
    return line.substring(span[0], span[1]);
  }
}
