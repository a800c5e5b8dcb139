package dev.privport.firewalld;

import dev.privport.core.CommandRunner;
import dev.privport.core.ConfigFile;
import dev.privport.core.Step;
import java.util.List;

/**
 * The policy route for one plan (firewalld >= 1.1, where a policy whose ingress zone is {@code
 * HOST} acts on locally generated traffic): up to two policies of the plan's own, each a set of
 * forward-port rich rules.
 *
 * <ul>
 *   <li>{@code ...-in}: ingress {@code ANY}, egress {@code HOST}, a redirect per host address
 *       (INCOMING);
 *   <li>{@code ...-lo}: ingress {@code HOST}, egress {@code ANY}, a DNAT to the same address per
 *       loopback and host address (LOCAL).
 * </ul>
 *
 * Policies are permanent objects: applying makes the permanent configuration hold exactly the
 * plan's policies (a previous version is deleted first), then reloads.
 *
 * @param apply idempotent steps that create or replace the plan's policies, then {@code --reload}
 * @param remove idempotent steps that delete them, then {@code --reload}
 * @param policyFiles the policies as firewalld's XML, under {@code /etc/firewalld/policies/}
 */
public record FirewalldPolicies(List<Step> apply, List<Step> remove, List<ConfigFile> policyFiles) {
  public FirewalldPolicies {
    apply = List.copyOf(apply);
    remove = List.copyOf(remove);
    policyFiles = List.copyOf(policyFiles);
  }

  /** Runs every apply step with {@code runner}. */
  public void executeApply(CommandRunner runner) {
    Step.executeAll(apply, runner);
  }

  /** Runs every remove step with {@code runner}. */
  public void executeRemove(CommandRunner runner) {
    Step.executeAll(remove, runner);
  }
}
