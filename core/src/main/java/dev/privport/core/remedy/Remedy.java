package dev.privport.core.remedy;

import dev.privport.core.ConfigFile;
import dev.privport.core.Step;
import dev.privport.core.spi.Backend;
import java.util.List;

/**
 * One way of letting an unprivileged service use a low port, rendered: the commands that apply and
 * undo it (argv lists, run without a shell), the files that make it persistent, and what the
 * operator must know before choosing it.
 *
 * @param backend which remedy: one of {@link Backend}'s constants that are not a firewall
 * @param summary one line saying what it does
 * @param apply steps that take effect now (argv lists, guarded where a guard keeps them safe to
 *     rerun); empty when the host already allows what was asked
 * @param undo steps that put back what {@code apply} found; safe to run twice
 * @param files files to install or check into a config repository
 * @param caveats the trade-offs, in plain words
 */
public record Remedy(
    Backend backend,
    String summary,
    List<Step> apply,
    List<Step> undo,
    List<ConfigFile> files,
    List<String> caveats) {

  public Remedy {
    apply = List.copyOf(apply);
    undo = List.copyOf(undo);
    files = List.copyOf(files);
    caveats = List.copyOf(caveats);
  }

  /** Whether applying changes anything: false when the host already allows what was asked. */
  public boolean needed() {
    return !apply.isEmpty();
  }

  /** Runs every apply step with {@code runner}. */
  public void executeApply(Step.Runner runner) {
    Step.executeAll(apply, runner);
  }

  /** Runs every undo step with {@code runner}. */
  public void executeUndo(Step.Runner runner) {
    Step.executeAll(undo, runner);
  }
}
