package dev.privport.core.advice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.testkit.fixtures.FirewalldDaemon;
import dev.privport.testkit.lab.Kernel;
import dev.privport.testkit.lab.Netns;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The host reading is of this network namespace: a firewalld running in another namespace (here on
 * a bus this namespace can reach) and a process that merely names firewalld do not count; the
 * firewalld of this namespace does. Legacy x_tables loaded here are reported, and only here.
 */
class SystemHostProbeKernelTest {
  @Test
  void firewalldCountsOnlyWhereItManagesThisNamespace() throws Exception {
    Kernel.requireRoot();
    Kernel.requireCommand("firewalld", "firewall-cmd", "dbus-daemon", "dbus-send", "sh", "sleep");
    Path log = Files.createTempFile("privport-names-firewalld-", ".log");
    try (Netns withFirewalld = Netns.create();
        Netns other = Netns.create();
        FirewalldDaemon firewalld = FirewalldDaemon.start(withFirewalld)) {
      // A process whose command line only names firewalld, as a process scan would see it.
      Process impostor =
          other.spawn(List.of("sh", "-c", "exec sleep 120", "/usr/sbin/firewalld"), log);
      assertThat(
              ProcessHandle.allProcesses()
                  .anyMatch(
                      p ->
                          p.info()
                              .arguments()
                              .map(a -> Arrays.asList(a).contains("/usr/sbin/firewalld"))
                              .orElse(false)))
          .as("a scan of process names would count it")
          .isTrue();
      assertThat(impostor.isAlive()).isTrue();
      Optional<String> bus = Optional.of(firewalld.busAddress());

      assertThat(withFirewalld.call(() -> new SystemHostProbe(bus).firewalldRunning()))
          .as("the firewalld of this namespace")
          .isTrue();
      assertThat(other.call(() -> new SystemHostProbe(bus).firewalldRunning()))
          .as("a firewalld that answers on a reachable bus but manages another namespace")
          .isFalse();
      assertThat(other.call(() -> new SystemHostProbe().firewalldRunning()))
          .as("no firewalld on this namespace's system bus, only a process naming it")
          .isFalse();
      assertThat(other.call(() -> HostFacts.read(new SystemHostProbe(bus)).firewalldRunning()))
          .isFalse();
    } finally {
      Files.deleteIfExists(log);
    }
  }

  @Test
  void legacyTablesAreReportedInTheNamespaceThatHasThem() {
    Kernel.requireRoot();
    Kernel.requireCommand("iptables-legacy", "ip6tables-legacy");
    try (Netns legacy = Netns.create();
        Netns clean = Netns.create()) {
      assertThat(legacy.call(() -> new SystemHostProbe().legacyTables())).isEmpty();
      legacy.sh("iptables-legacy", "-w", "-t", "nat", "-N", "SOMEONES-CHAIN");
      legacy.sh("ip6tables-legacy", "-w", "-t", "nat", "-N", "SOMEONES-CHAIN");
      assertThat(legacy.call(() -> new SystemHostProbe().legacyTables()))
          .containsExactly("nat", "ip6:nat");
      assertThat(clean.call(() -> new SystemHostProbe().legacyTables())).isEmpty();
    }
  }
}
