package dev.privport.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privport.core.RedirectPlan;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The request/response protocol and the plan text requests carry. */
class WireTest {
  @Test
  void requestsRoundTrip() {
    Wire.Request r = new Wire.Request(Wire.Verb.APPLY, "80:8080/tcp\n");
    assertThat(Wire.Request.decode(r.encode())).isEqualTo(r);
    assertThat(new String(r.encode(), StandardCharsets.UTF_8))
        .isEqualTo("privport/1 apply\n80:8080/tcp\n");
    Wire.Response s = new Wire.Response(2, "not granted");
    assertThat(Wire.Response.decode(s.encode())).isEqualTo(s);
  }

  @Test
  void garbageIsRefusedWithOneLine() {
    assertThatThrownBy(
            () -> Wire.Request.decode("GET / HTTP/1.0\r\n".getBytes(StandardCharsets.UTF_8)))
        .hasMessage("request must begin with \"privport/1 VERB\", got \"GET / HTTP/1.0\\u000d\"");
    assertThatThrownBy(
            () -> Wire.Request.decode("privport/2 apply\n".getBytes(StandardCharsets.UTF_8)))
        .hasMessage("unsupported protocol version \"privport/2\" (this daemon speaks privport/1)");
    assertThatThrownBy(
            () -> Wire.Request.decode("privport/1 flush\n".getBytes(StandardCharsets.UTF_8)))
        .hasMessage("unknown request \"flush\" (expected apply, remove, status or list)");
    assertThatThrownBy(() -> Wire.Request.decode(new byte[] {'p', (byte) 0xff, (byte) 0xfe}))
        .hasMessage("request is not UTF-8 text");
    assertThatThrownBy(() -> Wire.Request.decode(new byte[Wire.MAX_REQUEST + 1]))
        .hasMessage("request is larger than 65536 bytes");
    assertThatThrownBy(() -> Wire.Request.decode(new byte[0]))
        .hasMessageStartingWith("request must begin with");
  }

  @Test
  void planTextReadsBackToTheSamePlan() {
    RedirectPlan plan =
        PlanText.parse(
            "name u1000\n80:8080\n514:5514/udp ipv4-only incoming-only interface=eth0\n"
                + "443:8443/tcp ipv6-only local-only\n",
            "test");
    String text = PlanText.text(plan);
    assertThat(text)
        .isEqualTo(
            "name u1000\n80:8080/tcp\n514:5514/udp ipv4-only incoming-only interface=eth0\n"
                + "443:8443/tcp ipv6-only local-only\n");
    assertThat(PlanText.parse(text, "again")).isEqualTo(plan);
  }
}
