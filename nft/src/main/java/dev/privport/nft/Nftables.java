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
 * <p>The executor acts on the network namespace of the thread that opened it (the namespace its
 * netlink socket was created in). It needs CAP_NET_ADMIN and the optional jnr-ffi dependency.
 */
public final class Nftables implements AutoCloseable {
  private static final Pattern LOCATION = Pattern.compile(":(\\d+):\\d+(?:-\\d+)?: Error");
  private static final NftRenderer RENDERER = new NftRenderer();

  private final NftContext context;

  private Nftables(NftContext context) {
    this.context = context;
  }

  /**
   * Opens an executor on {@code libnftables.so.1}.
   *
   * @throws NftablesException when the library is missing (naming the package to install) or no
   *     netfilter netlink socket can be opened (where libnftables itself would call exit())
   */
  public static Nftables open() {
    return open(LibNftables.SONAME);
  }

  static Nftables open(String soname) {
    try {
      Class.forName("jnr.ffi.LibraryLoader");
    } catch (ClassNotFoundException e) {
      throw new NftablesException(
          NftablesException.Reason.LIBRARY_MISSING,
          "the libnftables executor needs jnr-ffi on the class path: add the Maven artifact com.github.jnr:jnr-ffi");
    }
    return new Nftables(NftContext.open(soname));
  }

  /** Replaces the plan's table with the plan's rules, atomically. */
  public void apply(RedirectPlan plan) {
    run(RENDERER.render(plan));
  }

  /** Checks the plan's script with libnftables' dry run: nothing in the kernel changes. */
  public void check(RedirectPlan plan) {
    execute(RENDERER.render(plan), 0, true);
  }

  /** Removes the plan's table; succeeds when it is already gone. */
  public void remove(RedirectPlan plan) {
    run(RENDERER.renderRemoval(plan));
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
