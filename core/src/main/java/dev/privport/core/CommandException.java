package dev.privport.core;

/**
 * A command that did not run to its end: its program could not be started, or it did not finish in
 * time (it has been killed then). The message is one line naming the command and the cause. An
 * {@link IllegalStateException}, like a step whose command fails, so callers that report one report
 * both.
 */
public final class CommandException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  private final transient Command command;

  /** A failure of {@code command}; {@code message} names it and the cause on one line. */
  public CommandException(Command command, String message, Throwable cause) {
    super(message, cause);
    this.command = command;
  }

  /** The command that did not run to its end. */
  public Command command() {
    return command;
  }
}
