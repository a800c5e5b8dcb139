package dev.privport.cli;

import com.google.gson.stream.JsonWriter;
import dev.privport.core.Family;
import dev.privport.core.RedirectPlan;
import dev.privport.core.RedirectRule;
import dev.privport.core.Scope;
import dev.privport.core.spi.Backend;
import dev.privport.nft.Difference;
import dev.privport.nft.LiveRule;
import dev.privport.nft.PlanStatus;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code privport status}: each redirect, whether it is live, its counters, and every difference
 * between the live table and what the plan renders; {@code --json} prints the same as one object of
 * the schema {@value #SCHEMA} (see README).
 */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = {
      "Show each redirect, whether it is live, and its counters, and every difference",
      "between the live state and what the plan renders (needs root): the nft table, the",
      "iptables chains and jumps, or firewalld's runtime and permanent direct rules",
      "(--backend; by default what 'privport doctor' recommends here).",
      "Exits 1 when the table is absent or differs from the plan in any way."
    })
final class StatusCommand implements Callable<Integer> {
  /** The version of the {@code --json} output; a new version for any incompatible change. */
  static final String SCHEMA = "privport.status/1";

  @Spec CommandSpec spec;
  @Mixin PlanOptions plan;
  @Mixin RouteOptions route;
  @Mixin SocketOptions socket;

  @Option(names = "--all", description = "every user's delegated plan (root)")
  boolean all;

  @Option(
      names = "--json",
      description = "print one JSON object (schema " + SCHEMA + ", see README) instead of text")
  boolean json;

  @Override
  public Integer call() {
    return status(spec.commandLine().getOut(), spec.commandLine().getErr());
  }

  /** Reports, printing to {@code out} and {@code err}; returns the exit code. */
  int status(PrintWriter out, PrintWriter err) {
    if (socket.client().isPresent() || all) {
      route.requireNftFor("the daemon (--socket, PRIVPORT_SOCKET, --all)");
    }
    Optional<Integer> delegated = socket.status(all, out, err);
    if (delegated.isPresent()) return delegated.get();
    RedirectPlan p = plan.plan();
    Backend backend = route.choose(err);
    if (json && backend != Backend.NFT) {
      throw new IllegalArgumentException(
          "--json: schema " + SCHEMA + " describes an nft table; use --backend nft, or text");
    }
    String report;
    boolean inSync;
    try (Route r = RouteOptions.open(backend)) {
      r.recover(p).ifPresent(m -> err.println("privport: " + m));
      if (r instanceof NftRoute nft) {
        PlanStatus status = nft.planStatus(p);
        report = json ? json(p, status) : text(p, status);
        inSync = status.inSync();
      } else {
        Route.Inspection status = r.inspect(p);
        report = text(p, r.target(p), status);
        inSync = status.inSync();
      }
    }
    // One write: a status of 100 000 redirects is as many lines, and the CLI's writer flushes each.
    out.print(report);
    out.flush();
    if (out.checkError()) {
      throw new UncheckedIOException(new IOException("cannot write the status to standard output"));
    }
    return inSync ? Privport.OK : Privport.STALE;
  }

  /** The report of a route other than nft: the same columns, its own difference lines. */
  private static String text(RedirectPlan p, String target, Route.Inspection status) {
    StringBuilder out = new StringBuilder(128 + p.rules().size() * 80);
    out.append(target).append(": ").append(status.present() ? "present" : "absent").append('\n');
    row(out, "SCOPE", "IFACE", "REDIRECT", "LIVE", "PACKETS", "BYTES");
    for (RedirectRule r : p.rules()) {
      Route.Counters live = status.live().get(r);
      redirectRow(
          out,
          r,
          live != null,
          live == null || live.packets() < 0 ? "-" : Long.toString(live.packets()),
          live == null || live.bytes() < 0 ? "-" : Long.toString(live.bytes()));
    }
    verdict(out, status.inSync(), status.present(), status.differences(), "absent");
    return out.toString();
  }

  private static String text(RedirectPlan p, PlanStatus status) {
    StringBuilder out = new StringBuilder(128 + p.rules().size() * 80);
    out.append("table inet ")
        .append(p.qualifiedName())
        .append(": ")
        .append(status.present() ? "present" : "absent")
        .append('\n');
    row(out, "SCOPE", "IFACE", "REDIRECT", "LIVE", "PACKETS", "BYTES");
    for (RedirectRule r : p.rules()) {
      Optional<LiveRule> live = status.find(r);
      redirectRow(
          out,
          r,
          live.isPresent(),
          live.map(l -> Long.toString(l.packets())).orElse("-"),
          live.map(l -> Long.toString(l.bytes())).orElse("-"));
    }
    verdict(
        out,
        status.inSync(),
        status.present(),
        status.present()
            ? status.differences().stream().map(Difference::line).toList()
            : List.<String>of(),
        "the table is absent");
    return out.toString();
  }

