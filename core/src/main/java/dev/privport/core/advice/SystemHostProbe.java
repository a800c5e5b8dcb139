package dev.privport.core.advice;

import dev.privport.core.Command;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** Reads the real host: {@code /proc/sys}, the PATH, the process list, the linker cache. */
public final class SystemHostProbe implements HostProbe {
  private static final List<String> LIBRARY_DIRS =
      List.of(
          "/usr/lib/x86_64-linux-gnu",
          "/usr/lib/aarch64-linux-gnu",
          "/usr/lib64",
          "/usr/lib",
          "/lib64",
          "/lib");

  /** A probe of the host this JVM runs on. */
  public SystemHostProbe() {}

  @Override
  public Optional<String> sysctl(String key) {
    Path file = Path.of("/proc/sys", key.replace('.', '/'));
    // Not Files.readString: /proc files report size 0, and it then returns only the first byte.
    try (var in = Files.newInputStream(file)) {
      return Optional.of(new String(in.readAllBytes(), StandardCharsets.UTF_8).trim());
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  @Override
  public boolean onPath(String command) {
    return Command.of(command).locate().isPresent();
  }

  @Override
  public Optional<String> output(List<String> argv) {
    return new Command(argv).runLocally(Duration.ofSeconds(10)).map(Command.Outcome::output);
  }

  @Override
  public boolean firewalldRunning() {
    return ProcessHandle.allProcesses()
        .anyMatch(
            p -> {
              ProcessHandle.Info info = p.info();
              return info.command().map(c -> c.endsWith("/firewalld")).orElse(false)
                  || info.arguments()
                      .map(a -> Arrays.stream(a).anyMatch(x -> x.endsWith("/firewalld")))
                      .orElse(false);
            });
  }

  @Override
  public boolean libnftablesInstalled() {
    return LIBRARY_DIRS.stream().anyMatch(d -> Files.exists(Path.of(d, "libnftables.so.1")));
  }
}
