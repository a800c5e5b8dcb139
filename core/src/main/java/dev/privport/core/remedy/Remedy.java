package dev.privport.core.remedy;

import dev.privport.core.CommandRunner;
import dev.privport.core.ConfigFile;
import dev.privport.core.Step;
import java.util.List;

/**
 * One way of letting an unprivileged service use a low port, rendered: the commands that apply and
 * undo it (argv lists, run without a shell), the files that make it persistent, and what the
 * operator must know before choosing it.
 *
 * @param kind which remedy
 * @param summary one line saying what it does
 * @param apply steps that take effect now (argv lists, guarded where a guard keeps them safe to
 *     rerun); empty when the host already allows what was asked
 * @param undo steps that put back what {@code apply} found; safe to run twice
 * @param files files to install or check into a config repository
 * @param caveats the trade-offs, in plain words
 */
public record Remedy(
    Kind kind,
    String summary,
    List<Step> apply,
    List<Step> undo,
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

  /** Whether applying changes anything: false when the host already allows what was asked. */
  public boolean needed() {
    return !apply.isEmpty();
  }

  /** Runs every apply step with {@code runner}. */
  public void executeApply(CommandRunner runner) {
    Step.executeAll(apply, runner);
  }

  /** Runs every undo step with {@code runner}. */
  public void executeUndo(CommandRunner runner) {
    Step.executeAll(undo, runner);
  }
}
