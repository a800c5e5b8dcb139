package dev.privport.nft;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.core.RedirectPlan;
import dev.privport.testkit.contract.RedirectContract;
import dev.privport.testkit.fixtures.NftFixtures;
import dev.privport.testkit.lab.Kernel;
import org.junit.jupiter.api.Test;

/**
 * Loads rendered scripts with {@code nft -f} on the lab's host and runs the backend contract with
 * real traffic, plus what is particular to nft: one owned table, replaced atomically.
 */
class NftKernelTest extends RedirectContract {
  private static final NftRenderer NFT = new NftRenderer();

  @Override
  protected void requireTools() {
    Kernel.requireCommand("nft");
  }

  @Override
  protected void apply(RedirectPlan plan) {
    load(plan.toNft());
  }

  @Override
  protected void remove(RedirectPlan plan) {
    load(NFT.renderRemoval(plan));
  }

  @Override
  protected void reset() {
    lab.host.sh("nft", "flush", "ruleset");
  }

  private void load(String script) {
    lab.host.execWithInput(script, "nft", "-f", "-").orThrow();
  }

  @Test
  void applyTwiceEqualsOnceAndRemovalLeavesForeignTablesByteIdentical() {
    load(NftFixtures.FOREIGN_TABLES);
    String before = lab.host.sh("nft", "list", "ruleset");
    RedirectPlan plan = RedirectPlan.of(80, 8080);
    apply(plan);
    String once = lab.host.sh("nft", "list", "ruleset");
    apply(plan);
    String twice = lab.host.sh("nft", "list", "ruleset");
    assertThat(twice).isEqualTo(once).contains("table inet privport {").contains("chain DOCKER");
    assertThat(lab.host.sh("nft", "list", "tables")).containsOnlyOnce("table inet privport");
    assertThat(once.split("\n")).filteredOn(l -> l.contains("redirect to :8080")).hasSize(2);

    remove(plan);
    assertThat(lab.host.sh("nft", "list", "ruleset")).isEqualTo(before);
    remove(plan);
    assertThat(lab.host.sh("nft", "list", "ruleset")).isEqualTo(before);
  }

  @Test
  void aFailingScriptChangesNothing() {
    apply(RedirectPlan.of(80, 8080));
    String before = lab.host.sh("nft", "list", "ruleset");
    String broken =
        RedirectPlan.of(81, 8081).toNft().replace("redirect to :8081", "redirect to :8081 bogus");
    assertThat(lab.host.execWithInput(broken, "nft", "-f", "-").exitCode()).isNotZero();
    assertThat(lab.host.sh("nft", "list", "ruleset")).isEqualTo(before);
  }
}
