package dev.privport.core.advice;

import dev.privport.core.Protocol;
import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Recognises the errors users actually see and turns them into the plan they imply:
 *
 * <ul>
 *   <li>rootless Docker: {@code error while calling PortManager.AddPort(): cannot expose privileged
 *       port 80, ... listen tcp4 0.0.0.0:80: bind: permission denied};
 *   <li>rootless Podman: {@code rootlessport cannot expose privileged port 80, ... listen tcp
 *       0.0.0.0:80: bind: permission denied}.
 * </ul>
 *
 * The protocol and family come from the {@code listen tcp4|tcp6|udp ...} part when present (TCP and
 * both families otherwise); the suggested unprivileged port is {@code 8000 + port} (80 to 8080, 443
 * to 8443), which the user then publishes the container on.
 */
public final class ErrorTexts {
  private static final Pattern ERROR =
      Pattern.compile(
          "cannot expose privileged port (\\d{1,5})(?:[^\\n]*?listen (tcp|udp)(4|6)? )?");

  private ErrorTexts() {}

  /** The plan implied by every such error in {@code text}, or empty when there is none. */
  public static Optional<RedirectPlan> planFor(String text) {
    Matcher m = ERROR.matcher(text);
    List<Redirect> redirects = new ArrayList<>();
    while (m.find()) {
      int port = Integer.parseInt(m.group(1));
      if (port < 1 || port > 1023) {
        continue;
      }
      Protocol protocol = "udp".equals(m.group(2)) ? Protocol.UDP : Protocol.TCP;
      Redirect r = Redirect.of(protocol, port, suggestedPort(port));
      if ("4".equals(m.group(3))) {
        r = r.ipv4Only();
      } else if ("6".equals(m.group(3))) {
        r = r.ipv6Only();
      }
      redirects.add(r);
    }
    if (redirects.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(RedirectPlan.builder().addAll(redirects).build());
  }

  /** The unprivileged port privport suggests for a privileged one: 8000 + port. */
  public static int suggestedPort(int privilegedPort) {
    return 8000 + privilegedPort;
  }
}
