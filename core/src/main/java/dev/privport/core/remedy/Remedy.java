package dev.privport.core.remedy;

import dev.privport.core.Command;
import dev.privport.core.ConfigFile;
import java.util.List;

/**
 * One way of letting an unprivileged service use a low port, rendered: the commands that apply and
 * undo it (argv lists, run without a shell), the files that make it persistent, and what the
 * operator must know before choosing it.
 *
 * @param kind which remedy
 * @param summary one line saying what it does
 * @param apply commands that take effect now (and install the files, where that needs a command)
 * @param undo commands that reverse {@code apply}
 * @param files files to install or check into a config repository
 * @param caveats the trade-offs, in plain words
 */
public record Remedy(
    Kind kind,
    String summary,
    List<Command> apply,
    List<Command> undo,
    List<ConfigFile> files,
    List<String> caveats) {

  /** The remedies privport renders besides firewall rules. */
  public enum Kind {
    /** A user-space TCP forwarder ({@code redir}) under systemd. */
    REDIR,
    /** Lowering {@code net.ipv4.ip_unprivileged_port_start}. */
    UNPRIVILEGED_PORT_START,
    /** {@code CAP_NET_BIND_SERVICE} as a file capability on one binary. */
    CAPABILITY,
    /** Widening {@code net.ipv4.ping_group_range} for unprivileged ICMP echo. */
    PING_GROUP_RANGE
  }

  public Remedy {
    apply = List.copyOf(apply);
    undo = List.copyOf(undo);
    files = List.copyOf(files);
    caveats = List.copyOf(caveats);
  }
}
