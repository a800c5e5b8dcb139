package dev.privport.robustness;

import dev.privport.testkit.lab.Kernel;
import java.util.List;
import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.SkipExecutionHook;

/**
 * jqwik's counterpart of {@link Kernel#require}: a container that needs root and the firewall tools
 * is skipped, with the reason, where they are missing; with {@code PRIVPORT_REQUIRE_KERNEL=1} it is
 * never skipped, so it fails instead.
 */
public final class NeedsKernel implements SkipExecutionHook {
  static final List<String> TOOLS =
      List.of(
          "ip",
          "nft",
          "iptables-restore",
          "ip6tables-restore",
          "iptables-save",
          "firewalld",
          "firewall-cmd",
          "dbus-daemon",
          "conntrack");

  @Override
  public SkipResult shouldBeSkipped(LifecycleContext context) {
    if (Kernel.required()) {
      return SkipResult.doNotSkip();
    }
    if (!Kernel.isRoot()) {
      return SkipResult.skip(
          Kernel.skipReason("this test needs root to create network namespaces"));
    }
    for (String tool : TOOLS) {
      if (!Kernel.onPath(tool)) {
        return SkipResult.skip(Kernel.skipReason("the command '" + tool + "' is not installed"));
      }
    }
    return SkipResult.doNotSkip();
  }
}
