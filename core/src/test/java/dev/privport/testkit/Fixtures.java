package dev.privport.testkit;

import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import java.util.Arrays;
import java.util.List;

/** Shared test data: rules that belong to someone else, and plans of every shape. */
public final class Fixtures {
  private Fixtures() {}

  /** Foreign nft tables: a Docker-shaped {@code ip nat} table and an {@code inet} filter table. */
  public static final String FOREIGN_NFT =
      """
      table ip nat {
      	chain DOCKER {
      		tcp dport 9999 counter dnat to 192.0.2.9:80
      	}
      	chain PREROUTING {
      		type nat hook prerouting priority -100; policy accept;
      		fib daddr type local counter jump DOCKER
      	}
      }
      table inet foreign {
      	chain input {
      		type filter hook input priority 0; policy accept;
      		tcp dport 22 counter accept
      	}
      }
      """;

  /**
   * A host firewall as most hosts have one (firewalld, Docker and Podman all install the like): a
   * stateful input filter and a source-NAT chain. It keeps the kernel tracking and translating
   * flows whether or not a plan is present, as on a real host; in a bare namespace the tracker
   * starts only with the plan's own nat chains, and stops with them.
   */
  public static final String STATEFUL_HOST_NFT =
      """
      table inet privport-test-host {
      	chain input {
      		type filter hook input priority 0; policy accept;
      		ct state established,related counter accept
      	}
      	chain postrouting {
      		type nat hook postrouting priority 100; policy accept;
      	}
      }
      """;

  /** Deletes the stateful host's table, declaring it first so that an absent one is no error. */
  private static final String NO_STATEFUL_HOST_NFT =
      "table inet privport-test-host\ndelete table inet privport-test-host\n";

  /** Loads {@link #STATEFUL_HOST_NFT} into {@code ns}, replacing an earlier copy. */
  public static void statefulHost(Netns ns) {
    ns.execWithInput(NO_STATEFUL_HOST_NFT + STATEFUL_HOST_NFT, "nft", "-f", "-").orThrow();
  }

  /** Removes {@link #STATEFUL_HOST_NFT} from {@code ns}; nothing when it is absent. */
  public static void noStatefulHost(Netns ns) {
    ns.execWithInput(NO_STATEFUL_HOST_NFT, "nft", "-f", "-").orThrow();
  }

  /**
   * Forgets every flow the connection tracker of {@code ns} remembers. A tracked UDP flow keeps the
   * translation it was given when it began, so a test that reuses a namespace between plans must
   * call this, or a probe whose random source port repeats an earlier one's finds the earlier
   * plan's redirect (or its absence) instead of the current plan's.
   */
  public static void forgetFlows(Netns ns) {
    ns.sh("conntrack", "-F");
  }

  /** Creates a Docker-shaped foreign chain, rule and jump in both families' nat tables. */
  public static void foreignIptables(Netns ns) {
    for (String tool : List.of("iptables", "ip6tables")) {
      ns.sh(tool, "-w", "-t", "nat", "-N", "DOCKER");
      ns.sh(
          tool,
          "-w",
          "-t",
          "nat",
          "-A",
          "DOCKER",
          "-p",
          "tcp",
          "--dport",
          "9999",
          "-j",
          "REDIRECT",
          "--to-ports",
          "80");
      ns.sh(
          tool,
          "-w",
          "-t",
          "nat",
          "-A",
          "PREROUTING",
          "-m",
          "addrtype",
          "--dst-type",
          "LOCAL",
          "-j",
          "DOCKER");
    }
  }

  /** Flushes and deletes every chain of both families' iptables nat tables in {@code ns}. */
  public static void emptyNat(Netns ns) {
    for (String tool : List.of("iptables", "ip6tables")) {
      ns.sh(tool, "-w", "-t", "nat", "-F");
      ns.sh(tool, "-w", "-t", "nat", "-X");
    }
  }

  /** {@code iptables-save -t nat} of both families, without its timestamped comments. */
  public static String natState(Netns ns) {
    return Arrays.stream(
            (ns.sh("iptables-save", "-t", "nat") + ns.sh("ip6tables-save", "-t", "nat"))
                .split("\n"))
        .filter(l -> !l.startsWith("#"))
        .collect(java.util.stream.Collectors.joining("\n"));
  }

  /**
   * Plans of every shape: the one-liner, and a named mix of protocols, families, scopes and a
   * wildcard.
   */
  public static List<RedirectPlan> plansOfEveryShape() {
    return List.of(
        RedirectPlan.of(80, 8080),
        RedirectPlan.builder()
            .name("mix")
            .tcp(443, 8443)
            .udp(514, 5514)
            .add(Redirect.udp(162, 1162).ipv4Only().incomingOnly().onInterface("eth+"))
            .add(Redirect.tcp(25, 2525).ipv6Only().localOnly())
            .build());
  }
}
