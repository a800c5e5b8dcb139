package dev.privport.daemon;

import dev.privport.core.Command;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The systemd units that run the daemon: {@code privport.socket} (mode 0666, so any user may
 * connect; the daemon decides) and {@code privport.service}, started on the first connection with
 * the socket on its standard input ({@code Accept=no}, {@code StandardInput=socket}). Reloading
 * nftables flushes the whole ruleset, so the service reloads with it and re-applies every stored
 * plan; {@code systemctl reload privport} re-reads the policy.
 */
public final class Units {
  private Units() {}

  /**
   * The unit files by name.
   *
   * @param java the java launcher
   * @param jar privport.jar
   * @param socket the socket path
   * @param policy the policy file
   * @param state the state directory
   */
  public static Map<String, String> render(
      Path java, Path jar, Path socket, Path policy, Path state) {
    for (Path p : List.of(java, jar, socket, policy, state)) {
      if (!p.isAbsolute() || p.toString().matches(".*[\\s\"'\\\\$%;].*")) {
        throw new IllegalArgumentException(
            "unit paths must be absolute and free of spaces, quotes, '\\', '$', '%' and ';', got "
                + dev.privport.core.Checks.show(p.toString()));
      }
    }
    Map<String, String> out = new LinkedHashMap<>();
    out.put(
        "privport.socket",
        String.join(
            "\n",
            "# Rendered by privport: the socket of the delegation daemon.",
            "[Unit]",
            "Description=privport delegated redirects (socket)",
            "",
            "[Socket]",
            "ListenStream=" + socket,
            "# Any user may connect: the daemon checks each caller's grants (SO_PEERCRED).",
            "SocketMode=0666",
            "DirectoryMode=0755",
            "Accept=no",
            "",
            "[Install]",
            "WantedBy=sockets.target",
            ""));
    String exec =
        Command.of(
                java.toString(),
                "-jar",
                jar.toString(),
                "daemon",
                "--policy",
                policy.toString(),
                "--state",
                state.toString())
            .toShell();
    out.put(
        "privport.service",
        String.join(
            "\n",
            "# Rendered by privport: the delegation daemon, started by privport.socket.",
            "[Unit]",
            "Description=privport delegated redirects",
            "Requires=privport.socket",
            "After=privport.socket nftables.service network-pre.target",
            "# nftables.service reloads and restarts flush the ruleset: re-apply every stored plan.",
            "ReloadPropagatedFrom=nftables.service",
            "PartOf=nftables.service",
            "",
            "[Service]",
            "Type=simple",
            "ExecStart=" + exec,
            "ExecReload=/bin/kill -HUP $MAINPID",
            "StandardInput=socket",
            "StandardOutput=journal",
            "StandardError=journal",
            "Restart=on-failure",
            "NoNewPrivileges=yes",
            "CapabilityBoundingSet=CAP_NET_ADMIN",
            "ProtectSystem=strict",
            "ProtectHome=read-only",
            "PrivateTmp=yes",
            stateDirective(state),
            "StateDirectoryMode=0700",
            "",
            "[Install]",
            "Also=privport.socket",
            ""));
    return out;
  }

  // StateDirectory= creates the directory inside ProtectSystem=strict; elsewhere the admin does.
  private static String stateDirective(Path state) {
    String s = state.normalize().toString();
    return s.startsWith("/var/lib/") && s.length() > "/var/lib/".length()
        ? "StateDirectory=" + s.substring("/var/lib/".length())
        : "ReadWritePaths=" + s;
  }
}
