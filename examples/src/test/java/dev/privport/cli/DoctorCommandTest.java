package dev.privport.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code privport doctor}: its hints, its errors, and {@code --json} read back by a parser. */
class DoctorCommandTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return Privport.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
  }

  private static final String PASTA_UDP =
      "Error: pasta failed with exit code 1:\nFailed to bind port 514 (Permission denied) for"
          + " option '-u 514-514:514-514', exiting";

  @Test
  void theHintForAUdpPortPublishesUdp() {
    assertThat(run("doctor", "--error", PASTA_UDP)).isZero();
    assertThat(out.toString())
        .contains("The error implies: udp 514 -> 8514")
        .contains("(publish the container on the new port: -p 8514:514/udp)")
        .contains("Port 514/udp: use ")
        .contains("firewalld running here=");
  }

  @Test
  void anUnreadableErrorSaysWhyWithExit2() {
    assertThat(
            run(
                "doctor",
                "--error",
                "reply.Error: map[desc:bad request: add_hostfwd: slirp_add_hostfwd failed]"))
        .isEqualTo(2);
    assertThat(err.toString().strip())
        .isEqualTo(
            "privport: --error: the slirp4netns port driver's error (slirp_add_hostfwd failed) does"
                + " not name the port; pass it instead: privport doctor 80:8080");
    assertThat(out.toString()).isEmpty();
  }

  @Test
  void jsonIsOneObjectOfTheDocumentedSchema() {
    assertThat(run("doctor", "--json", "80:8080", "514:5514/udp")).isZero();
    assertThat(err.toString()).isEmpty();
    JsonObject root = JsonParser.parseString(out.toString()).getAsJsonObject();
    assertThat(root.get("schema").getAsString()).isEqualTo("privport.doctor/1");
    assertThat(root.keySet()).containsExactly("schema", "host", "error_findings", "notes", "ports");
    JsonObject host = root.getAsJsonObject("host");
    assertThat(host.keySet())
        .containsExactly(
            "ip_unprivileged_port_start",
            "ping_group_range",
            "nft",
            "iptables",
            "legacy_tables",
            "firewalld_running",
            "libnftables",
            "redir",
            "conntrack");
    assertThat(host.get("iptables").getAsString()).isIn("none", "nft", "legacy");
    assertThat(host.get("firewalld_running").getAsBoolean()).isIn(true, false);
    assertThat(root.getAsJsonArray("error_findings")).isEmpty();
    JsonArray ports = root.getAsJsonArray("ports");
    List<String> seen = new ArrayList<>();
    for (var p : ports) {
      JsonObject port = p.getAsJsonObject();
      seen.add(port.get("protocol").getAsString() + "/" + port.get("port").getAsInt());
      assertThat(port.get("recommended").getAsString()).matches("[a-z_]+");
      JsonArray options = port.getAsJsonArray("options");
      assertThat(options).hasSize(7);
      for (var o : options) {
        assertThat(o.getAsJsonObject().keySet()).containsExactly("kind", "applicable", "reason");
      }
    }
    assertThat(seen).containsExactly("tcp/80", "udp/514");
  }

  @Test
  void jsonCarriesWhatTheErrorTextSaid() {
    assertThat(run("doctor", "--json", "--error", PASTA_UDP)).isZero();
    JsonObject root = JsonParser.parseString(out.toString()).getAsJsonObject();
    JsonObject finding = root.getAsJsonArray("error_findings").get(0).getAsJsonObject();
    assertThat(finding.get("runtime").getAsString()).isEqualTo("pasta");
    assertThat(finding.get("protocol").getAsString()).isEqualTo("udp");
    assertThat(finding.get("port").getAsInt()).isEqualTo(514);
    assertThat(finding.get("container_port").getAsInt()).isEqualTo(514);
    assertThat(finding.get("host_address").isJsonNull()).isTrue();
    assertThat(finding.get("publish").getAsString()).isEqualTo("-p 8514:514/udp");
    assertThat(root.getAsJsonArray("notes").get(0).getAsString())
        .startsWith("the plan covers IPv4 and IPv6");
  }
}
