package dev.privport.daemon;

import dev.privport.core.RedirectPlan;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The command line's side of delegation: sends one request to the daemon's socket and prints the
 * answer as the local command would, returning the same exit code. Errors are one line on {@code
 * err}; a daemon that cannot be reached is exit 3, naming the socket.
 *
 * @param socket the daemon's socket
 */
public record DaemonClient(Path socket) {
  /** How long a client waits for the daemon's answer. */
  public static final long ANSWER_SECONDS = 60;

  /** Asks the daemon to apply {@code plan} as the caller's plan (replacing the previous one). */
  public int apply(RedirectPlan plan, PrintWriter out, PrintWriter err) {
    return call(new Wire.Request(Wire.Verb.APPLY, PlanText.text(plan)), out, err);
  }

  /**
   * Asks the daemon to remove {@code plan}'s ports from the caller's plan, or the whole plan when
   * {@code plan} is null.
   */
  public int remove(RedirectPlan plan, PrintWriter out, PrintWriter err) {
    return call(
        new Wire.Request(Wire.Verb.REMOVE, plan == null ? "" : PlanText.text(plan)), out, err);
  }

  /** Asks for the caller's plan and its live state; {@code all} (root): every user's. */
  public int status(boolean all, PrintWriter out, PrintWriter err) {
    return call(new Wire.Request(all ? Wire.Verb.LIST : Wire.Verb.STATUS, ""), out, err);
  }

  private int call(Wire.Request request, PrintWriter out, PrintWriter err) {
    if (request.encode().length > Wire.MAX_REQUEST) {
      err.println(
          "privport: plan: larger than the "
              + Wire.MAX_REQUEST
              + " bytes a request to the daemon may have");
      return 2;
    }
    Wire.Response response;
    try {
      response = send(request);
    } catch (java.nio.channels.AsynchronousCloseException e) {
      err.println("privport: daemon at " + socket + ": no answer within " + ANSWER_SECONDS + " s");
      return 3;
    } catch (IOException | IllegalStateException e) {
      err.println("privport: daemon at " + socket + ": " + e.getMessage());
      return 3;
    }
    if (response.code() <= 1) {
      out.print(response.text());
    } else {
      err.println("privport: " + response.text().strip().replace('\n', ' '));
    }
    out.flush();
    err.flush();
    return response.code();
  }

  /** Sends one request and reads the answer. */
  public Wire.Response send(Wire.Request request) throws IOException {
    byte[] bytes = request.encode();
    if (bytes.length > Wire.MAX_REQUEST) {
      throw new IllegalStateException(
          "the plan is larger than the " + Wire.MAX_REQUEST + " bytes a request may have");
    }
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      try {
        ch.connect(UnixDomainSocketAddress.of(socket));
      } catch (IOException e) {
        throw new IOException(
            "cannot connect: " + e.getMessage() + " (is the daemon running? privport.socket)", e);
      }
      // A daemon that never answers must not hang the command: closing the channel ends the read.
      java.util.concurrent.CompletableFuture.delayedExecutor(
              ANSWER_SECONDS, java.util.concurrent.TimeUnit.SECONDS)
          .execute(
              () -> {
                try {
                  ch.close();
                } catch (IOException ignored) {
                  // Already closed: the answer came.
                }
              });
      ByteBuffer b = ByteBuffer.wrap(bytes);
      try {
        while (b.hasRemaining()) {
          ch.write(b);
        }
        ch.shutdownOutput();
      } catch (IOException refusedEarly) {
        // The daemon may have answered and closed already (a request too large): read that.
      }
      ByteBuffer in = ByteBuffer.allocate(64 * 1024);
      byte[] all = new byte[0];
      while (true) {
        in.clear();
        int n = ch.read(in);
        if (n < 0) {
          break;
        }
        if (all.length + n > Wire.MAX_RESPONSE) {
          throw new IllegalStateException("answer larger than " + Wire.MAX_RESPONSE + " bytes");
        }
        int old = all.length;
        all = Arrays.copyOf(all, old + n);
        System.arraycopy(in.array(), 0, all, old, n);
      }
      if (all.length == 0) {
        throw new IOException("the daemon closed the connection without an answer");
      }
      return Wire.Response.decode(all);
    }
  }
}
