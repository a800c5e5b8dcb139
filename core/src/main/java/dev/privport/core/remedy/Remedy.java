package dev.privport.core.remedy;

import dev.privport.core.CommandRunner;
import dev.privport.core.ConfigFile;
import dev.privport.core.Step;
import dev.privport.core.spi.Backend;
import dev.privport.core.spi.RenderedFile;
import dev.privport.core.spi.Rendering;
import java.util.List;
import java.util.function.Function;

/**
 * One way of letting an unprivileged service use a low port, rendered: the commands that apply and
 * remove it (argv lists, run without a shell), the files that make it persistent, and what the
 * operator must know before choosing it.
 *
 * @param backend which remedy: one of {@link Backend}'s constants that are not a firewall
 * @param summary one line saying what it does
 * @param apply steps that take effect now (argv lists, guarded where a guard keeps them safe to
 *     rerun); empty when the host already allows what was asked
 * @param remove steps that put back what {@code apply} found; safe to run twice
 * @param files files to install or check into a config repository
 * @param caveats the trade-offs, in plain words
 */
public record Remedy(
    Backend backend,
    String summary,
    List<Step> apply,
    List<Step> remove,
    List<ConfigFile> files,
    List<String> caveats) {

  public Remedy {
    apply = List.copyOf(apply);
    remove = List.copyOf(remove);
    files = List.copyOf(files);
    caveats = List.copyOf(caveats);
  }

  /** Whether applying changes anything: false when the host already allows what was asked. */
  public boolean needed() {
    return !apply.isEmpty();
  }

  /**
   * This remedy in the SPI's shape, for the renderers of the remedies that take a plan: each file
   * at {@code pathOf} it (its path below an output directory), the caveats as notes.
   */
  Rendering rendering(Function<ConfigFile, String> pathOf) {
    return new Rendering(
        apply,
        remove,
        files.stream().map(f -> new RenderedFile(pathOf.apply(f), f.content())).toList(),
        caveats);
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
