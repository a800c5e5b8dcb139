package dev.privport.testkit.process;

import dev.privport.core.Command;
import dev.privport.core.CommandRunner;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Function;

/**
 * A {@link CommandRunner} for tests that runs nothing: it records every command it is given, in
 * order, and answers from a script. Safe to share between threads.
 */
public final class RecordingRunner implements CommandRunner {
  private final Function<Command, Outcome> script;
  private final List<Command> commands = new ArrayList<>();

  private RecordingRunner(Function<Command, Outcome> script) {
    this.script = script;
  }

  /**
   * Answers each command with what {@code rule} gives for it; a rule may throw (a {@link
   * dev.privport.core.CommandException} for a program that cannot start, say).
   */
  public static RecordingRunner answering(Function<Command, Outcome> rule) {
    return new RecordingRunner(rule);
  }

  /** Answers the commands in order with {@code outcomes}; one command more fails the test. */
  public static RecordingRunner scripted(Outcome... outcomes) {
    Deque<Outcome> left = new ArrayDeque<>(List.of(outcomes));
    return new RecordingRunner(
        c -> {
          if (left.isEmpty()) {
            throw new AssertionError("no outcome scripted for " + c.toShell());
          }
          return left.removeFirst();
        });
  }

  /** Every command exits 0 and prints nothing. */
  public static RecordingRunner succeeding() {
    return answering(c -> exit(0));
  }

  /** An outcome with {@code status} and no output. */
  public static Outcome exit(int status) {
    return new Outcome(status, "", "");
  }

  /** An outcome with {@code status} and {@code stderr}. */
  public static Outcome exit(int status, String stderr) {
    return new Outcome(status, "", stderr);
  }

  @Override
  public synchronized Outcome run(Command command) {
    commands.add(command);
    return script.apply(command);
  }

  /** The commands run so far, in order. */
  public synchronized List<Command> commands() {
    return List.copyOf(commands);
  }
}
