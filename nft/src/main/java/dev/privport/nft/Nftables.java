package dev.privport.nft;

import dev.privport.core.RedirectPlan;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Applies, checks, inspects and removes plans in-process through libnftables ({@code
 * libnftables.so.1}, via jnr-ffi): no shell, no {@code nft} subprocess, no parsing of human output.
 *
 * <pre>{@code
 * try (Nftables nft = Nftables.open()) {
 *   nft.apply(RedirectPlan.of(80, 8080));
 * }
 * }</pre>
 *
 * <p>Each call runs one script as one transaction: all of it or none of it. Failures throw {@link
 * NftablesException} with libnftables' own error text and the offending line. The executor is safe
 * for concurrent use: every call into libnftables in this JVM is serialised on one process-wide
 * lock (libnftables has process-wide state, and parallel contexts crash it). Keep an executor open
 * rather than opening one per call: closing a context costs 13-15 ms.
 *
 * <p>{@link #apply}, {@link #remove} and trials ({@link #begin}: apply now, then confirm or roll
 * back) hold a file lock in the {@link StateDirectory} shared by every privport process, so
 * processes never interleave their changes; a trial keeps what it replaced there until it ends.
 *
 * <p>The executor acts on the network namespace of the thread that opened it (the namespace its
 * netlink socket was created in). It needs CAP_NET_ADMIN and the optional jnr-ffi dependency.
 */
public final class Nftables implements AutoCloseable {
  private static final Pattern LOCATION = Pattern.compile(":(\\d+):\\d+(?:-\\d+)?: Error");
  private static final NftRenderer RENDERER = new NftRenderer();

  /** The system property naming the libnftables file or soname to load instead of the default. */
  public static final String LIBRARY_PROPERTY = "privport.libnftables";

  private static final Pattern TABLE_HANDLE =
      Pattern.compile("\\Atable inet [a-z0-9-]+ \\{ # handle (\\d+)\\n");

  private final NftContext context;
  private final StateDirectory state;

  private Nftables(NftContext context, StateDirectory state) {
    this.context = context;
    this.state = state;
  }

  /**
   * Opens an executor on {@code libnftables.so.1} (or the file the system property {@value
   * #LIBRARY_PROPERTY} names), keeping its state in {@link StateDirectory#standard()}.
   *
   * @throws NftablesException when the library is missing (naming the package to install) or does
   *     not load (naming the file and why), when jnr-ffi cannot start, or when no netfilter netlink
   *     socket can be opened (where libnftables itself would call exit())
   */
  public static Nftables open() {
    return open(StateDirectory.standard());
  }

  /** As {@link #open()}, keeping the lock and saved trials in {@code state}. */
  public static Nftables open(StateDirectory state) {
    return open(libraryName(), state);
  }

  static Nftables open(String soname) {
    return open(soname, StateDirectory.standard());
  }

  static Nftables open(String soname, StateDirectory state) {
    try {
      Class.forName("jnr.ffi.LibraryLoader");
    } catch (ClassNotFoundException e) {
      throw new NftablesException(
          NftablesException.Reason.LIBRARY_MISSING,
          "the libnftables executor needs jnr-ffi on the class path: add the Maven artifact com.github.jnr:jnr-ffi");
    }
    return new Nftables(NftContext.open(soname), state);
  }

  /** The library {@link #open()} loads: {@value #LIBRARY_PROPERTY}, else the soname. */
  static String libraryName() {
    String configured = System.getProperty(LIBRARY_PROPERTY);
    return configured == null || configured.isBlank() ? LibNftables.SONAME : configured;
  }

  /**
   * Loads libnftables the way {@link #open()} does, without opening a context (no netlink, no root
   * needed), and says why it cannot be used: empty when it loads. For a host check ({@code privport
   * doctor}): the file existing is not enough, a truncated or foreign file does not load.
   */
  public static Optional<String> libraryProblem() {
    try {
      Class.forName("jnr.ffi.LibraryLoader");
    } catch (ClassNotFoundException e) {
      return Optional.of("jnr-ffi is not on the class path");
    }
    try {
      NftContext.load(libraryName());
      return Optional.empty();
    } catch (NftablesException e) {
      return Optional.of(e.getMessage());
    }
  }

