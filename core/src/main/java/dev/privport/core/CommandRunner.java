package dev.privport.core;

/**
 * Runs a {@link Command} to its end: the one way privport starts a process. {@link Step}, {@link
 * ConntrackCleanup}, the backends' and remedies' executors, the command line and the daemon all
 * take one, so a test hands them a recording fake and a caller can run the same commands elsewhere
 * (inside a network namespace, on another host). {@link SubprocessRunner} runs them as child
 * processes of this JVM.
 *
 * <p>Every program that ran to its end gives an {@link Outcome}, whatever its exit status: a
 * failing guard is an answer, not an error. A program that cannot be started, or that is still
 * running when its time is up, throws {@link CommandException} instead, with one line naming the
 * command and the cause. It is never turned into an exit status: a guard that could not run must
 * not read as "absent", or an undo would skip a rule that is still there and report success.
 */
@FunctionalInterface
public interface CommandRunner {
  /**
   * Runs {@code command} and waits for its end.
   *
   * @throws CommandException when it cannot be started or does not finish in time
   */
  Outcome run(Command command);

  /**
   * What a finished command gave.
   *
   * @param exitStatus its exit status
   * @param stdout what it printed on standard output, as UTF-8
   * @param stderr what it printed on standard error, as UTF-8
   */
  record Outcome(int exitStatus, String stdout, String stderr) {
    public Outcome {
      Checks.check(stdout != null, "stdout", "null", "must be text");
      Checks.check(stderr != null, "stderr", "null", "must be text");
    }

    /** Whether it exited 0. */
    public boolean ok() {
      return exitStatus == 0;
    }

    /** Standard output, then standard error: all it printed, for messages and searches. */
    public String output() {
      return stdout + stderr;
    }
  }
}
