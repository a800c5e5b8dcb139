package dev.privport.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import dev.privport.core.RedirectPlan;
import dev.privport.core.RedirectRule;
import dev.privport.core.advice.Advice;
import dev.privport.core.advice.Advisor;
import dev.privport.core.advice.ErrorTexts;
import dev.privport.core.advice.HostFacts;
import dev.privport.nft.Nftables;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code privport doctor}: read this host (in this network namespace) and say which remedy to use
 * for each port; {@code --json} writes the same as one object of schema {@value #SCHEMA}.
 */
@Command(
    name = "doctor",
    mixinStandardHelpOptions = true,
    description = {
      "Read this host, in this network namespace (sysctls, nft, iptables and legacy tables,",
      "firewalld on the system bus, libnftables, redir, conntrack), and advise a remedy per port.",
      "--error takes what Docker or Podman printed (rootlesskit, rootlessport, pasta)."
    })
final class DoctorCommand implements Callable<Integer> {
  /** The version of {@code --json}'s output; a change that is not only an addition bumps it. */
  static final String SCHEMA = "privport.doctor/1";

  @Spec CommandSpec spec;
  @Mixin PlanOptions plan;

  @Option(
      names = "--error",
      paramLabel = "TEXT",
      description = "an error such as 'rootlessport cannot expose privileged port 80, ...'")
  String error;

  @Option(
      names = "--json",
      description = "print one JSON object (schema " + SCHEMA + ", see README) instead of text")
  boolean json;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    RedirectPlan p;
    List<ErrorTexts.Finding> findings = List.of();
    List<String> notes = new ArrayList<>();
    if (error != null) {
      findings = ErrorTexts.findings(error);
      if (findings.isEmpty()) {
        throw new IllegalArgumentException(
            "--error: "
                + ErrorTexts.unreadable(error)
                    .orElse(
                        "no 'cannot expose privileged port N' (rootlesskit, rootlessport) or"
                            + " 'Failed to bind port N (Permission denied)' (pasta) in the text"
                            + " given"));
      }
      p = ErrorTexts.planFor(error).orElseThrow();
      if (findings.stream().anyMatch(f -> f.hostAddress().isEmpty())) {
        notes.add(
            "the plan covers IPv4 and IPv6 even where the text names one family: -p without an"
                + " address publishes both, and the runtime reports only the first bind that"
                + " failed (narrow it with --ipv4-only or --ipv6-only)");
      }
      if (findings.stream().anyMatch(f -> f.containerPort().isEmpty())) {
        notes.add(
            "the text does not name the container's port: the -p flags assume it equals the"
                + " privileged port");
      }
    } else {
      p = plan.plan();
    }
    HostFacts facts = HostFacts.ofThisHost();
    Map<String, Advice> advice = new LinkedHashMap<>();
    for (RedirectRule r : p.rules()) {
      advice.computeIfAbsent(
          r.protocol().keyword() + "/" + r.fromPort(),
          k -> Advisor.advise(facts, r.protocol(), r.fromPort()));
    }
    if (json) {
      out.println(
          new GsonBuilder()
              .setPrettyPrinting()
              .disableHtmlEscaping()
              .serializeNulls()
              .create()
              .toJson(toJson(facts, findings, notes, advice.values())));
      return Privport.OK;
    }
    if (error != null) {
      out.println(
          "The error implies: "
              + String.join(", ", p.redirects().stream().map(r -> r.describe()).toList())
              + " (publish the container on the new port: "
              + String.join(" ", findings.stream().map(ErrorTexts.Finding::publishFlag).toList())
              + ")");
      notes.forEach(n -> out.println("Note: " + n));
    }
    out.println(
        "Host: ip_unprivileged_port_start="
            + (facts.unprivilegedPortStart().isPresent()
                ? facts.unprivilegedPortStart().getAsInt()
                : "absent")
            + ", ping_group_range="
            + facts.pingGroupRange().orElse("absent")
            + ", nft="
            + yes(facts.nft())
            + ", iptables="
            + facts.iptables().name().toLowerCase(Locale.ROOT)
            + ", legacy tables="
            + (facts.legacyTables().isEmpty() ? "none" : String.join(" ", facts.legacyTables()))
            + ", firewalld running here="
            + yes(facts.firewalldRunning())
            + ", libnftables="
            + (facts.libnftables()
                ? Nftables.libraryProblem().map(why -> "no (" + why + ")").orElse("yes")
                : "no")
            + ", redir="
            + yes(facts.redir())
            + ", conntrack="
            + yes(facts.conntrack()));
    advice.values().forEach(a -> out.print(a.describe()));
    return Privport.OK;
  }

  private static JsonObject toJson(
      HostFacts facts,
      List<ErrorTexts.Finding> findings,
      List<String> notes,
      Iterable<Advice> advice) {
    JsonObject root = new JsonObject();
    root.addProperty("schema", SCHEMA);
    JsonObject host = new JsonObject();
    if (facts.unprivilegedPortStart().isPresent()) {
      host.addProperty("ip_unprivileged_port_start", facts.unprivilegedPortStart().getAsInt());
    } else {
      host.add("ip_unprivileged_port_start", JsonNull.INSTANCE);
    }
    host.addProperty("ping_group_range", facts.pingGroupRange().orElse(null));
    host.addProperty("nft", facts.nft());
    host.addProperty("iptables", facts.iptables().name().toLowerCase(Locale.ROOT));
    host.add("legacy_tables", strings(facts.legacyTables()));
    host.addProperty("firewalld_running", facts.firewalldRunning());
    host.addProperty("libnftables", facts.libnftables());
    host.addProperty("redir", facts.redir());
    host.addProperty("conntrack", facts.conntrack());
    root.add("host", host);
    JsonArray errors = new JsonArray();
    for (ErrorTexts.Finding f : findings) {
      JsonObject o = new JsonObject();
      o.addProperty("runtime", f.runtime());
      o.addProperty("protocol", f.protocol().keyword());
      o.addProperty("port", f.hostPort());
      if (f.containerPort().isPresent()) {
        o.addProperty("container_port", f.containerPort().getAsInt());
      } else {
        o.add("container_port", JsonNull.INSTANCE);
      }
      o.addProperty("host_address", f.hostAddress().orElse(null));
      o.addProperty("redirect", f.redirect().describe());
      o.addProperty("publish", f.publishFlag());
      errors.add(o);
    }
    root.add("error_findings", errors);
    root.add("notes", strings(notes));
    JsonArray ports = new JsonArray();
    for (Advice a : advice) {
      JsonObject o = new JsonObject();
      o.addProperty("port", a.port());
      o.addProperty("protocol", a.protocol().keyword());
      o.addProperty("recommended", a.recommended().label().toLowerCase(Locale.ROOT));
      o.addProperty("reason", a.recommended().reason());
      JsonArray options = new JsonArray();
      for (Advice.Option opt : a.options()) {
        JsonObject x = new JsonObject();
        x.addProperty("kind", opt.label().toLowerCase(Locale.ROOT));
        x.addProperty("applicable", opt.applicable());
        x.addProperty("reason", opt.reason());
        options.add(x);
      }
      o.add("options", options);
      ports.add(o);
    }
    root.add("ports", ports);
    return root;
  }

  private static JsonArray strings(List<String> values) {
    JsonArray out = new JsonArray();
    values.forEach(out::add);
    return out;
  }

  private static String yes(boolean b) {
    return b ? "yes" : "no";
  }
}