  /**
   * Replaces the plan's table with the plan's rules, atomically, holding the state directory's lock
   * (so privport processes never interleave their changes).
   */
  public void apply(RedirectPlan plan) {
    NftContext.requireNetAdmin();
    try (StateDirectory.Lock lock = state.lock()) {
      run(RENDERER.render(plan));
    }
  }

  /** Checks the plan's script with libnftables' dry run: nothing in the kernel changes. */
  public void check(RedirectPlan plan) {
    execute(RENDERER.render(plan), 0, true);
  }

  /** Removes the plan's table, holding the state directory's lock; succeeds when it is gone. */
  public void remove(RedirectPlan plan) {
    NftContext.requireNetAdmin();
    try (StateDirectory.Lock lock = state.lock()) {
      run(RENDERER.renderRemoval(plan));
    }
  }

  /**
   * Begins a trial of {@code plan}: applies it and keeps what it replaced, on disk in the state
   * directory, until {@link Trial#confirm()} or {@link Trial#rollback()}. Before changing anything
   * it checks that libnftables reads the table's current listing back (a dry run of the restore);
   * if not, nothing is changed and {@link NftablesException.Reason#NOT_RESTORABLE} is thrown. A
   * trial whose process ended unconfirmed is rolled back first ({@link Trial#recovered()}); one
   * whose process still waits makes this throw {@link NftablesException.Reason#TRIAL_PENDING}.
   */
  public Trial begin(RedirectPlan plan) {
    String table = NftRenderer.tableName(plan);
    String name = SavedTrial.fileName(context.namespace(), table);
    NftContext.requireNetAdmin();
    try (StateDirectory.Lock lock = state.lock()) {
      if (state.read(name).isPresent() && state.owned(name + ".owner")) {
        throw new NftablesException(
            NftablesException.Reason.TRIAL_PENDING,
            "table inet "
                + table
                + ": a trial"
                + pidOf(name)
                + " is waiting for confirmation; confirm it or let it roll back first");
      }
      Optional<String> recovered = recoverLocked(table);
      Optional<String> previous = listing(table, 0);
      if (previous.isPresent()) {
        try {
          execute(removal(table) + previous.get(), 0, true);
        } catch (NftablesException e) {
          throw new NftablesException(
              NftablesException.Reason.NOT_RESTORABLE,
              "cannot try table inet "
                  + table
                  + ": its current contents could not be put back if the trial is not confirmed"
                  + " (libnftables does not read back its own listing of it: "
                  + e.getMessage()
                  + "); nothing was changed");
        }
      }
      long pid = ProcessHandle.current().pid();
      StateDirectory.Owner owner = state.claim(name + ".owner");
      try {
        state.write(name, new SavedTrial(table, pid, previous, Optional.empty()).encode());
        try {
          run(RENDERER.render(plan));
        } catch (RuntimeException e) {
          state.delete(name);
          throw e;
        }
        SavedTrial saved = new SavedTrial(table, pid, previous, listing(table, FINGERPRINT_FLAGS));
        try {
          state.write(name, saved.encode());
        } catch (NftablesException e) {
          // The earlier record still says "applying", which restores unconditionally: do so now.
          run(removal(table) + previous.orElse(""));
          state.delete(name);
          throw e;
        }
        return new Trial(this, plan, name, saved, owner, recovered);
      } catch (RuntimeException e) {
        owner.close();
        throw e;
      }
    }
  }

