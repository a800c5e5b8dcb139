package dev.privport.cli;

import java.io.PrintWriter;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The invocations most runs are, read without picocli: {@code render}, {@code apply}, {@code
 * remove} or {@code status}, followed by redirects ({@code 80:8080}), the plan's flags, the
 * command's own flags, {@code --backend B} and {@code --name N}. Nothing else.
 *
 * <p>Why: building picocli's model of a command (its class initialisation, its built-in converters,
 * annotation proxies and reflection over every option field) took about 65 of the 150 ms of {@code
 * privport render 80:8080} on JDK 17, measured with the JVM's class-loading log, more than the
 * JVM's own start. This reader sets the very fields picocli would set on the very command objects,
 * and runs them the same way; it never reports an error of its own. Anything it does not recognise,
 * a repeated option, an unknown backend, {@code --help}, returns empty, and picocli parses the
 * whole command line as before, so every usage message is still picocli's. {@code DirectRunTest}
 * holds the fields it sets equal to picocli's over generated command lines, and the output of both
 * equal.
 */
final class DirectRun {
  /** The plan's flags, which every command here takes ({@link PlanOptions}). */
  private static final List<String> PLAN_FLAGS =
      List.of("--ipv4-only", "--ipv6-only", "--incoming-only", "--local-only");

  private final String name;
  private final Object command;

  private DirectRun(String name, Object command) {
    this.name = name;
    this.command = command;
  }

  /** The command object, its fields set as picocli would set them (for tests). */
  Object command() {
    return command;
  }

  /** The run {@code args} ask for, when this reader recognises every argument; else empty. */
  static Optional<DirectRun> parse(String[] args) {
    if (args.length == 0) {
      return Optional.empty();
    }
    PlanOptions plan = new PlanOptions();
    BackendSelection backend = null;
    Set<String> seen = new HashSet<>(); // every option given, flags included
    String name = args[0];
    if (!name.equals("render")
        && !name.equals("apply")
        && !name.equals("remove")
        && !name.equals("status")) {
      return Optional.empty();
    }
    for (int i = 1; i < args.length; i++) {
      String a = args[i];
      if (!a.isEmpty() && a.charAt(0) >= '0' && a.charAt(0) <= '9') {
        plan.redirects.add(a); // never an option: picocli's positional too
        continue;
      }
      String option = a;
      String value = null;
      int eq = a.indexOf('=');
      if (a.startsWith("--") && eq > 0) {
        option = a.substring(0, eq);
        value = a.substring(eq + 1);
      }
      if (!seen.add(option)) {
        return Optional.empty(); // picocli refuses a repeated option: let it say so
      }
      if (option.equals("--backend") || option.equals("--name")) {
        if (value == null) {
          if (++i == args.length) {
            return Optional.empty();
          }
          value = args[i];
        }
        if (option.equals("--backend")) {
          Optional<BackendSelection> b = BackendSelection.parse(value);
          if (b.isEmpty()) {
            return Optional.empty();
          }
          backend = b.get();
        } else if (plainName(value)) {
          plan.name = value;
        } else {
          return Optional.empty();
        }
      } else if (value != null || !(PLAN_FLAGS.contains(a) || ownFlag(name, a))) {
        return Optional.empty();
      }
    }
    plan.ipv4Only = seen.contains("--ipv4-only");
    plan.ipv6Only = seen.contains("--ipv6-only");
    plan.incomingOnly = seen.contains("--incoming-only");
    plan.localOnly = seen.contains("--local-only");
    return Optional.of(new DirectRun(name, command(name, plan, backend, seen)));
  }

  private static boolean ownFlag(String command, String flag) {
    return switch (command) {
      case "apply", "remove" -> flag.equals("--keep-flows");
      case "status" -> flag.equals("--json") || flag.equals("--all");
      default -> false;
    };
  }

  /** A value picocli takes as it is: letters, digits, '.', '_' and '-', not first. */
  private static boolean plainName(String value) {
    if (value.isEmpty() || value.charAt(0) == '-') {
      return false;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '.'
              || c == '_'
              || c == '-';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  private static Object command(
      String name, PlanOptions plan, BackendSelection backend, Set<String> options) {
    RouteOptions route = new RouteOptions();
    route.backend = backend;
    FlowOptions flows = new FlowOptions();
    flows.keepFlows = options.contains("--keep-flows");
    switch (name) {
      case "render" -> {
        RenderCommand c = new RenderCommand();
        c.plan = plan;
        c.backend =
            backend != null
                ? backend
                : BackendSelection.parse(RenderCommand.DEFAULT_BACKEND).orElseThrow();
        return c;
      }
      case "apply" -> {
        ApplyCommand c = new ApplyCommand();
        c.plan = plan;
        c.route = route;
        c.flows = flows;
        c.socket = new SocketOptions();
        return c;
      }
      case "remove" -> {
        RemoveCommand c = new RemoveCommand();
        c.plan = plan;
        c.route = route;
        c.flows = flows;
        c.socket = new SocketOptions();
        return c;
      }
      default -> {
        StatusCommand c = new StatusCommand();
        c.plan = plan;
        c.route = route;
        c.socket = new SocketOptions();
        c.json = options.contains("--json");
        c.all = options.contains("--all");
        return c;
      }
    }
  }

  /**
   * Runs the command, printing to {@code out} and {@code err}; an exception becomes the one line
   * and exit code picocli's handler would give it.
   */
  int run(PrintWriter out, PrintWriter err) {
    // By name, not instanceof: each test of a class loads it, and a run loads its own command only.
    try {
      return switch (name) {
        case "render" -> ((RenderCommand) command).render(out, err);
        case "apply" -> ((ApplyCommand) command).apply(out, err);
        case "remove" -> ((RemoveCommand) command).remove(out, err);
        default -> ((StatusCommand) command).status(out, err);
      };
    } catch (Exception e) {
      return Privport.failed(e, err);
    }
  }
}
