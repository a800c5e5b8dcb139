package dev.privport.cli;

import dev.privport.daemon.Daemon;
import dev.privport.daemon.Units;
import dev.privport.daemon.UserDatabase;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code privport daemon}: the root daemon that applies users' plans within the grants of a policy
 * file, on a Unix socket; or, with {@code --print-units}, the systemd units that run it.
 */
@Command(
    name = "daemon",
    mixinStandardHelpOptions = true,
    description = {
      "Serve delegated redirects: users send plans to the socket (privport apply --socket),",
      "the daemon applies each user's plan in a table of its own within the grants of the",
      "policy file (root-owned, not group/world-writable). Runs in the foreground; SIGHUP",
      "reloads the policy. With --print-units: print (or --out DIR: write) the systemd units."
    })
final class DaemonCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--socket",
      paramLabel = "PATH",
      description = "listen here unless systemd passed a socket (default: ${DEFAULT-VALUE})")
  Path socket = Daemon.DEFAULT_SOCKET;

  @Option(
      names = "--policy",
      paramLabel = "FILE",
      description = "the grants (default: ${DEFAULT-VALUE})")
  Path policy = Daemon.DEFAULT_POLICY;

  @Option(
      names = "--state",
      paramLabel = "DIR",
      description = "where granted plans are kept (default: ${DEFAULT-VALUE})")
  Path state = Daemon.DEFAULT_STATE;

  @Option(names = "--print-units", description = "print privport.socket and privport.service")
  boolean printUnits;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      description = "with --print-units: write the unit files into DIR")
  Path out;

  @Option(
      names = "--java",
      paramLabel = "PATH",
      description = "with --print-units: the java launcher (default: this one)")
  Path java;

  @Option(
      names = "--jar",
      paramLabel = "PATH",
      description = "with --print-units: privport.jar (default: the jar running now)")
  Path jar;

  // Test seam: a passwd/group pair instead of the system's database (getent).
  @Option(names = "--passwd-file", hidden = true)
  Path passwdFile;

  @Option(names = "--group-file", hidden = true)
  Path groupFile;

  @Override
  public Integer call() throws IOException {
    if (printUnits) {
      return printUnits();
    }
    if (out != null || java != null || jar != null) {
      throw new IllegalArgumentException("--out, --java and --jar go with --print-units");
    }
    if ((passwdFile == null) != (groupFile == null)) {
      throw new IllegalArgumentException("--passwd-file and --group-file go together");
    }
    UserDatabase users =
        passwdFile == null ? UserDatabase.system() : UserDatabase.files(passwdFile, groupFile);
    new Daemon(socket, policy, state, users).run(System.err);
    return Privport.FAILED;
  }

  private int printUnits() throws IOException {
    Path launcher = java != null ? java : Path.of(System.getProperty("java.home"), "bin", "java");
    Path archive = jar != null ? jar : runningJar();
    Map<String, String> units =
        Units.render(
            launcher.toAbsolutePath(),
            archive.toAbsolutePath(),
            socket.toAbsolutePath(),
            policy.toAbsolutePath(),
            state.toAbsolutePath());
    PrintWriter w = spec.commandLine().getOut();
    for (Map.Entry<String, String> u : units.entrySet()) {
      if (out == null) {
        w.println("# " + u.getKey());
        w.print(u.getValue());
        w.println();
      } else {
        Files.createDirectories(out);
        Files.writeString(out.resolve(u.getKey()), u.getValue(), StandardCharsets.UTF_8);
        w.println("wrote " + out.resolve(u.getKey()));
      }
    }
    return Privport.OK;
  }

  private static Path runningJar() {
    try {
      Path p =
          Path.of(DaemonCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      if (Files.isRegularFile(p) && p.toString().endsWith(".jar")) {
        return p;
      }
    } catch (java.net.URISyntaxException | SecurityException | NullPointerException e) {
      // Fall through to the error below.
    }
    throw new IllegalArgumentException("--jar: not running from privport.jar, name the jar");
  }
}