  /**
   * Rolls back a trial of the plan's table whose process ended without confirming or rolling it
   * back ({@code kill -9}, a crash, a power cut of the process). Returns what was done, or empty
   * when there was no such trial (or its process still waits for confirmation).
   */
  public Optional<String> recover(RedirectPlan plan) {
    String table = NftRenderer.tableName(plan);
    NftContext.requireNetAdmin(); // without it, say so rather than "cannot read /run/privport/..."
    if (state.read(SavedTrial.fileName(context.namespace(), table)).isEmpty()) {
      return Optional.empty(); // the common case, without creating the directory or locking
    }
    try (StateDirectory.Lock lock = state.lock()) {
      return recoverLocked(table);
    }
  }

  private Optional<String> recoverLocked(String table) {
    String name = SavedTrial.fileName(context.namespace(), table);
    Optional<String> text = state.read(name);
    if (text.isEmpty() || state.owned(name + ".owner")) {
      return Optional.empty();
    }
    SavedTrial saved;
    try {
      saved = SavedTrial.decode(text.get());
    } catch (IllegalArgumentException e) {
      throw new NftablesException(
          NftablesException.Reason.STATE_DIRECTORY,
          state.path().resolve(name)
              + ": "
              + e.getMessage()
              + "; check table inet "
              + table
              + " by hand, then delete the file");
    }
    Trial.Rollback undone = undo(saved);
    state.delete(name);
    state.delete(name + ".owner");
    return Optional.of(
        (undone.restored()
                ? "rolled back an unconfirmed trial of table inet "
                : "found an unconfirmed trial of table inet ")
            + table
            + " left by process "
            + saved.pid()
            + ", which ended without confirming it: "
            + undone.message());
  }

  /** Puts back what {@code saved} replaced, unless the table changed since; call locked. */
  Trial.Rollback undo(SavedTrial saved) {
    String table = saved.table();
    String previous = saved.previous().orElse("");
    String back =
        saved.previous().isPresent()
            ? "table inet " + table + " is back to its state before the trial"
            : "table inet " + table + " is removed again: it did not exist before the trial";
    if (saved.applied().isEmpty()) {
      run(removal(table) + previous);
      return new Trial.Rollback(true, back);
    }
    if (!listing(table, FINGERPRINT_FLAGS).equals(saved.applied())) {
      return superseded(table);
    }
    Matcher handle = TABLE_HANDLE.matcher(saved.applied().get());
    if (!handle.find()) {
      throw new NftablesException(
          NftablesException.Reason.STATE_DIRECTORY,
          "the saved trial of table inet " + table + " names no table handle");
    }
    try {
      // Deleting by handle fails, and so changes nothing, if the table was replaced meanwhile.
      run("delete table inet handle " + handle.group(1) + "\n" + previous);
    } catch (NftablesException e) {
      if (e.reason() == NftablesException.Reason.NOT_FOUND) {
        return superseded(table);
      }
      throw e;
    }
    return new Trial.Rollback(true, back);
  }

  private static Trial.Rollback superseded(String table) {
    return new Trial.Rollback(
        false,
        "table inet "
            + table
            + " changed since the trial applied it (another process applied or removed it): left as it is");
  }

  void confirm(Trial trial, StateDirectory.Owner owner) {
    try (StateDirectory.Lock lock = state.lock()) {
      state.delete(trial.fileName());
      owner.close();
    }
  }

  Trial.Rollback rollback(Trial trial, StateDirectory.Owner owner) {
    try (StateDirectory.Lock lock = state.lock()) {
      Trial.Rollback r;
      try {
        r = undo(trial.saved());
      } catch (RuntimeException e) {
        owner.close(); // the saved state stays: the next privport call on the table retries
        throw new NftablesException(
            NftablesException.Reason.REJECTED,
            "cannot roll back table inet "
                + trial.saved().table()
                + " ("
                + e.getMessage()
                + "); its previous state stays saved in "
                + state.path().resolve(trial.fileName())
                + " and the next privport call on that table retries");
      }
      state.delete(trial.fileName());
      owner.close();
      return r;
    }
  }

  private String pidOf(String name) {
    try {
      return state.read(name).map(t -> " by process " + SavedTrial.decode(t).pid()).orElse("");
    } catch (IllegalArgumentException e) {
      return "";
    }
  }

