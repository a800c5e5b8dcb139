package dev.privport.nft;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import dev.privport.testkit.lab.Kernel;
import dev.privport.testkit.lab.Netns;
import dev.privport.testkit.process.Cmd;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Hostile timing: while the executor applies a stream of small changes, another process commits
 * transactions in the same namespace as fast as it can (a table of its own, created and deleted).
 * Every commit between the executor's generation read and its element transaction must send it down
 * the replace path, and after every apply the table must be exactly the plan.
 */
class IncrementalUnderConcurrentCommitsTest {
  private static RedirectPlan plan(Random random) {
    RedirectPlan.Builder b = RedirectPlan.builder();
    for (int i = 0; i < 40; i++) {
      b.add(Redirect.tcp(20_000 + i, 40_000 + random.nextInt(4)).ipv4Only().incomingOnly());
    }
    return b.build();
  }

  @Test
  void everyApplyEndsExactlyAsThePlanWhileOthersCommit() throws Exception {
    Kernel.requireRoot();
    Kernel.requireCommand("nft");
    Path state = Files.createTempDirectory("privport-concurrent-");
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger foreignCommits = new AtomicInteger();
    try (Netns ns = Netns.create("nftexec");
        LibnftablesExecutor nft =
            ns.call(() -> Nftables.open(StateDirectory.at(state.resolve("state"))))) {
      Thread other =
          new Thread(
              () -> {
                while (!stop.get()) {
                  // one nft process per commit: the rate a busy host's other tools reach
                  if (ns.exec("nft", "add table inet other; delete table inet other").exitCode()
                      == 0) {
                    foreignCommits.incrementAndGet();
                  }
                }
              },
              "foreign-commits");
      other.setDaemon(true);
      other.start();
      Random random = new Random(42);
      Map<LibnftablesExecutor.ApplyPath, Integer> paths =
          new EnumMap<>(LibnftablesExecutor.ApplyPath.class);
      try {
        for (int i = 0; i < 150; i++) {
          RedirectPlan plan = plan(random);
          ns.call(
              () -> {
                nft.apply(plan); // from the namespace, where the element path is open
                return null;
              });
          paths.merge(nft.lastPath(), 1, Integer::sum);
          PlanStatus status = nft.inspect(plan);
          assertThat(status.differences()).as("apply %d (%s)", i, nft.lastPath()).isEmpty();
        }
      } finally {
        stop.set(true);
        other.join(10_000);
      }
      assertThat(foreignCommits.get()).as("the other process committed meanwhile").isPositive();
      System.out.println(
          "paths under concurrent commits: " + paths + ", foreign commits " + foreignCommits);
    } finally {
      Cmd.run("rm", "-rf", "--", state.toString());
    }
  }
}
