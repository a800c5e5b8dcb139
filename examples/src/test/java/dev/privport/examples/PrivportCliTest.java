package dev.privport.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.core.RedirectPlan;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PrivportCliTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Privport.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void rendersTheDefaultPlanAsNft() {
    assertThat(run("render", "80:8080")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(RedirectPlan.of(80, 8080).toNft());
  }

  @Test
  void badInputIsOneLineOnStderrAndExitCode2() {
    assertThat(run("render", "80:80")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("privport: toPort must differ from fromPort 80, got 80\n");
    assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
  }

  @Test
  void parsesProtocolsAndOptions() {
    assertThat(run("render", "--name", "syslog", "--ipv4-only", "--incoming-only", "--interface", "eth0", "514:5514/udp")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("iifname \"eth0\" meta nfproto ipv4 fib daddr type local udp dport 514 counter redirect to :5514");
  }

  @Test
  void refusesMalformedRedirects() {
    assertThat(run("render", "80-8080")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("redirect must look like FROM:TO").contains("\"80-8080\"");
  }
}
