package dev.privport.core.spi;

import dev.privport.core.Checks;
import java.util.regex.Pattern;

/**
 * One rendered file at its path below an output directory. Every backend uses the same layout, the
 * one {@code privport render --out DIR} writes, where Q is the plan's qualified name ({@code
 * privport} or {@code privport-NAME}), so plans rendered into one directory never share a file:
 *
 * <pre>
 * nftables/Q.nft                       nft -f script
 * systemd/Q.service                    the unit that loads it at boot
 * iptables/Q.sh                        idempotent iptables/ip6tables commands (sh -e)
 * iptables/Q.rules.v4, Q.rules.v6      iptables-restore --noflush files
 * firewalld/Q.direct.xml               permanent direct rules (firewalld's direct.xml)
 * firewalld/policies/POLICY.xml        policies privport-in/-lo, pp-NAME-in/-lo
 * systemd/Q-redir-PORT.service         redir units (TCP redirects only)
 * sysctl.d/90-Q-unprivileged-port-start.conf
 * </pre>
 *
 * @param path relative, '/'-separated, no empty, {@code .} or {@code ..} element
 * @param content the exact content
 */
public record RenderedFile(String path, String content) {
  private static final Pattern PATH =
      Pattern.compile("(?!.*(^|/)\\.\\.?(/|$))[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*");

  public RenderedFile {
    Checks.check(
        path != null && PATH.matcher(path).matches(),
        "path",
        path,
        "must be relative, '/'-separated, of [A-Za-z0-9._-] names, without . or ..");
    Checks.check(content != null, "content", content, "must not be null");
  }

  /** The directory part of the path ({@code firewalld/policies}), empty for a top-level file. */
  public String directory() {
    int slash = path.lastIndexOf('/');
    return slash < 0 ? "" : path.substring(0, slash);
  }
}