  /** The drift lines and the verdict that end every report; {@code absent} says what is missing. */
  private static void verdict(
      StringBuilder out, boolean inSync, boolean present, List<String> drift, String absent) {
    for (String d : drift) {
      out.append("drift: ").append(d).append('\n');
    }
    int n = drift.size();
    out.append(
        inSync
            ? "in sync with the plan\n"
            : present
                ? "NOT in sync with the plan: " + n + (n == 1 ? " difference\n" : " differences\n")
                : "NOT in sync with the plan: " + absent + "\n");
  }

  /** One redirect's row, the same in every route's report: what it is, then whether it is live. */
  private static void redirectRow(
      StringBuilder out, RedirectRule r, boolean live, String packets, String bytes) {
    row(
        out,
        r.scope() == Scope.INCOMING ? "incoming" : "local",
        r.inputInterface().orElse("*"),
        r.describe() + (r.singleFamily() ? " " + r.family().keyword() : ""),
        live ? "yes" : "no",
        packets,
        bytes);
  }

  private static final int[] WIDTHS = {-9, -10, -22, -6, 10, 12};

  /** The columns of {@code %-9s %-10s %-22s %-6s %10s %12s}, without a Formatter per line. */
  private static void row(StringBuilder out, String... cells) {
    for (int i = 0; i < cells.length; i++) {
      if (i > 0) {
        out.append(' ');
      }
      int pad = Math.abs(WIDTHS[i]) - cells[i].length();
      if (WIDTHS[i] > 0) {
        spaces(out, pad);
      }
      out.append(cells[i]);
      if (WIDTHS[i] < 0 && i < cells.length - 1) {
        spaces(out, pad);
      }
    }
    out.append('\n');
  }

  private static void spaces(StringBuilder out, int n) {
    for (int i = 0; i < n; i++) {
      out.append(' ');
    }
  }

  private static String json(RedirectPlan p, PlanStatus status) {
    StringWriter text = new StringWriter(256 + p.rules().size() * 200);
    try (JsonWriter w = new JsonWriter(text)) {
      w.setIndent("  ");
      w.beginObject();
      w.name("schema").value(SCHEMA);
      w.name("table").beginObject();
      w.name("family").value("inet");
      w.name("name").value(p.qualifiedName());
      w.name("present").value(status.present());
      w.endObject();
      w.name("inSync").value(status.inSync());
      w.name("redirects").beginArray();
      for (RedirectRule r : p.rules()) {
        w.beginObject();
        redirect(w, r);
        Optional<LiveRule> live = status.find(r);
        w.name("live").value(live.isPresent());
        if (live.isPresent()) {
          w.name("chain").value(live.get().chain());
          w.name("handle").value(live.get().handle());
          w.name("packets").value(live.get().packets());
          w.name("bytes").value(live.get().bytes());
        }
        w.endObject();
      }
      w.endArray();
      w.name("differences").beginArray();
      for (Difference d : status.differences()) {
        w.beginObject();
        w.name("object").value(d.object());
        w.name("text").value(d.text());
        w.name("line").value(d.line());
        w.endObject();
      }
      w.endArray();
      w.name("extra").beginArray();
      for (RedirectRule r : status.extra()) {
        w.beginObject();
        redirect(w, r);
        w.endObject();
      }
      w.endArray();
      w.name("unrecognised").beginArray();
      for (LiveRule l : status.unrecognised()) {
        w.beginObject();
        w.name("chain").value(l.chain());
        w.name("handle").value(l.handle());
        w.name("packets").value(l.packets());
        w.name("bytes").value(l.bytes());
        w.endObject();
      }
      w.endArray();
      w.endObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return text.append('\n').toString();
  }

  private static void redirect(JsonWriter w, RedirectRule r) throws IOException {
    w.name("scope").value(r.scope().name().toLowerCase(Locale.ROOT));
    w.name("interface");
    if (r.inputInterface().isPresent()) {
      w.value(r.inputInterface().get());
    } else {
      w.nullValue();
    }
    w.name("protocol").value(r.protocol().keyword());
    w.name("families").beginArray();
    for (Family f : r.families()) {
      w.value(f.keyword());
    }
    w.endArray();
    w.name("from").value(r.fromPort());
    w.name("to").value(r.toPort());
  }
}
