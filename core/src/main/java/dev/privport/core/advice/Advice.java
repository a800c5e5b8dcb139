package dev.privport.core.advice;

import dev.privport.core.Protocol;
import dev.privport.core.spi.Backend;
import java.util.List;
import java.util.Optional;

/**
 * The remedies for one port on one host, which apply, and which privport recommends.
 *
 * @param port the port the service needs
 * @param protocol its protocol
 * @param options every remedy, applicable or not, each with its reason
 * @param recommended the one to use
 */
public record Advice(int port, Protocol protocol, List<Option> options, Option recommended) {
  /**
   * One remedy's verdict.
   *
   * @param backend the remedy; empty for "nothing needed" (the port is already bindable)
   * @param applicable whether it can serve this port on this host
   * @param reason why, in one sentence
   */
  public record Option(Optional<Backend> backend, boolean applicable, String reason) {
    /** What {@link #describe()} names "nothing needed": it is not a backend. */
    public static final String NOTHING_NEEDED = "NOTHING_NEEDED";

    /** The remedy's name, {@code NFT} ... or {@value #NOTHING_NEEDED}. */
    public String label() {
      return backend.map(Backend::name).orElse(NOTHING_NEEDED);
    }
  }

  public Advice {
    options = List.copyOf(options);
  }

  /** A readable report: the recommendation, then every option. */
  public String describe() {
    StringBuilder out =
        new StringBuilder()
            .append("Port ")
            .append(port)
            .append('/')
            .append(protocol.keyword())
            .append(": use ")
            .append(recommended.label())
            .append(" - ")
            .append(recommended.reason())
            .append('\n');
    for (Option o : options) {
      out.append(o.applicable() ? "  + " : "  - ")
          .append(o.label())
          .append(": ")
          .append(o.reason())
          .append('\n');
    }
    return out.toString();
  }
}
