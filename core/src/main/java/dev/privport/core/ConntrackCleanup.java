package dev.privport.core;

import com.google.common.collect.ImmutableList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The {@code conntrack -D} commands that make UDP flows which began before an apply or a remove
 * follow the new rules.
 *
 * <p>Why it is needed: the kernel decides a flow's address translation on its first packet and
 * keeps it in the flow's connection-tracking entry; the nat rules never see the later packets. A
 * UDP sender that keeps one source port and sends more often than the entry's timeout (a switch
 * sending syslog to 514 every few seconds, an SNMP agent sending traps to 162) keeps its entry
 * alive forever, so after an apply its packets still go to the old port, and after a remove they
 * are still redirected. Deleting the entries makes the next packet start a fresh flow, which the
 * current rules translate. TCP needs none of this: established connections keep running and every
 * new connection is translated afresh, which is what a user wants.
 *
 * <p>The commands delete every tracked UDP flow to the plan's ports, forwarded ones included: their
 * next packet starts a new flow that the host's rules treat exactly as before. A plan with more
 * than {@link #MAX_PORTS} distinct UDP ports deletes every tracked UDP flow of its families in one
 * command instead of starting hundreds of processes.
 *
 * @param commands the commands, in port order; empty for a plan without UDP redirects
 */
public record ConntrackCleanup(List<Command> commands) {
  /** Above this many distinct UDP ports one command deletes all UDP flows. */
  public static final int MAX_PORTS = 32;

  /**
   * What conntrack prints when no entry matched. It exits 1 then, as it does for real failures (no
   * CAP_NET_ADMIN, say), so only this text tells the usual, successful case apart.
   */
  static final String NOTHING_DELETED = " 0 flow entries have been deleted";

  public ConntrackCleanup {
    commands = ImmutableList.copyOf(commands);
  }

  /**
   * The cleanup for {@code plan}'s UDP redirects, for both the apply and the remove of the plan.
   */
  public static ConntrackCleanup forPlan(RedirectPlan plan) {
    return forRules(plan.rules());
  }

  /**
   * The cleanup for the UDP ports of {@code rules}. When an apply replaces a table that held other
   * redirects, pass the union of the plan's rules and the replaced ones: flows to a port the new
   * plan dropped are stale too.
   */
  public static ConntrackCleanup forRules(Collection<RedirectRule> rules) {
    Map<Integer, Set<Family>> ports = new TreeMap<>();
    for (RedirectRule rule : rules) {
      if (rule.protocol() == Protocol.UDP) {
        ports
            .computeIfAbsent(rule.fromPort(), p -> EnumSet.noneOf(Family.class))
            .addAll(rule.families());
      }
    }
    ImmutableList.Builder<Command> out = ImmutableList.builder();
    if (ports.size() > MAX_PORTS) {
      Set<Family> all = EnumSet.noneOf(Family.class);
      ports.values().forEach(all::addAll);
      out.add(command(all, null));
    } else {
      ports.forEach((port, families) -> out.add(command(families, port)));
    }
    return new ConntrackCleanup(out.build());
  }

  /**
   * {@code conntrack -D [-f FAMILY] -p udp [--orig-port-dst PORT]}; no {@code -f} means both
   * families.
   */
  private static Command command(Set<Family> families, Integer port) {
    ImmutableList.Builder<String> argv = ImmutableList.<String>builder().add("conntrack", "-D");
    if (families.size() == 1) {
      argv.add("-f", families.iterator().next().keyword());
    }
    argv.add("-p", "udp");
    if (port != null) {
      argv.add("--orig-port-dst", Integer.toString(port));
    }
    return new Command(argv.build());
  }

  /**
   * Comment lines for rendered rule text that is applied at run time (an nft script, shell
   * commands): how to move UDP senders that are already sending. Empty for a plan without UDP.
   */
  public static String note(RedirectPlan plan) {
    String ports = udpPorts(plan.rules());
    if (ports.isEmpty()) {
      return "";
    }
    return "# UDP flows that began before an apply or a remove keep their old path until cleared:\n"
        + "#   conntrack -D -p udp --orig-port-dst PORT   (PORT: "
        + ports
        + ")\n";
  }

  /**
   * The UDP ports of {@code rules} in ascending order, space-separated, for messages: at most
   * eight, then {@code ... (N ports)}. Empty when there is none.
   */
  public static String udpPorts(Collection<RedirectRule> rules) {
    List<String> ports =
        rules.stream()
            .filter(r -> r.protocol() == Protocol.UDP)
            .map(RedirectRule::fromPort)
            .distinct()
            .sorted()
            .map(String::valueOf)
            .toList();
    return ports.size() <= 8
        ? String.join(" ", ports)
        : String.join(" ", ports.subList(0, 8)) + " ... (" + ports.size() + " ports)";
  }

  /** True when the plan has no UDP redirect, so there is nothing to clean up. */
  public boolean isEmpty() {
    return commands.isEmpty();
  }

  /**
   * The commands as lines for a shell script. Each ends in {@code || true}: conntrack exits 1 when
   * no entry matched, which is the usual case, and the rules are in place whatever happens here; a
   * real failure still prints its reason on stderr.
   */
  public String toShell() {
    StringBuilder out = new StringBuilder();
    for (Command c : commands) {
      out.append(c.toShell()).append(" || true\n");
    }
    return out.toString();
  }

  /** Success, or conntrack's exit 1 for "0 flow entries have been deleted". */
  private static boolean succeeded(CommandRunner.Outcome outcome) {
    return outcome.exitStatus() == 0
        || (outcome.exitStatus() == 1 && outcome.output().contains(NOTHING_DELETED));
  }

  /**
   * Runs the commands with {@code runner}.
   *
   * @throws IllegalStateException naming the first command that failed and what it printed (a
   *     {@link CommandException} when conntrack cannot run at all)
   */
  public void execute(CommandRunner runner) {
    for (Command c : commands) {
      CommandRunner.Outcome r = runner.run(c);
      if (!succeeded(r)) {
        throw new IllegalStateException(
            c.toShell() + " exited " + r.exitStatus() + ": " + r.output().strip());
      }
    }
  }
}
