package dev.privport.nft;

import dev.privport.core.RedirectPlan;
import java.util.Optional;

/**
 * A plan applied on trial ({@link Nftables#begin}): live now, kept only if {@link #confirm()}ed,
 * otherwise {@link #rollback()} puts back what the trial replaced.
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

  private final Nftables nft;
  private final RedirectPlan plan;
  private final String fileName;
  private final SavedTrial saved;
  private final StateDirectory.Owner owner;
  private final Optional<String> recovered;
  private boolean ended;

  Trial(
      Nftables nft,
      RedirectPlan plan,
      String fileName,
      SavedTrial saved,
      StateDirectory.Owner owner,
      Optional<String> recovered) {
    this.nft = nft;
    this.plan = plan;
    this.fileName = fileName;
    this.saved = saved;
    this.owner = owner;
    this.recovered = recovered;
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
    nft.confirm(this, owner);
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
    return nft.rollback(this, owner);
  }

  private void end() {
    if (ended) {
      throw new IllegalStateException("this trial was already confirmed or rolled back");
    }
    ended = true;
  }

  String fileName() {
    return fileName;
  }

  SavedTrial saved() {
    return saved;
  }
}
