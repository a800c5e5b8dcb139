package dev.privport.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.core.RedirectPlan;
import dev.privport.testkit.lab.Kernel;
import dev.privport.testkit.lab.Netns;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every example program runs and does what it says. */
class ExamplesTest {
  @Test
  void renderEveryBackend() {
    assertThat(RenderEveryBackend.render())
        .contains("table inet privport-web {")
        .contains("iptables -w -t nat -A PRIVPORT-WEB-IN -p tcp -m tcp --dport 443")
        .contains(
            "firewall-cmd --direct --add-rule ipv6 nat OUTPUT 0 -o lo -p tcp -m tcp --dport 80");
  }

  @Test
  void configRepoFiles(@TempDir Path dir) throws IOException {
    var written = ConfigRepoFiles.write(RedirectPlan.of(80, 8080), dir);
    assertThat(written)
        .extracting(p -> dir.relativize(p).toString())
        .containsExactly(
            "etc/nftables.d/privport.nft",
            "etc/iptables/rules.v4",
            "etc/iptables/rules.v6",
            "etc/firewalld/direct.xml");
    assertThat(Files.readString(dir.resolve("etc/nftables.d/privport.nft")))
        .isEqualTo(RedirectPlan.of(80, 8080).toNft());
  }

  @Test
  void openNmsSyslogAndTraps() {
    assertThat(OpenNmsSyslogAndTraps.render())
        .contains("fib daddr type local udp dport 162 counter redirect to :10162")
        .contains("fib daddr type local udp dport 514 counter redirect to :10514")
        .doesNotContain("chain local")
        .contains(
            "conntrack -D -p udp --orig-port-dst 162 || true\nconntrack -D -p udp --orig-port-dst 514 || true\n")
        .contains("net.ipv4.ip_unprivileged_port_start = 162");
  }

  @Test
  void applyWithExecutorInANamespace() {
    Kernel.requireRoot();
    try (Netns ns = Netns.create()) {
      String log = ns.call(() -> ApplyWithExecutor.run(RedirectPlan.of(80, 8080)));
      assertThat(log)
          .contains("applied, in sync: true")
          .contains("incoming: 1 redirect(s)")
          .contains("removed, present: false");
    }
  }
}
