package dev.privport.cli;

import dev.privport.core.RedirectPlan;
import dev.privport.core.RedirectRule;
import dev.privport.nft.NftRenderer;
import dev.privport.nft.Nftables;
import dev.privport.nft.NftablesException;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code privport apply}: apply the plan in-process through libnftables (root). */
@Command(
    name = "apply",
    mixinStandardHelpOptions = true,
    description = {
      "Apply the plan through libnftables in one transaction (needs root).",
      "With --try SECONDS: keep it only if 'yes' is typed in time; otherwise the",
      "plan's previous state is put back (exit 4).",
      "Tracked UDP flows to the plan's ports are cleared, so senders that never",
      "pause follow the change (conntrack; --keep-flows to skip)."
    })
final class ApplyCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin PlanOptions plan;
  @Mixin FlowOptions flows;
  @Mixin SocketOptions socket;

  @Option(
      names = "--try",
      paramLabel = "SECONDS",
      description = "roll back unless confirmed within SECONDS")
  Integer trySeconds;

  @Override
  public Integer call() throws Exception {
    Optional<Integer> delegated = socket.apply(plan, trySeconds != null, spec);
    if (delegated.isPresent()) return delegated.get();
    RedirectPlan p = plan.plan();
    if (trySeconds != null && (trySeconds < 1 || trySeconds > 3600)) {
      throw new IllegalArgumentException("--try must be 1..3600 seconds, got " + trySeconds);
    }
    PrintWriter out = spec.commandLine().getOut();
    try (Nftables nft = Nftables.open()) {
      String previous = previousState(nft, p);
      Set<RedirectRule> affected = FlowOptions.affectedBy(p, nft);
      nft.apply(p);
      out.println(
          "applied: table inet "
              + NftRenderer.tableName(p)
              + " ("
              + p.redirects().size()
              + " redirects)");
      flows.forgetEarlierFlows(affected, out, spec.commandLine().getErr());
      if (trySeconds == null) {
        return Privport.OK;
      }
      out.println(
          "Type 'yes' within " + trySeconds + " seconds to keep it; otherwise it is rolled back.");
      out.flush();
      if (confirmed(trySeconds)) {
        out.println("kept.");
        return Privport.OK;
      }
      nft.run(previous);
      flows.forgetEarlierFlows(affected, out, spec.commandLine().getErr());
      out.println("not confirmed: rolled back to the previous state.");
      return Privport.ROLLED_BACK;
    }
  }

  /** A script that puts the plan's table back as it is now (absent, or with its current rules). */
  private static String previousState(Nftables nft, RedirectPlan p) {
    String table = NftRenderer.tableName(p);
    String removal = new NftRenderer().renderRemoval(p);
    try {
      return removal + nft.run("list table inet " + table);
    } catch (NftablesException e) {
      if (e.reason() == NftablesException.Reason.NOT_FOUND) {
        return removal;
      }
      throw e;
    }
  }

  /** Waits for a line on stdin; end of input or silence until the deadline means no. */
  private static boolean confirmed(int seconds) throws InterruptedException {
    CompletableFuture<String> answer =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
                    .readLine();
              } catch (java.io.IOException e) {
                return null;
              }
            });
    try {
      String line = answer.get(seconds, TimeUnit.SECONDS);
      return line != null
          && (line.trim().equalsIgnoreCase("yes") || line.trim().equalsIgnoreCase("y"));
    } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
      return false;
    }
  }
}
