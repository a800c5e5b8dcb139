package dev.privport.nft;

import dev.privport.core.RedirectPlan;

/**
 * For {@link FakeWithoutJnrTest}: uses {@link Nftables#fake()} as an embedder's unit test would and
 * prints {@code ok} with what it saw; with {@code look-for-jnr}, also whether jnr-ffi is absent.
 */
public final class FakeProbeMain {
  private FakeProbeMain() {}

  public static void main(String[] args) {
    // Only when asked: looking for jnr-ffi loads it where it is present.
    boolean jnrAbsent = false;
    if (args.length > 0 && args[0].equals("look-for-jnr")) {
      try {
        Class.forName("jnr.ffi.LibraryLoader");
      } catch (ClassNotFoundException e) {
        jnrAbsent = true;
      }
    }
    RedirectPlan plan = RedirectPlan.of(80, 8080);
    try (FakeNftables nft = Nftables.fake()) {
      nft.apply(plan);
      boolean inSync = nft.inspect(plan).inSync();
      nft.flushRuleset();
      String drift = nft.inspect(plan).differences().get(0).line();
      Trial trial = nft.begin(plan);
      String rolledBack = trial.rollback().message();
      System.out.println("jnrAbsent=" + jnrAbsent);
      System.out.println("inSync=" + inSync);
      System.out.println("drift=" + drift);
      System.out.println("rollback=" + rolledBack);
      System.out.println("ok");
    }
  }
}
