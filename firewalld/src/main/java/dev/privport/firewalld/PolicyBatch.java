package dev.privport.firewalld;

import static dev.privport.core.Checks.check;

import dev.privport.core.Command;
import dev.privport.core.Step;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What a {@link FirewalldPolicies} wants, read from its rendered {@code firewall-cmd} steps: the
 * policies the plan owns (every name its steps delete) and, for applying, the settings each of them
 * must have. {@link Firewalld} writes that into firewalld's permanent configuration in one batch.
 *
 * @param owned every policy name the plan may create or must delete
 * @param wanted the policies the plan needs, by name, each a subset of {@code owned}
 */
record PolicyBatch(Set<String> owned, Map<String, PolicyBatch.Spec> wanted) {

  /**
   * One policy's settings, as firewall-cmd's options set them.
   *
   * @param ingressZones {@code --add-ingress-zone}
   * @param egressZones {@code --add-egress-zone}
   * @param richRules {@code --add-rich-rule}, in order
   * @param target {@code --set-target}, when given
   * @param priority {@code --set-priority}, when given
   */
  record Spec(
      List<String> ingressZones,
      List<String> egressZones,
      List<String> richRules,
      Optional<String> target,
      Optional<Integer> priority) {
    Spec {
      ingressZones = List.copyOf(ingressZones);
      egressZones = List.copyOf(egressZones);
      richRules = List.copyOf(richRules);
    }
  }

  PolicyBatch {
    owned = java.util.Collections.unmodifiableSet(new LinkedHashSet<>(owned));
    wanted = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(wanted));
  }

  /** The policies {@code policies.apply()} creates, and those it owns. */
  static PolicyBatch forApply(FirewalldPolicies policies) {
    return read(policies.apply(), "apply", true);
  }

  /** The policies {@code policies.remove()} deletes; none is wanted. */
  static PolicyBatch forRemove(FirewalldPolicies policies) {
    return read(policies.remove(), "remove", false);
  }

  private static PolicyBatch read(List<Step> steps, String field, boolean keepWanted) {
    Set<String> owned = new LinkedHashSet<>();
    Map<String, Builder> wanted = new LinkedHashMap<>();
    for (Step step : steps) {
      Command c = step.command();
      List<String> a = c.argv();
      check(
          a.get(0).equals("firewall-cmd") || a.get(0).endsWith("/firewall-cmd"),
          field,
          c.toShell(),
          "must be firewall-cmd calls for the firewalld executor");
      if (a.equals(List.of(a.get(0), "--reload"))) {
        continue; // the executor reloads once itself
      }
      check(
          a.size() >= 4 && a.get(1).equals("--permanent"),
          field,
          c.toShell(),
          "must be firewall-cmd --permanent policy calls");
      switch (a.get(2)) {
        case "--delete-policy" -> {
          check(a.size() == 4, field, c.toShell(), "must name one policy");
          owned.add(a.get(3));
        }
        case "--new-policy" -> {
          check(a.size() == 4, field, c.toShell(), "must name one policy");
          owned.add(a.get(3));
          wanted.put(a.get(3), new Builder());
        }
        case "--policy" -> {
          Builder b = wanted.get(a.get(3));
          check(b != null, field, c.toShell(), "must follow the --new-policy of its policy");
          options(b, a.subList(4, a.size()), field, c);
        }
        default ->
            check(
                false,
                field,
                c.toShell(),
                "must be --new-policy, --delete-policy or --policy NAME calls");
      }
    }
    Map<String, Spec> specs = new LinkedHashMap<>();
    if (keepWanted) {
      wanted.forEach((name, b) -> specs.put(name, b.build()));
    }
    return new PolicyBatch(owned, specs);
  }

  /** Reads {@code --option VALUE} and {@code --option=VALUE} words. */
  private static void options(Builder b, List<String> words, String field, Command c) {
    for (int i = 0; i < words.size(); i++) {
      String w = words.get(i);
      String option = w.contains("=") ? w.substring(0, w.indexOf('=')) : w;
      String value;
      if (w.contains("=")) {
        value = w.substring(w.indexOf('=') + 1);
      } else {
        check(i + 1 < words.size(), field, c.toShell(), "must give " + w + " a value");
        value = words.get(++i);
      }
      switch (option) {
        case "--add-ingress-zone" -> b.ingress.add(value);
        case "--add-egress-zone" -> b.egress.add(value);
        case "--add-rich-rule" -> b.rich.add(value);
        case "--set-target" -> b.target = Optional.of(value);
        case "--set-priority" -> {
          check(value.matches("-?[0-9]{1,5}"), field, c.toShell(), "must set a numeric priority");
          b.priority = Optional.of(Integer.parseInt(value));
        }
        default ->
            check(
                false,
                field,
                c.toShell(),
                "must use only --add-ingress-zone, --add-egress-zone, --add-rich-rule, --set-target"
                    + " and --set-priority");
      }
    }
  }

  private static final class Builder {
    final List<String> ingress = new ArrayList<>();
    final List<String> egress = new ArrayList<>();
    final List<String> rich = new ArrayList<>();
    Optional<String> target = Optional.empty();
    Optional<Integer> priority = Optional.empty();

    Spec build() {
      return new Spec(
          ingress, egress, new ArrayList<>(new LinkedHashSet<>(rich)), target, priority);
    }
  }
}
