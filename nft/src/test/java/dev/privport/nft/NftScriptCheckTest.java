package dev.privport.nft;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.core.RedirectPlan;
import dev.privport.testkit.fixtures.PlanFixtures;
import dev.privport.testkit.lab.Kernel;
import dev.privport.testkit.process.Cmd;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Loads rendered scripts into a throwaway user and network namespace ({@code unshare -rn}): the
 * kernel's own verdict, available to users without root where unprivileged user namespaces are
 * enabled. A check alone is not enough (nft -c accepts a redirect in a filter chain): it commits.
 */
class NftScriptCheckTest {
  @Test
  void everyShapeOfPlanLoadsIntoTheKernel() {
    Kernel.requireCommand("nft", "unshare");
    Cmd.Result probe = Cmd.run("unshare", "-rn", "nft", "list", "ruleset");
    Kernel.require(
        probe.ok(),
        "unshare -rn cannot create a user+network namespace here: " + probe.stderr().strip());
    for (RedirectPlan plan : PlanFixtures.ofEveryShape()) {
      String script = plan.toNft() + new NftRenderer().renderRemoval(plan) + plan.toNft();
      // Check, then commit, in one throwaway namespace: the script arrives on stdin.
      Cmd.Result r =
          Cmd.run(
              List.of(
                  "unshare",
                  "-rn",
                  "sh",
                  "-c",
                  "f=$(mktemp) && cat > \"$f\" && nft -c -f \"$f\" && nft -f \"$f\" && nft list ruleset; rc=$?; rm -f \"$f\"; exit $rc"),
              script);
      assertThat(r.exitCode()).as(r.stderr()).isZero();
      assertThat(r.stdout())
          .contains("table inet " + plan.qualifiedName())
          .contains("redirect to :");
    }
  }
}
