package dev.privport.nft;

import dev.privport.core.RedirectPlan;
import dev.privport.core.RedirectRule;
import org.junit.jupiter.api.BeforeEach;

/** The executor contract against {@link Nftables#fake()}: no root, no libnftables. */
class FakeNftablesContractTest extends NftablesContract {
  private FakeNftables fake;

  @BeforeEach
  void fresh() {
    fake = Nftables.fake();
  }

  @Override
  Nftables nft() {
    return fake;
  }

  @Override
  Nftables another() {
    return Nftables.fake();
  }

  @Override
  void flushRuleset() {
    fake.flushRuleset();
  }

  @Override
  void deleteRedirect(RedirectPlan plan, RedirectRule rule) {
    fake.deleteRedirect(plan, rule);
  }
}
