package dev.privport.cli;

import dev.privport.core.RedirectPlan;
import dev.privport.core.RedirectRule;
import dev.privport.core.spi.Backend;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * {@code privport apply}: apply the plan through nft (libnftables, in-process), iptables or
 * firewalld (root).
 */
@Command(
    name = "apply",
    mixinStandardHelpOptions = true,
    description = {
      "Apply the plan (needs root): through libnftables in one transaction (--backend nft),",
      "iptables-restore (--backend iptables) or firewalld over D-Bus (--backend firewalld);",
      "by default through the backend 'privport doctor' recommends here. Applying again",
      "changes nothing.",
      "With --try SECONDS: keep it only if 'yes' is typed in time; otherwise the",
      "plan's previous state is put back (exit 4); SIGINT, SIGTERM or SIGHUP while",
      "waiting put it back too (exit 5). nft saves the previous state under",
      "/run/privport until then: after a kill -9 the next apply, remove or status",
      "of the table puts it back.",
      "Tracked UDP flows to the plan's ports are cleared, so senders that never",
      "pause follow the change (conntrack; --keep-flows to skip)."
    })
final class ApplyCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin PlanOptions plan;
  @Mixin RouteOptions route;
  @Mixin FlowOptions flows;
  @Mixin SocketOptions socket;

  @Option(
      names = "--try",
      paramLabel = "SECONDS",
      description = "roll back unless confirmed within SECONDS")
  Integer trySeconds;

  @Override
  public Integer call() throws Exception {
    return apply(spec.commandLine().getOut(), spec.commandLine().getErr());
  }

  /** Applies, printing to {@code out} and {@code err}; returns the exit code. */
  int apply(PrintWriter out, PrintWriter err) throws Exception {
    if (socket.client().isPresent()) {
      route.requireNftFor("the daemon (--socket, PRIVPORT_SOCKET)");
    }
    Optional<Integer> delegated = socket.apply(plan, trySeconds != null, out, err);
    if (delegated.isPresent()) return delegated.get();
    RedirectPlan p = plan.plan();
    if (trySeconds != null && (trySeconds < 1 || trySeconds > 3600)) {
      throw new IllegalArgumentException("--try must be 1..3600 seconds, got " + trySeconds);
    }
    Backend backend = route.choose(err);
    try (Route r = RouteOptions.open(backend)) {
      r.recover(p).ifPresent(m -> err.println("privport: " + m));
      Set<RedirectRule> affected = r.affected(p);
      if (trySeconds == null) {
        boolean changed = r.apply(p);
        applied(out, r, p, changed);
        if (changed) {
          flows.forgetEarlierFlows(affected, out, err);
        }
        return Privport.OK;
      }
      try (Answer answer = Answer.listen()) {
        Route.Trial trial = r.begin(p);
        String signal;
        try {
          applied(out, r, p, true);
          flows.forgetEarlierFlows(affected, out, err);
          out.println(
              "Type 'yes' within "
                  + trySeconds
                  + " seconds to keep it; otherwise it is rolled back.");
          out.flush();
          signal = answer.await(trySeconds);
        } catch (RuntimeException | InterruptedException e) {
          trial.rollback(); // never leave an unconfirmed plan live behind a failure
          throw e;
        }
        if (signal == null) {
          trial.confirm();
          out.println("kept.");
          return Privport.OK;
        }
        Route.Rollback rb = trial.rollback();
        if (rb.restored()) {
          flows.forgetEarlierFlows(affected, out, err);
        }
        out.println(
            (signal.isEmpty() ? "not confirmed" : "interrupted by " + signal)
                + ": "
                + (rb.restored() ? "rolled back: " : "not rolled back: ")
                + rb.message());
        return signal.isEmpty() ? Privport.ROLLED_BACK : Privport.INTERRUPTED;
      }
    }
  }

  private static void applied(PrintWriter out, Route r, RedirectPlan p, boolean changed) {
    out.println(
        (changed ? "applied: " : "unchanged: ")
            + r.target(p)
            + " ("
            + p.redirects().size()
            + (p.redirects().size() == 1 ? " redirect)" : " redirects)")
            + (changed ? "" : " already as planned"));
  }

  /**
   * The operator's answer: a line on stdin, silence until the deadline, or a signal. Signal
   * handlers are installed before the trial begins, so a signal at any moment of the trial reaches
   * the rollback; they are put back as they were on close.
   */
  private static final class Answer implements AutoCloseable {
    private static final List<String> SIGNALS = List.of("INT", "TERM", "HUP");

    /** null: confirmed; "": not confirmed; "SIGxxx": interrupted. */
    private final CompletableFuture<String> outcome = new CompletableFuture<>();

    private final List<Signal> signals = new ArrayList<>();
    private final List<SignalHandler> previous = new ArrayList<>();

    static Answer listen() {
      Answer a = new Answer();
      for (String name : SIGNALS) {
        Signal s = new Signal(name);
        try {
          a.previous.add(Signal.handle(s, sig -> a.outcome.complete("SIG" + sig.getName())));
          a.signals.add(s);
        } catch (IllegalArgumentException e) {
          // the JVM keeps this signal (-Xrs): it ends the process, and the next privport call
          // on the table rolls the trial back
        }
      }
      return a;
    }

    /** Waits for the answer: null when 'yes' came in time, else "" or the signal's name. */
    String await(int seconds) throws InterruptedException {
      Thread reader =
          new Thread(
              () -> {
                try {
                  String line =
                      new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
                          .readLine();
                  String word = line == null ? "" : line.trim().toLowerCase(Locale.ROOT);
                  outcome.complete(word.equals("yes") || word.equals("y") ? null : "");
                } catch (IOException e) {
                  outcome.complete("");
                }
              },
              "privport-confirm");
      reader.setDaemon(true);
      reader.start();
      try {
        return outcome.get(seconds, TimeUnit.SECONDS);
      } catch (TimeoutException | ExecutionException e) {
        outcome.complete("");
        return outcome.getNow("");
      }
    }

    @Override
    public void close() {
      for (int i = 0; i < signals.size(); i++) {
        Signal.handle(signals.get(i), previous.get(i));
      }
    }
  }
}
