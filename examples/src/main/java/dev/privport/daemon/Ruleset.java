package dev.privport.daemon;

import dev.privport.core.RedirectPlan;
import dev.privport.nft.LibnftablesExecutor;
import dev.privport.nft.PlanStatus;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The part of the kernel's ruleset the daemon acts on: privport's own tables in family inet. */
public interface Ruleset {
  /** Replaces the plan's table with the plan, atomically. */
  void apply(RedirectPlan plan);

  /** Deletes the plan's table; succeeds when it is absent. */
  void remove(RedirectPlan plan);

  /** Reads the plan's table. */
  PlanStatus inspect(RedirectPlan plan);

  /** The names of the live {@code inet} tables whose names begin with {@code privport}. */
  List<String> privportTables();

  /** The ruleset of the namespace {@code nft} was opened in. */
  static Ruleset of(LibnftablesExecutor nft) {
    Pattern table = Pattern.compile("(?m)^table inet (privport[^\\s{]*)");
    return new Ruleset() {
      @Override
      public void apply(RedirectPlan plan) {
        nft.apply(plan);
      }

      @Override
      public void remove(RedirectPlan plan) {
        nft.remove(plan);
      }

      @Override
      public PlanStatus inspect(RedirectPlan plan) {
        return nft.inspect(plan);
      }

      @Override
      public List<String> privportTables() {
        Matcher m = table.matcher(nft.run("list tables inet"));
        List<String> out = new java.util.ArrayList<>();
        while (m.find()) {
          out.add(m.group(1));
        }
        return out;
      }
    };
  }
}
