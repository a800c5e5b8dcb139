package dev.privport.cli;

import java.io.PrintWriter;
import java.util.Optional;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code privport} command line ({@code java -jar privport.jar}), built on privport's public
 * API only. Exit codes:
 *
 * <ul>
 *   <li>0 success; {@code check}: the files are fresh; {@code status}: live and as planned
 *   <li>1 {@code check}: files are stale (a diff is shown); {@code status}: absent or drifted
 *   <li>2 bad arguments or an invalid plan (one line on stderr)
 *   <li>3 the operation failed (libnftables refused, no permission, I/O)
 *   <li>4 {@code apply --try}: not confirmed in time; the trial's change was undone (the previous
 *       state put back, or, when another process changed the table meanwhile, left as it made it)
 *   <li>5 {@code apply --try}: interrupted by SIGINT, SIGTERM or SIGHUP while waiting; undone as
 *       for 4
 * </ul>
 */
@Command(
    name = "privport",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description = "Serve privileged ports from unprivileged services.",
    footer = {
      "",
      "Exit codes: 0 ok, 1 stale or drifted, 2 bad input, 3 operation failed, 4 try rolled back,",
      "5 try interrupted by a signal and rolled back."
    })
public class Privport implements Runnable {
  public static final int OK = 0;
  public static final int STALE = 1;
  public static final int USAGE = 2;
  public static final int FAILED = 3;
  public static final int ROLLED_BACK = 4;
  public static final int INTERRUPTED = 5;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(),
        "a command is needed: render, check, apply, remove, status, doctor, install, uninstall"
            + " or daemon");
  }

  public static void main(String[] args) {
    CheckedOutput stdout = CheckedOutput.stdout();
    PrintWriter err =
        new PrintWriter(
            new java.io.OutputStreamWriter(
                new java.io.FileOutputStream(java.io.FileDescriptor.err),
                java.nio.charset.StandardCharsets.UTF_8),
            true);
    System.exit(run(args, new PrintWriter(stdout, true), err, stdout::failure));
  }

  /**
   * The whole command line: every subcommand. Its {@code @Command} attributes are {@link
   * Privport}'s (picocli inherits them); the completion script and man pages are generated from it.
   */
  @Command(
      subcommands = {
        RenderCommand.class,
        CheckCommand.class,
        ApplyCommand.class,
        RemoveCommand.class,
        StatusCommand.class,
        DoctorCommand.class,
        InstallCommand.class,
        UninstallCommand.class,
        DaemonCommand.class
      })
  public static final class All extends Privport {}

  /**
   * The command line for a run whose first argument is {@code first}: only that subcommand when it
   * names one, else all of them (for help, and for the error naming an unknown command). Building
   * the model of a subcommand costs reflection over its fields and annotations, more than half of a
   * short run's start; nothing else differs.
   */
  static CommandLine commandLine(String first) {
    Class<?> sub = subcommand(first);
    if (sub == null) {
      return new CommandLine(new All());
    }
    CommandLine cli = new CommandLine(new Privport());
    cli.addSubcommand(new CommandLine(sub));
    return cli;
  }

  /**
   * The class of the subcommand named {@code name}, or null. A table rather than a look through
   * {@link All}'s annotation: reading each subcommand's {@code @Command} loaded all nine classes
   * and parsed their annotations, a third of a {@code render}. {@code PrivportCommandsTest} holds
   * the two lists equal.
   */
  static Class<?> subcommand(String name) {
    return switch (name) {
      case "render" -> RenderCommand.class;
      case "check" -> CheckCommand.class;
      case "apply" -> ApplyCommand.class;
      case "remove" -> RemoveCommand.class;
      case "status" -> StatusCommand.class;
      case "doctor" -> DoctorCommand.class;
      case "install" -> InstallCommand.class;
      case "uninstall" -> UninstallCommand.class;
      case "daemon" -> DaemonCommand.class;
      default -> null;
    };
  }

  /**
   * Every error as one line on stderr: bad input exits 2, a failed operation 3. A class, not two
   * lambdas: picocli's handler interfaces are Java 5 class files, so the class-data-sharing archive
   * cannot hold lambdas implementing them, and spinning one at run time cost every run the lambda
   * machinery's first use.
   */
  private static final class OneLineErrors
      implements CommandLine.IParameterExceptionHandler, CommandLine.IExecutionExceptionHandler {
    private final PrintWriter err;

    OneLineErrors(PrintWriter err) {
      this.err = err;
    }

    @Override
    public int handleParseException(CommandLine.ParameterException e, String[] args) {
      err.println("privport: " + e.getMessage() + " (see --help)");
      return USAGE;
    }

    @Override
    public int handleExecutionException(
        Exception e, CommandLine commandLine, CommandLine.ParseResult parseResult) {
      return failed(e, err);
    }
  }

  /**
   * What a command's exception ends in, for picocli's runs and {@link DirectRun}'s alike: one line
   * on {@code err}; exit 2 for bad input (an {@link IllegalArgumentException}), else 3.
   */
  static int failed(Exception e, PrintWriter err) {
    if (e instanceof IllegalArgumentException) {
      err.println("privport: " + e.getMessage());
      return USAGE;
    }
    err.println("privport: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
    return FAILED;
  }

  /** Runs the command line with the given streams and returns the exit code. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    return run(args, out, err, () -> Optional.of("the stream reported an error"));
  }

  /**
   * As {@link #run(String[], PrintWriter, PrintWriter)}; {@code outFailure} says why writing to
   * {@code out} failed, once its {@link PrintWriter#checkError()} says it did.
   */
  static int run(
      String[] args, PrintWriter out, PrintWriter err, Supplier<Optional<String>> outFailure) {
    Optional<DirectRun> direct = DirectRun.parse(args);
    int code = direct.isPresent() ? direct.get().run(out, err) : throughPicocli(args, out, err);
    // PrintWriter swallows write errors: output cut by a full disk or a closed pipe must not end in
    // a success (or a "stale" whose diff never arrived).
    if (out.checkError() && (code == OK || code == STALE)) {
      err.println(
          "privport: cannot write standard output: "
              + outFailure.get().orElse("the stream reported an error"));
      code = FAILED;
    }
    err.flush();
    return code;
  }

  /** Runs the command line through picocli's model of it, whatever {@link DirectRun} reads. */
  static int throughPicocli(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cli = commandLine(args.length == 0 ? "" : args[0]);
    cli.setOut(out);
    cli.setErr(err);
    // An argument is what the user typed: picocli's "@FILE" argument files would read any file
    // named after an '@' (an interface "@/" was a stack trace), and plans come from --plan only.
    cli.setExpandAtFiles(false);
    // Every error is one line on stderr.
    OneLineErrors errors = new OneLineErrors(err);
    cli.setParameterExceptionHandler(errors);
    cli.setExecutionExceptionHandler(errors);
    return cli.execute(args);
  }
}