  private static String removal(String table) {
    return "table inet " + table + "\ndelete table inet " + table + "\n";
  }

  /** Handles identify this very table; counter values, which traffic moves, are left out. */
  private static final int FINGERPRINT_FLAGS =
      LibNftables.NFT_CTX_OUTPUT_HANDLE | LibNftables.NFT_CTX_OUTPUT_STATELESS;

  /** The table's listing with {@code flags}, or empty when it does not exist. */
  private Optional<String> listing(String table, int flags) {
    try {
      return Optional.of(execute("list table inet " + table, flags, false));
    } catch (NftablesException e) {
      if (e.reason() == NftablesException.Reason.NOT_FOUND) {
        return Optional.empty();
      }
      throw e;
    }
  }

  /** Runs nft commands (a script in nft syntax) as one transaction and returns their output. */
  public String run(String commands) {
    return execute(commands, 0, false);
  }

  /** Runs nft commands with JSON output ({@code nft -j}) and returns the JSON text. */
  public String runJson(String commands) {
    return execute(commands, LibNftables.NFT_CTX_OUTPUT_JSON, false);
  }

  /**
   * Reads the plan's live table and compares it with what the plan renders, completely: table
   * flags, chains (type, hook, priority, policy), maps and sets (type, flags, elements), every
   * rule's whole expression, and any other object in the table. Each difference is one line of
   * {@link PlanStatus#differences()}; the rules come with their counters. Needs the optional Gson
   * dependency.
   *
   * @throws NftablesException ({@link NftablesException.Reason#MALFORMED_OUTPUT}) when libnftables
   *     prints JSON that cannot be read
   */
  public PlanStatus inspect(RedirectPlan plan) {
    try {
      Class.forName("com.google.gson.JsonParser");
    } catch (ClassNotFoundException e) {
      throw new NftablesException(
          NftablesException.Reason.LIBRARY_MISSING,
          "inspecting a table reads libnftables' JSON with Gson: add the Maven artifact com.google.code.gson:gson");
    }
    String list = "list table inet " + NftRenderer.tableName(plan);
    String json;
    try {
      json = runJson(list);
    } catch (NftablesException e) {
      if (e.reason() == NftablesException.Reason.NOT_FOUND) {
        return NftInspector.absent(plan);
      }
      throw e;
    }
    // The text listing is asked for only when the JSON cannot tell the table's flags.
    return NftInspector.inspect(plan, json, () -> run(list));
  }

  private String execute(String commands, int flags, boolean dryRun) {
    NftContext.Result r = context.run(commands, flags, dryRun);
    if (r.status() != 0) {
      throw failure(commands, r.error());
    }
    return r.output();
  }

  static NftablesException failure(String commands, String error) {
    NftablesException.Reason reason;
    if (error.contains("Operation not permitted")) {
      reason = NftablesException.Reason.PERMISSION;
    } else if (error.contains("No such file or directory")) {
      reason = NftablesException.Reason.NOT_FOUND;
    } else if (error.contains("File exists")) {
      reason = NftablesException.Reason.ALREADY_EXISTS;
    } else {
      reason = NftablesException.Reason.REJECTED;
    }
    OptionalInt line = OptionalInt.empty();
    Optional<String> lineText = Optional.empty();
    Matcher m = LOCATION.matcher(error);
    if (m.find()) {
      int n = Integer.parseInt(m.group(1));
      String[] lines = commands.split("\n", -1);
      if (n >= 1 && n <= lines.length) {
        line = OptionalInt.of(n);
        lineText = Optional.of(lines[n - 1]);
      }
    }
    String first = error.lines().filter(l -> l.contains("Error")).findFirst().orElse(error.strip());
    String message =
        "libnftables rejected the commands: "
            + first.strip()
            + (lineText.isPresent()
                ? " (line " + line.getAsInt() + ": " + lineText.get().strip() + ")"
                : "");
    return new NftablesException(reason, message, error, line, lineText);
  }

  /** Frees the libnftables context. */
  @Override
  public void close() {
    context.close();
  }
}
