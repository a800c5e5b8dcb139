package dev.privport.nft;

import dev.privport.core.RedirectPlan;
import java.util.Optional;

/**
 * A plan applied on trial ({@link Nftables#begin}): live now, kept only if {@link #confirm()}ed,
 * otherwise {@link #rollback()} puts back what the trial replaced. The same for both executors:
 * {@link Nftables#fake()} keeps the previous state in memory.
 *
 * <pre>{@code
 * Trial trial = nft.begin(plan);
 * if (operatorStillReachesTheHost()) trial.confirm(); else trial.rollback();
 * }</pre>
 *
 * <p>What the trial replaced is saved in the {@link StateDirectory} until then, so a trial whose
 * process dies unconfirmed is rolled back by the next privport call on the table ({@link
 * Nftables#recover}). No lock is held while the trial waits: other processes may change the table
 * meanwhile, and a rollback then leaves their change alone. Confirm or roll back once, before
 * closing the executor.
 */
public final class Trial {
  /**
   * How a rollback ended.
   *
   * @param restored true when the previous state was put back; false when the table had changed
   *     since the trial applied it (another process applied or removed it) and was left alone
   * @param message one line saying which, naming the table
   */
  public record Rollback(boolean restored, String message) {}

  /** How the executor that began the trial ends it. */
  interface Ending {
    void confirm();

    Rollback rollback();
  }

  private final RedirectPlan plan;
  private final Optional<String> recovered;
  private final Ending ending;
  private boolean ended;

  Trial(RedirectPlan plan, Optional<String> recovered, Ending ending) {
    this.plan = plan;
    this.recovered = recovered;
    this.ending = ending;
  }

  /** The plan on trial. */
  public RedirectPlan plan() {
    return plan;
  }

  /** What an earlier unconfirmed trial of the table, found and rolled back first, came to. */
  public Optional<String> recovered() {
    return recovered;
  }

  /** Keeps the plan and forgets the saved previous state. */
  public synchronized void confirm() {
    end();
    ending.confirm();
  }

  /**
   * Puts back the table's previous state, unless the table is no longer what the trial applied:
   * then it is left as it is, and the result says so.
   *
   * @throws NftablesException when libnftables refuses the restore; the previous state then stays
   *     saved and the next privport call on the table retries
   */
  public synchronized Rollback rollback() {
    end();
    return ending.rollback();
  }

  private void end() {
    if (ended) {
      throw new IllegalStateException("this trial was already confirmed or rolled back");
    }
    ended = true;
  }

  /** Whether it was confirmed or rolled back (or a rollback was attempted). */
  synchronized boolean ended() {
    return ended;
  }

  // ---- the texts both executors use, so that their messages agree ----

  static String pending(String table, String byProcess) {
    return "table inet "
        + table
        + ": a trial"
        + byProcess
        + " is waiting for confirmation; confirm it or let it roll back first";
  }

  static Rollback restored(String table, boolean existedBefore) {
    return new Rollback(
        true,
        existedBefore
            ? "table inet " + table + " is back to its state before the trial"
            : "table inet " + table + " is removed again: it did not exist before the trial");
  }

  static Rollback superseded(String table) {
    return new Rollback(
        false,
        "table inet "
            + table
            + " changed since the trial applied it (another process applied or removed it): left as it is");
  }

  static String recoveredText(String table, long pid, Rollback undone) {
    return (undone.restored()
            ? "rolled back an unconfirmed trial of table inet "
            : "found an unconfirmed trial of table inet ")
        + table
        + " left by process "
        + pid
        + ", which ended without confirming it: "
        + undone.message();
  }
}
