package dev.privport.core;

import java.util.List;
import java.util.Optional;

/**
 * One idempotent step of an apply or undo: a command, optionally guarded by a check command whose
 * exit status decides whether (or how often) it runs. Guards make rendered commands safe to run
 * twice: an iptables chain is created unless it exists, a jump is added unless {@code -C} finds it
 * and removed for as long as {@code -C} finds it, a firewalld policy is deleted only if it exists.
 *
 * @param command the command that changes the ruleset
 * @param guard the check command, for every kind but {@link Kind#ALWAYS}
 * @param kind how the guard's exit status is used
 */
public record Step(Command command, Optional<Command> guard, Kind kind) {
  /** How a step's guard decides. */
  public enum Kind {
    /** Run the command. */
    ALWAYS,
    /** Run the command once unless the guard succeeds (create what is missing). */
    UNLESS,
    /** Run the command once if the guard succeeds (remove what exists). */
    IF,
    /** Run the command for as long as the guard succeeds (remove every copy). */
    WHILE
  }

  public Step {
    if ((kind == Kind.ALWAYS) != guard.isEmpty()) {
      throw new IllegalArgumentException(
          "guard must be present exactly when kind is not ALWAYS, got " + kind);
    }
  }

  /** A step that always runs {@code command}. */
  public static Step always(Command command) {
    return new Step(command, Optional.empty(), Kind.ALWAYS);
  }

  /** A step that runs {@code command} unless {@code guard} succeeds. */
  public static Step unless(Command guard, Command command) {
    return new Step(command, Optional.of(guard), Kind.UNLESS);
  }

  /** A step that runs {@code command} once if {@code guard} succeeds. */
  public static Step onlyIf(Command guard, Command command) {
    return new Step(command, Optional.of(guard), Kind.IF);
  }

  /** A step that runs {@code command} for as long as {@code guard} succeeds. */
  public static Step whilst(Command guard, Command command) {
    return new Step(command, Optional.of(guard), Kind.WHILE);
  }

  /** The step as one line for {@code sh -e}; a failing guard never stops the script. */
  public String toShell() {
    String cmd = command.toShell();
    if (guard.isEmpty()) {
      return cmd;
    }
    String check = guard.get().toShell() + " >/dev/null 2>&1";
    return switch (kind) {
      case UNLESS -> check + " || " + cmd;
      case IF -> "if " + check + "; then " + cmd + "; fi";
      case WHILE -> "while " + check + "; do " + cmd + "; done";
      case ALWAYS -> cmd;
    };
  }

  /** Executes {@code steps} in order with {@code runner}; the first failing command stops them. */
  public static void executeAll(List<Step> steps, CommandRunner runner) {
    steps.forEach(s -> s.execute(runner));
  }

  /**
   * Executes the step with {@code runner}, honouring the guard.
   *
   * @throws IllegalStateException if the command itself fails (a guard's failure is an answer), or
   *     a {@link CommandException} when the command or a guard cannot run at all
   */
  public void execute(CommandRunner runner) {
    switch (kind) {
      case ALWAYS -> mustRun(runner);
      case UNLESS -> {
        if (!runner.run(guard.orElseThrow()).ok()) {
          mustRun(runner);
        }
      }
      case IF -> {
        if (runner.run(guard.orElseThrow()).ok()) {
          mustRun(runner);
        }
      }
      case WHILE -> {
        // Bounded: a guard that keeps succeeding after its command would otherwise loop forever.
        for (int i = 0; i < 1000 && runner.run(guard.orElseThrow()).ok(); i++) {
          mustRun(runner);
        }
      }
    }
  }

  private void mustRun(CommandRunner runner) {
    CommandRunner.Outcome outcome = runner.run(command);
    if (!outcome.ok()) {
      // What the command said about it: its error output first, where tools put their reasons.
      String said =
          (outcome.stderr().isBlank() ? outcome.stdout() : outcome.stderr())
              .strip()
              .lines()
              .findFirst()
              .orElse("");
      throw new IllegalStateException(
          command.toShell()
              + " exited "
              + outcome.exitStatus()
              + (said.isEmpty() ? "" : ": " + said));
    }
  }
}
