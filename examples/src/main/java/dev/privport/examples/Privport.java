package dev.privport.examples;

import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The {@code privport} command line: {@code java -jar privport.jar render 80:8080}. Built on the
 * public API only.
 */
public final class Privport {
  /** Exit code: success. */
  public static final int OK = 0;
  /** Exit code: bad arguments or an invalid plan. */
  public static final int USAGE = 2;

  static final String USAGE_TEXT = """
      Usage: privport render [--backend nft|iptables|firewalld] [--name NAME]
                             [--ipv4-only|--ipv6-only] [--incoming-only|--local-only]
                             [--interface IF] REDIRECT...
        REDIRECT is FROM:TO, FROM:TO/tcp or FROM:TO/udp, e.g. 80:8080 or 514:5514/udp.
        Prints the rules that serve port FROM from the local service on port TO.
      """;

  private Privport() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs the command line; returns the exit code. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
      out.print(USAGE_TEXT);
      return args.length == 0 ? USAGE : OK;
    }
    try {
      if (!args[0].equals("render")) {
        throw new IllegalArgumentException("unknown command \"" + args[0] + "\" (try --help)");
      }
      out.print(render(List.of(args).subList(1, args.length)));
      return OK;
    } catch (IllegalArgumentException | IllegalStateException e) {
      err.println("privport: " + e.getMessage());
      return USAGE;
    }
  }

  private static String render(List<String> args) {
    String backend = "nft";
    RedirectPlan.Builder plan = RedirectPlan.builder();
    List<String> specs = new ArrayList<>();
    List<UnaryOperator<Redirect>> options = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      switch (arg) {
        case "--backend" -> backend = value(args, ++i, arg);
        case "--name" -> plan.name(value(args, ++i, arg));
        case "--ipv4-only" -> options.add(Redirect::ipv4Only);
        case "--ipv6-only" -> options.add(Redirect::ipv6Only);
        case "--incoming-only" -> options.add(Redirect::incomingOnly);
        case "--local-only" -> options.add(Redirect::localOnly);
        case "--interface" -> {
          String ifname = value(args, ++i, arg);
          options.add(r -> r.onInterface(ifname));
        }
        case "--help", "-h" -> {
          return USAGE_TEXT;
        }
        default -> {
          if (arg.startsWith("-")) {
            throw new IllegalArgumentException("unknown option \"" + arg + "\" (try --help)");
          }
          specs.add(arg);
        }
      }
    }
    if (specs.isEmpty()) {
      throw new IllegalArgumentException("render needs at least one REDIRECT, e.g. 80:8080 (try --help)");
    }
    for (String spec : specs) {
      Redirect redirect = RedirectSpec.parse(spec);
      for (UnaryOperator<Redirect> option : options) {
        redirect = option.apply(redirect);
      }
      plan.add(redirect);
    }
    RedirectPlan built = plan.build();
    return switch (backend) {
      case "nft" -> built.toNft();
      case "iptables" -> built.toIptables();
      case "firewalld" -> built.toFirewalld();
      default -> throw new IllegalArgumentException(
          "--backend must be nft, iptables or firewalld, got \"" + backend + "\"");
    };
  }

  private static String value(List<String> args, int i, String option) {
    if (i >= args.size()) {
      throw new IllegalArgumentException(option + " needs a value");
    }
    return args.get(i);
  }
}
