package dev.privport.nft;

import dev.privport.core.RedirectPlan;
import dev.privport.core.RedirectRule;
import dev.privport.testkit.lab.Kernel;
import dev.privport.testkit.lab.Netns;
import dev.privport.testkit.process.Cmd;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;

/**
 * The executor contract against libnftables and the kernel, in a namespace of the test's own
 * (emptied before each test); changes behind the executor's back are made with the {@code nft}
 * command.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LibnftablesContractTest extends NftablesContract {
  private Netns ns;
  private Path stateDir;
  private LibnftablesExecutor nft;

  @BeforeAll
  void start() throws IOException {
    Kernel.requireRoot();
    Kernel.requireCommand("nft");
    ns = Netns.create("nftexec");
    stateDir = Files.createTempDirectory("privport-contract-");
    nft = ns.call(() -> Nftables.open(StateDirectory.at(stateDir.resolve("state"))));
  }

  @AfterAll
  void stop() {
    try {
      if (nft != null) nft.close();
    } finally {
      if (ns != null) ns.close();
      if (stateDir != null) Cmd.run("rm", "-rf", "--", stateDir.toString());
    }
  }

  @BeforeEach
  void emptyRuleset() {
    ns.sh("nft", "flush", "ruleset");
  }

  @Override
  Nftables nft() {
    return nft;
  }

  @Override
  Nftables another() {
    return ns.call(() -> Nftables.open(StateDirectory.at(stateDir.resolve("state"))));
  }

  @Override
  void flushRuleset() {
    ns.sh("nft", "flush", "ruleset");
  }

  @Override
  void deleteRedirect(RedirectPlan plan, RedirectRule rule) {
    String table = NftRenderer.tableName(plan);
    NftRenderer.Group group =
        NftRenderer.groups(plan.rules()).stream()
            .filter(g -> g.rules().contains(rule))
            .findFirst()
            .orElseThrow();
    if (group.mapped()) {
      ns.sh(
          "nft",
          "delete element inet " + table + " " + group.mapName() + " { " + rule.fromPort() + " }");
    } else {
      LiveRule live = nft.inspect(plan).find(rule).orElseThrow();
      ns.sh("nft", "delete rule inet " + table + " " + live.chain() + " handle " + live.handle());
    }
  }
}
