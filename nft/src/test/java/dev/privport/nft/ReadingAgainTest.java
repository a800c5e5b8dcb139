package dev.privport.nft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privport.core.RedirectPlan;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** A malformed listing (libnftables 1.0.6's freed flags) is listed again before it is reported. */
class ReadingAgainTest {
  private static final RedirectPlan PLAN = RedirectPlan.of(80, 8080);

  private static Supplier<PlanStatus> malformedTimes(int times, AtomicInteger calls) {
    return () -> {
      if (calls.incrementAndGet() <= times) {
        throw new NftablesException(
            NftablesException.Reason.MALFORMED_OUTPUT, "libnftables printed malformed JSON");
      }
      return NftInspector.absent(PLAN);
    };
  }

  @Test
  void aListingMalformedOnceIsListedAgain() {
    AtomicInteger calls = new AtomicInteger();
    PlanStatus status =
        LibnftablesExecutor.readingAgain(malformedTimes(LibnftablesExecutor.LISTINGS - 1, calls));
    assertThat(status.present()).isFalse();
    assertThat(calls).hasValue(LibnftablesExecutor.LISTINGS);
  }

  @Test
  void aListingThatStaysMalformedIsReported() {
    AtomicInteger calls = new AtomicInteger();
    assertThatThrownBy(
            () ->
                LibnftablesExecutor.readingAgain(
                    malformedTimes(LibnftablesExecutor.LISTINGS, calls)))
        .isInstanceOf(NftablesException.class)
        .hasMessageContaining("malformed");
    assertThat(calls).hasValue(LibnftablesExecutor.LISTINGS);
  }

  @Test
  void otherFailuresAreNotRetried() {
    AtomicInteger calls = new AtomicInteger();
    assertThatThrownBy(
            () ->
                LibnftablesExecutor.readingAgain(
                    () -> {
                      calls.incrementAndGet();
                      throw new NftablesException(
                          NftablesException.Reason.PERMISSION, "Operation not permitted");
                    }))
        .isInstanceOf(NftablesException.class);
    assertThat(calls).hasValue(1);
  }
}
