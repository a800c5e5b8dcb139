package dev.privport.core.spi;

import dev.privport.core.Step;
import java.util.List;

/**
 * What a backend or remedy renders for one plan, in one shape for all of them: the steps that apply
 * it, the steps that remove it, the files that make it persistent, and what the operator must know.
 *
 * @param apply steps that take effect now (argv lists, run without a shell), guarded where a guard
 *     keeps them safe to rerun
 * @param remove steps that take the plan away again and nothing else; safe to run twice
 * @param files files to install or check into a config repository, at their paths below an output
 *     directory (the layout of {@code privport render --out}, see {@link RenderedFile})
 * @param notes caveats and trade-offs, in plain words, one sentence each
 */
public record Rendering(
    List<Step> apply, List<Step> remove, List<RenderedFile> files, List<String> notes) {
  public Rendering {
    apply = List.copyOf(apply);
    remove = List.copyOf(remove);
    files = List.copyOf(files);
    notes = List.copyOf(notes);
  }
}
