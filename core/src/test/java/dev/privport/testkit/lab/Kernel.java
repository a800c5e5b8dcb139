package dev.privport.testkit.lab;

import static org.junit.jupiter.api.Assertions.fail;

import dev.privport.core.Command;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * What a kernel test needs, and what happens when it is missing: the test is skipped with the
 * reason on a user's machine, and FAILS when {@code PRIVPORT_REQUIRE_KERNEL=1} (as in CI), so a
 * missing tool can never turn CI green by skipping.
 */
public final class Kernel {
  private Kernel() {}

  /** True when {@code PRIVPORT_REQUIRE_KERNEL=1}: every kernel test must run. */
  public static boolean required() {
    return "1".equals(System.getenv("PRIVPORT_REQUIRE_KERNEL"));
  }

  /** Skips (or fails, when required) unless {@code available}. */
  public static void require(boolean available, String what) {
    if (available) {
      return;
    }
    if (required()) {
      fail("PRIVPORT_REQUIRE_KERNEL=1 but " + what);
    }
    Assumptions.abort(skipReason(what));
  }

  /** The text of a skip for want of {@code what}; {@link SkipReporter} prints it. */
  public static String skipReason(String what) {
    return "skipped: " + what + " (set PRIVPORT_REQUIRE_KERNEL=1 to make this a failure)";
  }

  /** Requires root, which network namespaces with {@code ip netns} need. */
  public static void requireRoot() {
    require(
        isRoot(), "this test needs root to create network namespaces (run as root, or see README)");
    requireCommand("ip");
  }

  /** Requires executables on the PATH. */
  public static void requireCommand(String... names) {
    for (String name : names) {
      require(onPath(name), "the command '" + name + "' is not installed");
    }
  }

  /** Whether we are root (uid 0). */
  public static boolean isRoot() {
    try {
      return Files.readAllLines(Path.of("/proc/self/status")).stream()
          .filter(l -> l.startsWith("Uid:"))
          .anyMatch(l -> l.split("\\s+")[1].equals("0"));
    } catch (java.io.IOException e) {
      return false;
    }
  }

  /** Whether {@code name} is an executable on the PATH (or in /usr/sbin, /sbin). */
  public static boolean onPath(String name) {
    return Command.of(name).locate().isPresent();
  }
}
