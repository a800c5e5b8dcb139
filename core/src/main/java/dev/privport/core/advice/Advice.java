package dev.privport.core.advice;

import dev.privport.core.Protocol;
import java.util.List;

/**
 * The remedies for one port on one host, which apply, and which privport recommends.
 *
 * @param port the port the service needs
 * @param protocol its protocol
 * @param options every remedy, applicable or not, each with its reason
 * @param recommended the one to use
 */
public record Advice(int port, Protocol protocol, List<Option> options, Option recommended) {
  /** The ways privport knows to serve a privileged port. */
  public enum Kind {
    NOTHING_NEEDED,
    FIREWALLD,
    NFT,
    IPTABLES,
    REDIR,
    UNPRIVILEGED_PORT_START,
    CAPABILITY
  }

  /**
   * One remedy's verdict.
   *
   * @param kind the remedy
   * @param applicable whether it can serve this port on this host
   * @param reason why, in one sentence
   */
  public record Option(Kind kind, boolean applicable, String reason) {}

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
            .append(recommended.kind())
            .append(" - ")
            .append(recommended.reason())
            .append('\n');
    for (Option o : options) {
      out.append(o.applicable() ? "  + " : "  - ")
          .append(o.kind())
          .append(": ")
          .append(o.reason())
          .append('\n');
    }
    return out.toString();
  }
}
