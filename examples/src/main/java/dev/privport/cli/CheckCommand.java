package dev.privport.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.privport.core.Checks;
import dev.privport.core.PlanFile;
import dev.privport.core.RedirectPlan;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code privport check}: are the files under a directory exactly what {@code render --out} writes
 * for the plan? For a config repository's CI. Every rendered file must be there with the same
 * bytes, and no file the plan owns (see {@link Artifacts#owns}) may be left over from an earlier
 * plan. Files of other plans and foreign files are not looked at.
 */
@Command(
    name = "check",
    mixinStandardHelpOptions = true,
    description = {
      "Check that the files under DIR are exactly what 'render --out DIR' writes",
      "for the same plan and options. Exits 0 when they are; 1 with a diff per",
      "changed file, and the missing and obsolete files (files of this plan that",
      "it no longer renders), when any is stale. --json writes the report as",
      "JSON (schema privport.check/1, see README)."
    })
final class CheckCommand implements Callable<Integer> {
  /** The JSON report's schema: its name changes with any incompatible change of the report. */
  static final String SCHEMA = "privport.check/1";

  private static final Pattern LOOKS_LIKE_REDIRECT = Pattern.compile("[0-9][0-9-]*:.*");

  @Spec CommandSpec spec;
  @Mixin PlanOptions plan;

  @Option(
      names = "--backend",
      paramLabel = "BACKEND",
      defaultValue = "all",
      converter = BackendSelection.Converter.class,
      completionCandidates = BackendSelection.Names.class,
      description = "nft, iptables, firewalld, redir, sysctl or all (default: ${DEFAULT-VALUE})")
  BackendSelection backend;

  @Option(names = "--host-address", paramLabel = "ADDR", description = "as for render")
  List<String> hostAddresses = new ArrayList<>();

  @Option(
      names = "--out",
      paramLabel = "DIR",
      description = "the directory the files were rendered into (or give DIR last)")
  Path out;

  @Option(names = "--json", description = "write the report as JSON (schema " + SCHEMA + ")")
  boolean json;

  /** One file's verdict. {@code diff} is the unified diff of a changed text file, else empty. */
  record FileResult(String path, Path file, Status status, String diff) {}

  /** What became of one file. */
  enum Status {
    /** rendered and identical */
    FRESH,
    /** rendered, and the file differs */
    CHANGED,
    /** rendered, and there is no file */
    MISSING,
    /** a file of this plan that the plan no longer renders */
    OBSOLETE;

    String json() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  @Override
  public Integer call() throws IOException {
    Path dir = directory();
    RedirectPlan p = plan.plan();
    var hosts = RenderCommand.hosts(hostAddresses);
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException(
          "DIR must be a directory the files were rendered into, got "
              + Checks.show(dir.toString()));
    }
    List<String> skipped = new ArrayList<>();
    List<Artifact> artifacts = Artifacts.render(p, backend, hosts, skipped);
    List<FileResult> results = compare(p, dir, artifacts);
    long stale = results.stream().filter(r -> r.status() != Status.FRESH).count();
    PrintWriter stdout = spec.commandLine().getOut();
    if (json) {
      stdout.println(json(p, dir, results, skipped));
    } else {
      text(stdout, p, results, stale);
      skipped.forEach(s -> spec.commandLine().getErr().println("privport: skipped " + s));
    }
    return stale == 0 ? Privport.OK : Privport.STALE;
  }

  /** DIR from {@code --out}, or the last positional argument (the ones before are redirects). */
  private Path directory() {
    if (out != null) {
      return out;
    }
    List<String> args = plan.redirects;
    if (args.isEmpty() || LOOKS_LIKE_REDIRECT.matcher(args.get(args.size() - 1)).matches()) {
      throw new IllegalArgumentException(
          "DIR missing: name the directory the files were rendered into last, or use --out DIR");
    }
    return Path.of(args.remove(args.size() - 1));
  }

  private List<FileResult> compare(RedirectPlan p, Path dir, List<Artifact> artifacts)
      throws IOException {
    List<FileResult> out = new ArrayList<>();
    Set<String> rendered = new HashSet<>();
    for (Artifact a : artifacts) {
      rendered.add(a.path());
      Path file = dir.resolve(a.path());
      if (!Files.exists(file)) {
        out.add(new FileResult(a.path(), file, Status.MISSING, ""));
        continue;
      }
      byte[] actual = read(file);
      // Bytes, not decoded text: a file with bytes that are not UTF-8 must never compare equal.
      if (Arrays.equals(actual, a.content().getBytes(StandardCharsets.UTF_8))) {
        out.add(new FileResult(a.path(), file, Status.FRESH, ""));
      } else {
        String diff =
            Diff.unified(
                file + " (checked in)",
                file + " (rendered from the plan)",
                new String(actual, StandardCharsets.UTF_8),
                a.content());
        out.add(new FileResult(a.path(), file, Status.CHANGED, diff));
      }
    }
    Set<String> obsolete = new TreeSet<>();
    for (String sub : Artifacts.directories(backend)) {
      Path d = dir.resolve(sub);
      if (!Files.isDirectory(d)) {
        continue;
      }
      try (Stream<Path> files = Files.list(d)) {
        files
            .map(f -> sub + "/" + f.getFileName())
            .filter(rel -> !rendered.contains(rel) && Artifacts.owns(p, backend, rel))
            .forEach(obsolete::add);
      }
    }
    obsolete.forEach(rel -> out.add(new FileResult(rel, dir.resolve(rel), Status.OBSOLETE, "")));
    return out;
  }

  /** Every read of a checked-in file goes through here. */
  private static byte[] read(Path file) {
    // Bounded and regular files only: a checked-in file replaced by a symlink to /dev/zero or a
    // FIFO must neither exhaust memory nor block CI.
    try {
      return PlanFile.readBytes(file, PlanFile.MAX_BYTES, "checked-in file");
    } catch (IllegalArgumentException e) {
      // A file that exists but cannot be read (permissions) is an operation failure (exit 3);
      // a device, FIFO, directory or oversized file stays bad input (exit 2).
      if (e.getCause() instanceof IOException io) {
        throw new UncheckedIOException(e.getMessage(), io);
      }
      throw e;
    }
  }

  private static void text(
      PrintWriter stdout, RedirectPlan p, List<FileResult> results, long stale) {
    for (FileResult r : results) {
      switch (r.status()) {
        case FRESH -> {}
        case CHANGED -> stdout.print(r.diff());
        case MISSING -> stdout.println("missing: " + r.file());
        case OBSOLETE ->
            stdout.println("obsolete: " + r.file() + " (the plan no longer renders it)");
      }
    }
    if (stale == 0) {
      stdout.println("fresh: " + results.size() + " files match the plan " + p.qualifiedName());
      return;
    }
    stdout.println(
        String.format(
            Locale.ROOT,
            "%d of %d files are stale (%d changed, %d missing, %d obsolete): run privport render"
                + " with the same arguments and --out DIR, and delete the obsolete files",
            stale,
            results.size(),
            count(results, Status.CHANGED),
            count(results, Status.MISSING),
            count(results, Status.OBSOLETE)));
  }

  private String json(RedirectPlan p, Path dir, List<FileResult> results, List<String> skipped) {
    JsonObject root = new JsonObject();
    root.addProperty("schema", SCHEMA);
    root.addProperty("plan", p.qualifiedName());
    root.addProperty("directory", dir.toString());
    root.addProperty("backend", backend.cliName());
    root.addProperty("fresh", results.stream().allMatch(r -> r.status() == Status.FRESH));
    JsonObject counts = new JsonObject();
    for (Status s : Status.values()) {
      counts.addProperty(s.json(), count(results, s));
    }
    root.add("counts", counts);
    JsonArray files = new JsonArray();
    for (FileResult r : results) {
      JsonObject f = new JsonObject();
      f.addProperty("path", r.path());
      f.addProperty("file", r.file().toString());
      f.addProperty("status", r.status().json());
      if (r.status() == Status.CHANGED) {
        f.addProperty("diff", r.diff());
      }
      files.add(f);
    }
    root.add("files", files);
    JsonArray notes = new JsonArray();
    skipped.forEach(notes::add);
    root.add("skipped", notes);
    return new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(root);
  }

  private static long count(List<FileResult> results, Status status) {
    return results.stream().filter(r -> r.status() == status).count();
  }
}
