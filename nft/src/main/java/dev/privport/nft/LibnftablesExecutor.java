package dev.privport.nft;

import dev.privport.core.RedirectPlan;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@link Nftables} executor that acts on the kernel, in-process through libnftables ({@code
 * libnftables.so.1}, via jnr-ffi): no shell, no {@code nft} subprocess, no parsing of human output.
 * {@link Nftables#open()} opens one.
 *
 * <pre>{@code
 * try (LibnftablesExecutor nft = Nftables.open()) {
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
public final class LibnftablesExecutor implements Nftables {
  private static final Pattern LOCATION = Pattern.compile(":(\\d+):\\d+(?:-\\d+)?: Error");
  private static final NftRenderer RENDERER = new NftRenderer();

  private static final Pattern TABLE_HANDLE =
      Pattern.compile("\\Atable inet [a-z0-9-]+ \\{ # handle (\\d+)\\n");

  private final NftContext context;
  private final StateDirectory state;

  private LibnftablesExecutor(NftContext context, StateDirectory state) {
    this.context = context;
    this.state = state;
  }

  /** As {@link Nftables#open(StateDirectory)}, loading {@code soname} instead. */
  static LibnftablesExecutor open(String soname) {
    return open(soname, StateDirectory.standard());
  }

  static LibnftablesExecutor open(String soname, StateDirectory state) {
    NftablesException.requireClass(
        "jnr.ffi.LibraryLoader",
        "the libnftables executor needs jnr-ffi on the class path",
        "com.github.jnr:jnr-ffi");
    return new LibnftablesExecutor(NftContext.open(soname), state);
  }

  /** The library {@link Nftables#open()} loads: the system property, else the soname. */
  static String libraryName() {
    String configured = System.getProperty(LIBRARY_PROPERTY);
    return configured == null || configured.isBlank() ? LibNftables.SONAME : configured;
  }

  /** See {@link Nftables#libraryProblem()}. */
  static Optional<String> libraryProblem() {
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
  @Override
  public void apply(RedirectPlan plan) {
    Objects.requireNonNull(plan, "plan");
    NftContext.requireNetAdmin();
    try (StateDirectory.Lock lock = state.lock()) {
      applyLocked(plan);
    }
  }

  /** How the last {@link #apply} changed the table (for tests and the benchmark). */
  enum ApplyPath {
    /** Only map elements changed (and, where a count changed, the map rule's chain). */
    INCREMENTAL,
    /** Nothing to do: the table is known to hold the plan already. */
    UNCHANGED,
    /** The table was absent: created without deleting anything. */
    FRESH,
    /** The table was replaced whole: declared, deleted and defined in one transaction. */
    FULL
  }

  /**
   * What this executor last applied to a table, and the ruleset generation right after. While the
   * namespace's generation is still that number, no transaction at all has been committed since, so
   * the table is exactly that layout.
   */
  private record Applied(NftTableLayout layout, long generation) {}

  private final Map<String, Applied> applied = new ConcurrentHashMap<>();

  /** Whether Gson (optional) is here to write the fresh path's JSON. */
  private static final boolean GSON = present("com.google.gson.JsonObject");

  private static boolean present(String className) {
    try {
      Class.forName(className, false, LibnftablesExecutor.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  private volatile ApplyPath lastPath = ApplyPath.FULL;

  ApplyPath lastPath() {
    return lastPath;
  }

  /**
   * Applies only the difference when it is known what the table holds, else replaces the table.
   * Correctness first: the element path is taken only when no transaction of anyone has touched the
   * namespace since this executor's own last apply of the table (the kernel's generation counter
   * says so), and when anything else committed around it, the table is replaced whole.
   */
  private void applyLocked(RedirectPlan plan) {
    String table = NftRenderer.tableName(plan);
    Applied last = applied.remove(table);
    OptionalLong before = context.generation();
    NftTableLayout layout = NftTableLayout.of(plan);
    String[] script = new String[1];
    if (last != null && before.isPresent() && before.getAsLong() == last.generation()) {
      Optional<String> change =
          last.layout()
              .changeTo(
                  layout, () -> script[0] == null ? script[0] = RENDERER.render(plan) : script[0]);
      if (change.isPresent() && change.get().isEmpty()) {
        applied.put(table, last);
        lastPath = ApplyPath.UNCHANGED;
        return;
      }
      if (change.isPresent()) {
        boolean done;
        try {
          run(change.get());
          done = true;
        } catch (NftablesException e) {
          done = false; // rejected whole, so nothing changed: replace the table below
        }
        if (done && remember(table, layout, before)) {
          lastPath = ApplyPath.INCREMENTAL;
          return;
        }
        // Either refused, or someone else committed around it: make the table exactly the plan.
      }
    }
    if (GSON && before.isPresent() && context.tableExists(table).equals(Optional.of(false))) {
      // Nothing to delete: "create" (which fails whole if the table appeared meanwhile) instead of
      // the declare-delete pair, as JSON, which libnftables reads in half the time of nft syntax.
      try {
        execute(NftJsonScript.create(plan), LibNftables.NFT_CTX_OUTPUT_JSON, false);
        remember(table, layout, before);
        lastPath = ApplyPath.FRESH;
        return;
      } catch (NftablesException e) {
        // the table appeared meanwhile, or this libnftables reads the JSON otherwise: nothing
        // changed, so the script replaces the table below, as always
      }
    }
    String full = script[0] != null ? script[0] : RENDERER.render(plan);
    run(full);
    remember(table, layout, before);
    lastPath = ApplyPath.FULL;
  }

  /** Records {@code layout} when the one transaction since {@code before} was this executor's. */
  private boolean remember(String table, NftTableLayout layout, OptionalLong before) {
    OptionalLong after = context.generation();
    if (before.isPresent()
        && after.isPresent()
        && after.getAsLong() == ((before.getAsLong() + 1) & 0xffffffffL)) {
      applied.put(table, new Applied(layout, after.getAsLong()));
      return true;
    }
    return false;
  }

  /** Checks the plan's script with libnftables' dry run: nothing in the kernel changes. */
  @Override
  public void check(RedirectPlan plan) {
    execute(RENDERER.render(plan), 0, true);
  }

  /** Removes the plan's table, holding the state directory's lock; succeeds when it is gone. */
  @Override
  public void remove(RedirectPlan plan) {
    Objects.requireNonNull(plan, "plan");
    NftContext.requireNetAdmin();
    try (StateDirectory.Lock lock = state.lock()) {
      applied.remove(NftRenderer.tableName(plan));
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
  @Override
  public Trial begin(RedirectPlan plan) {
    String table = NftRenderer.tableName(plan);
    String name = SavedTrial.fileName(context.namespace(), table);
    NftContext.requireNetAdmin();
    try (StateDirectory.Lock lock = state.lock()) {
      // A trial replaces the table whole (its rollback relies on the table's handle).
      applied.remove(table);
      if (state.read(name).isPresent() && state.owned(name + ".owner")) {
        throw new NftablesException(
            NftablesException.Reason.TRIAL_PENDING, Trial.pending(table, pidOf(name)));
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
        return new Trial(
            plan,
            recovered,
            new Trial.Ending() {
              @Override
              public void confirm() {
                LibnftablesExecutor.this.confirm(name, owner);
              }

              @Override
              public Trial.Rollback rollback() {
                return LibnftablesExecutor.this.rollback(name, saved, owner);
              }
            });
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
  @Override
  public boolean trialPending(RedirectPlan plan) {
    Objects.requireNonNull(plan, "plan");
    context.requireOpen();
    NftContext.requireNetAdmin();
    return state
        .read(SavedTrial.fileName(context.namespace(), NftRenderer.tableName(plan)))
        .isPresent();
  }

  @Override
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
    return Optional.of(Trial.recoveredText(table, saved.pid(), undone));
  }

  /** Puts back what {@code saved} replaced, unless the table changed since; call locked. */
  Trial.Rollback undo(SavedTrial saved) {
    String table = saved.table();
    applied.remove(table);
    String previous = saved.previous().orElse("");
    Trial.Rollback back = Trial.restored(table, saved.previous().isPresent());
    if (saved.applied().isEmpty()) {
      run(removal(table) + previous);
      return back;
    }
    if (!listing(table, FINGERPRINT_FLAGS).equals(saved.applied())) {
      return Trial.superseded(table);
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
        return Trial.superseded(table);
      }
      throw e;
    }
    return back;
  }

  private void confirm(String fileName, StateDirectory.Owner owner) {
    try (StateDirectory.Lock lock = state.lock()) {
      state.delete(fileName);
      owner.close();
    }
  }

  private Trial.Rollback rollback(String fileName, SavedTrial saved, StateDirectory.Owner owner) {
    try (StateDirectory.Lock lock = state.lock()) {
      Trial.Rollback r;
      try {
        r = undo(saved);
      } catch (RuntimeException e) {
        owner.close(); // the saved state stays: the next privport call on the table retries
        throw new NftablesException(
            NftablesException.Reason.REJECTED,
            "cannot roll back table inet "
                + saved.table()
                + " ("
                + e.getMessage()
                + "); its previous state stays saved in "
                + state.path().resolve(fileName)
                + " and the next privport call on that table retries");
      }
      state.delete(fileName);
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
  @Override
  public PlanStatus inspect(RedirectPlan plan) {
    NftablesException.requireClass(
        "com.google.gson.JsonParser",
        "inspecting a table reads libnftables' JSON with Gson",
        "com.google.code.gson:gson");
    String list = "list table inet " + NftRenderer.tableName(plan);
    return readingAgain(
        () -> {
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
        });
  }

  /** How often {@link #inspect} lists a table whose listing came out malformed. */
  static final int LISTINGS = 3;

  /**
   * {@code inspection}, run again while it finds the listing malformed, {@link #LISTINGS} times in
   * all. libnftables 1.0.6 prints a flagged table's flags from freed memory: bytes that may end the
   * output there (a NUL) or break it beyond what {@link NftInspector} can mend, and differ from one
   * listing to the next. A listing that stays malformed is reported as such.
   */
  static PlanStatus readingAgain(Supplier<PlanStatus> inspection) {
    for (int attempt = 1; ; attempt++) {
      try {
        return inspection.get();
      } catch (NftablesException e) {
        if (e.reason() != NftablesException.Reason.MALFORMED_OUTPUT || attempt >= LISTINGS) {
          throw e;
        }
      }
    }
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
