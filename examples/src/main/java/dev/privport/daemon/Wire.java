package dev.privport.daemon;

import dev.privport.core.Checks;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The daemon's protocol: one request per connection, at most {@link #MAX_REQUEST} bytes of UTF-8,
 * ended by the client closing its side; one response, then the daemon closes.
 *
 * <pre>
 * request:  privport/1 VERB\n BODY        VERB: apply, remove, status, list
 * response: privport/1 CODE\n TEXT        CODE: the command line's exit code
 * </pre>
 *
 * The body of {@code apply} and {@code remove} is plan-file text ({@code remove} with no redirect
 * removes the caller's whole plan). For codes 0 and 1 the text is what the command prints; for 2
 * and 3 it is one error line. The caller is never named in a request: the daemon asks the kernel.
 */
public final class Wire {
  /** The version word both sides write first. */
  public static final String VERSION = "privport/1";

  /** The largest request the daemon reads. */
  public static final int MAX_REQUEST = 64 * 1024;

  /** The largest response a client reads. */
  public static final int MAX_RESPONSE = 16 * 1024 * 1024;

  private Wire() {}

  /** What a client asks. */
  public enum Verb {
    APPLY,
    REMOVE,
    STATUS,
    LIST;

    /** The word on the wire. */
    public String word() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * A parsed request.
   *
   * @param verb what is asked
   * @param body the plan text (may be empty)
   */
  public record Request(Verb verb, String body) {
    /** The request's bytes. */
    public byte[] encode() {
      return (VERSION + " " + verb.word() + "\n" + body).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Reads a request.
     *
     * @throws IllegalArgumentException with a one-line reason for anything else
     */
    public static Request decode(byte[] bytes) {
      if (bytes.length > MAX_REQUEST) {
        throw new IllegalArgumentException("request is larger than " + MAX_REQUEST + " bytes");
      }
      String text = utf8(bytes, "request");
      int nl = text.indexOf('\n');
      String head = nl < 0 ? text : text.substring(0, nl);
      String body = nl < 0 ? "" : text.substring(nl + 1);
      String[] words = head.split(" ", -1);
      if (words.length != 2 || !words[0].startsWith("privport/")) {
        throw new IllegalArgumentException(
            "request must begin with \"" + VERSION + " VERB\", got " + Checks.show(head));
      }
      if (!words[0].equals(VERSION)) {
        throw new IllegalArgumentException(
            "unsupported protocol version "
                + Checks.show(words[0])
                + " (this daemon speaks "
                + VERSION
                + ")");
      }
      for (Verb v : Verb.values()) {
        if (v.word().equals(words[1])) {
          return new Request(v, body);
        }
      }
      throw new IllegalArgumentException(
          "unknown request " + Checks.show(words[1]) + " (expected apply, remove, status or list)");
    }
  }

  /**
   * A response.
   *
   * @param code the exit code the client exits with
   * @param text the output (codes 0, 1) or the one-line error (codes 2, 3)
   */
  public record Response(int code, String text) {
    /** The response's bytes. */
    public byte[] encode() {
      return (VERSION + " " + code + "\n" + text).getBytes(StandardCharsets.UTF_8);
    }

    /** Reads a response. */
    public static Response decode(byte[] bytes) {
      String text = utf8(bytes, "response");
      int nl = text.indexOf('\n');
      String head = nl < 0 ? text : text.substring(0, nl);
      String[] words = head.split(" ", -1);
      if (words.length != 2 || !words[0].equals(VERSION) || !words[1].matches("[0-9]")) {
        throw new IllegalStateException(
            "the daemon answered something else than \""
                + VERSION
                + " CODE\": "
                + Checks.show(head));
      }
      return new Response(Integer.parseInt(words[1]), nl < 0 ? "" : text.substring(nl + 1));
    }
  }

  private static String utf8(byte[] bytes, String what) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException(what + " is not UTF-8 text");
    }
  }
}
