package dev.privport.cli;

import dev.privport.core.Checks;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * A writer that remembers why a write failed. {@link PrintWriter} (and {@code System.out}) swallow
 * write errors, so {@code render > /dev/full} or a full disk would cut the output and still exit 0;
 * the command line writes its standard output through this and exits 3 with the cause instead.
 */
final class CheckedOutput extends Writer {
  private final Writer out;
  private IOException failure;

  CheckedOutput(OutputStream out) {
    this.out = new OutputStreamWriter(out, StandardCharsets.UTF_8);
  }

  /** Standard output, encoded as UTF-8. */
  static CheckedOutput stdout() {
    return new CheckedOutput(new FileOutputStream(FileDescriptor.out));
  }

  /** The first write failure, as one line: {@code No space left on device}. */
  Optional<String> failure() {
    return Optional.ofNullable(failure).map(e -> Checks.cause(e, null));
  }

  @Override
  public void write(char[] buffer, int offset, int length) throws IOException {
    try {
      out.write(buffer, offset, length);
    } catch (IOException e) {
      throw remember(e);
    }
  }

  @Override
  public void flush() throws IOException {
    try {
      out.flush();
    } catch (IOException e) {
      throw remember(e);
    }
  }

  @Override
  public void close() throws IOException {
    try {
      out.close();
    } catch (IOException e) {
      throw remember(e);
    }
  }

  private IOException remember(IOException e) {
    if (failure == null) {
      failure = e;
    }
    return e;
  }
}
