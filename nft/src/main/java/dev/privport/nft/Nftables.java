package dev.privport.nft;

import dev.privport.core.RedirectPlan;
import java.util.Optional;

/**
 * Applies, checks, inspects and removes plans: the executor contract, with two implementations.
 *
 * <ul>
 *   <li>{@link #open()}: the real one, in-process through libnftables ({@link
 *       LibnftablesExecutor}); it needs CAP_NET_ADMIN, libnftables and the optional jnr-ffi
 *       dependency.
 *   <li>{@link #fake()}: an in-memory one ({@link FakeNftables}) for unit tests of code that uses
 *       an executor: no root, no libnftables, no jnr-ffi. It keeps each plan's table as libnftables
 *       would list it, so {@link #inspect} gives the same {@link PlanStatus}, and it can simulate
 *       changes made behind the executor's back.
 * </ul>
 *
 * <pre>{@code
 * try (Nftables nft = Nftables.open()) {     // or Nftables.fake() in a unit test
 *   nft.apply(RedirectPlan.of(80, 8080));
 *   nft.inspect(RedirectPlan.of(80, 8080)).inSync();  // true
 * }
 * }</pre>
 *
 * <p>Both keep the same promises: applying replaces the plan's table ({@code inet privport} or
 * {@code inet privport-NAME}) with exactly the plan, as one transaction, and applying twice equals
 * applying once; removing deletes that table and succeeds when it is gone; no other table is
 * touched. A closed executor throws {@link IllegalStateException}; a null plan {@link
 * NullPointerException}. Plans are validated when they are built, so a plan that exists is valid
 * for both.
 */
public interface Nftables extends AutoCloseable {
  /** The system property naming the libnftables file or soname to load instead of the default. */
  String LIBRARY_PROPERTY = "privport.libnftables";

  /**
   * Opens an executor on {@code libnftables.so.1} (or the file the system property {@value
   * #LIBRARY_PROPERTY} names), keeping its state in {@link StateDirectory#standard()}.
   *
   * @throws NftablesException when the library is missing (naming the package to install) or does
   *     not load (naming the file and why), when jnr-ffi cannot start, or when no netfilter netlink
   *     socket can be opened (where libnftables itself would call exit())
   */
  static LibnftablesExecutor open() {
    return open(StateDirectory.standard());
  }

  /** As {@link #open()}, keeping the lock and saved trials in {@code state}. */
  static LibnftablesExecutor open(StateDirectory state) {
    return LibnftablesExecutor.open(LibnftablesExecutor.libraryName(), state);
  }

  /**
   * A new, empty in-memory executor with the same contract, for unit tests: no root, no
   * libnftables, no jnr-ffi (Gson, an optional dependency, is needed for {@link #inspect}, as for
   * the real one).
   */
  static FakeNftables fake() {
    return new FakeNftables();
  }

  /**
   * Loads libnftables the way {@link #open()} does, without opening a context (no netlink, no root
   * needed), and says why it cannot be used: empty when it loads. For a host check ({@code privport
   * doctor}): the file existing is not enough, a truncated or foreign file does not load.
   */
  static Optional<String> libraryProblem() {
    return LibnftablesExecutor.libraryProblem();
  }

  /** Replaces the plan's table with the plan's rules, atomically. */
  void apply(RedirectPlan plan);

  /** Checks that the plan would apply, changing nothing (libnftables' dry run). */
  void check(RedirectPlan plan);

  /** Removes the plan's table; succeeds when it is gone. */
  void remove(RedirectPlan plan);

  /**
   * Reads the plan's live table and compares it with what the plan renders, completely: table
   * flags, chains (type, hook, priority, policy), maps and sets (type, flags, elements), every
   * rule's whole expression, and any other object in the table. Each difference is one line of
   * {@link PlanStatus#differences()}; the rules come with their counters. Needs the optional Gson
   * dependency.
   *
   * @throws NftablesException ({@link NftablesException.Reason#MALFORMED_OUTPUT}) when the live
   *     table cannot be read
   */
  PlanStatus inspect(RedirectPlan plan);

  /**
   * Begins a trial of {@code plan}: applies it and keeps what it replaced until {@link
   * Trial#confirm()} or {@link Trial#rollback()}. A trial whose owner ended unconfirmed is rolled
   * back first ({@link Trial#recovered()}); one whose owner still waits makes this throw {@link
   * NftablesException.Reason#TRIAL_PENDING}.
   */
  Trial begin(RedirectPlan plan);

  /**
   * Rolls back a trial of the plan's table whose owner ended without confirming or rolling it back.
   * Returns what was done, or empty when there was no such trial (or its owner still waits).
   */
  Optional<String> recover(RedirectPlan plan);

  /**
   * Whether a trial of the plan's table, begun by this or another process, still waits for its
   * confirmation or rollback. An apply that finds the table as planned must not skip writing it
   * then: the trial's rollback would undo that apply too, unless it sees the table changed.
   */
  boolean trialPending(RedirectPlan plan);

  /** Releases the executor; later calls throw {@link IllegalStateException}. */
  @Override
  void close();
}
