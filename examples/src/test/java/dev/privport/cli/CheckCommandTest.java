package dev.privport.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code privport check} as a config repository's CI uses it: minimal diffs, obsolete files, plans
 * side by side in one directory, inline redirects, final newlines, the JSON report and refusals.
 */
class CheckCommandTest {
  @TempDir Path dir;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();
  private Path rules;

  @BeforeEach
  void setUp() {
    rules = dir.resolve("rules");
  }

  private int run(String... args) {
    out.getBuffer().setLength(0);
    err.getBuffer().setLength(0);
    return Privport.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
  }

  private Path plan(String name, String text) throws IOException {
    return Files.writeString(dir.resolve(name), text);
  }

  private void render(String... args) {
    List<String> argv = new ArrayList<>(List.of("render", "--backend", "all"));
    argv.addAll(List.of(args));
    argv.addAll(List.of("--out", rules.toString()));
    assertThat(run(argv.toArray(String[]::new))).as(err.toString()).isZero();
  }

  private static long changedLines(String diff) {
    return diff.lines()
        .filter(l -> !l.startsWith("--- ") && !l.startsWith("+++ "))
        .filter(l -> l.startsWith("-") || l.startsWith("+"))
        .count();
  }

  @Test
  void twoOneLineEditsInALongFileGiveFourChangedLinesInTwoHunks() throws IOException {
    // 200 redirects: the restore file has about 400 rules.
    Path p = plan("p.plan", "name big\n1000-1199:2000\n");
    render("--plan", p.toString());
    Path v4 = rules.resolve("iptables/privport-big.rules.v4");
    List<String> lines = new ArrayList<>(Files.readAllLines(v4));
    assertThat(lines.size()).isGreaterThan(400);
    lines.set(20, lines.get(20).replace("REDIRECT", "ACCEPT"));
    lines.set(380, "# an edit by hand");
    Files.write(v4, lines);

    assertThat(run("check", "--plan", p.toString(), rules.toString())).isEqualTo(1);
    assertThat(changedLines(out.toString())).isEqualTo(4);
    assertThat(out.toString().lines().filter(l -> l.startsWith("@@ "))).hasSize(2);
    assertThat(out.toString()).contains("files are stale (1 changed, 0 missing, 0 obsolete)");
  }

  @Test
  void filesThePlanNoLongerRendersAreObsolete() throws IOException {
    Path p = plan("p.plan", "name web\n80:8080\n443:8443\n");
    render("--plan", p.toString());
    assertThat(rules.resolve("iptables/privport-web.rules.v6")).exists();
    assertThat(rules.resolve("systemd/privport-web-redir-443.service")).exists();

    // 443 dropped and IPv4 only now; re-rendered, but nobody deleted the old files.
    plan("p.plan", "name web\n80:8080 ipv4-only\n");
    render("--plan", p.toString());
    assertThat(run("check", "--plan", p.toString(), rules.toString())).isEqualTo(1);
    assertThat(out.toString())
        .contains(
            "obsolete: "
                + rules.resolve("iptables/privport-web.rules.v6")
                + " (the plan no longer renders it)")
        .contains("obsolete: " + rules.resolve("systemd/privport-web-redir-443.service"))
        .contains("(0 changed, 0 missing, 2 obsolete)");
    Files.delete(rules.resolve("iptables/privport-web.rules.v6"));
    Files.delete(rules.resolve("systemd/privport-web-redir-443.service"));
    assertThat(run("check", "--plan", p.toString(), rules.toString())).isZero();
  }

  @Test
  void namedPlansShareADirectoryWithoutSharingAFile() throws IOException {
    Path web = plan("web.plan", "name web\n80:8080\n443:8443\n");
    Path mail = plan("mail.plan", "name mail\n25:2525\n587:5587\n");
    Path plain = plan("plain.plan", "80:8081\n");
    render("--plan", web.toString());
    Map<String, String> afterWeb = tree(rules);
    render("--plan", mail.toString());
    render("--plan", plain.toString());
    Map<String, String> all = tree(rules);
    // Nothing of web's was overwritten, and each plan's check sees only its own files.
    afterWeb.forEach((path, content) -> assertThat(all.get(path)).as(path).isEqualTo(content));
    assertThat(all.keySet())
        .contains(
            "iptables/privport-web.rules.v4",
            "iptables/privport-mail.rules.v4",
            "iptables/privport.rules.v4",
            "firewalld/privport-web.direct.xml",
            "firewalld/privport-mail.direct.xml",
            "firewalld/privport.direct.xml",
            "sysctl.d/90-privport-web-unprivileged-port-start.conf",
            "sysctl.d/90-privport-mail-unprivileged-port-start.conf");
    for (Path p : List.of(web, mail, plain)) {
      assertThat(run("check", "--plan", p.toString(), rules.toString()))
          .as(out.toString())
          .isZero();
    }
  }

  @Test
  void takesInlineRedirectsAndTheOptionsOfRender() throws IOException {
    render(
        "--name",
        "syslog",
        "--ipv4-only",
        "--incoming-only",
        "--interface",
        "eth0",
        "514:5514/udp",
        "162:1162/udp");
    assertThat(
            run(
                "check",
                "--name",
                "syslog",
                "--ipv4-only",
                "--incoming-only",
                "--interface",
                "eth0",
                "514:5514/udp",
                "162:1162/udp",
                rules.toString()))
        .as(out + " " + err)
        .isZero();
    assertThat(
            run(
                "check",
                "--out",
                rules.toString(),
                "--name",
                "syslog",
                "--ipv4-only",
                "--incoming-only",
                "--interface",
                "eth0",
                "514:5514/udp",
                "162:1162/udp"))
        .isZero();
    // Without --ipv4-only the plan renders an IPv6 restore file as well: missing.
    assertThat(
            run(
                "check",
                "--name",
                "syslog",
                "--incoming-only",
                "--interface",
                "eth0",
                "514:5514/udp",
                "162:1162/udp",
                rules.toString()))
        .isEqualTo(1);
    assertThat(out.toString())
        .contains("missing: " + rules.resolve("iptables/privport-syslog.rules.v6"));
  }

  @Test
  void aLostFinalNewlineIsARealDifferenceAndShown() throws IOException {
    render("80:8080");
    Path nft = rules.resolve("nftables/privport.nft");
    String text = Files.readString(nft);
    Files.writeString(nft, text.substring(0, text.length() - 1));
    assertThat(run("check", "80:8080", rules.toString())).isEqualTo(1);
    assertThat(out.toString())
        .contains("-}\n\\ No newline at end of file\n+}\n")
        .contains("(1 changed, 0 missing, 0 obsolete)");
  }

  @Test
  void bytesThatAreNotUtf8NeverCompareEqual() throws IOException {
    render("80:8080");
    Path nft = rules.resolve("nftables/privport.nft");
    byte[] bytes = Files.readAllBytes(nft);
    // A comment's "->" becomes an invalid byte: decoded leniently it would still not match.
    String text = new String(bytes, StandardCharsets.UTF_8);
    int at = text.indexOf("->");
    bytes[at] = (byte) 0xff;
    Files.write(nft, bytes);
    assertThat(run("check", "80:8080", rules.toString())).isEqualTo(1);
    assertThat(out.toString()).contains("(1 changed, 0 missing, 0 obsolete)");
  }

  @Test
  void jsonReportHasTheDocumentedSchema() throws IOException {
    Path p = plan("p.plan", "name web\n80:8080\n443:8443\n");
    render("--plan", p.toString());
    assertThat(run("check", "--json", "--plan", p.toString(), rules.toString())).isZero();
    JsonObject fresh = JsonParser.parseString(out.toString()).getAsJsonObject();
    assertThat(fresh.get("schema").getAsString()).isEqualTo("privport.check/1");
    assertThat(fresh.get("plan").getAsString()).isEqualTo("privport-web");
    assertThat(fresh.get("directory").getAsString()).isEqualTo(rules.toString());
    assertThat(fresh.get("backend").getAsString()).isEqualTo("all");
    assertThat(fresh.get("fresh").getAsBoolean()).isTrue();
    assertThat(fresh.getAsJsonObject("counts").get("fresh").getAsInt()).isEqualTo(9);
    assertThat(fresh.getAsJsonArray("files")).hasSize(9);
    assertThat(fresh.getAsJsonArray("skipped")).isEmpty();
    assertThat(err.toString()).isEmpty();

    plan("p.plan", "name web\n80:8081\n");
    Files.delete(rules.resolve("nftables/privport-web.nft"));
    assertThat(run("check", "--json", "--plan", p.toString(), rules.toString())).isEqualTo(1);
    JsonObject stale = JsonParser.parseString(out.toString()).getAsJsonObject();
    assertThat(stale.get("fresh").getAsBoolean()).isFalse();
    Map<String, JsonObject> files = new TreeMap<>();
    for (JsonElement e : stale.getAsJsonArray("files")) {
      files.put(e.getAsJsonObject().get("path").getAsString(), e.getAsJsonObject());
    }
    assertThat(files.get("nftables/privport-web.nft").get("status").getAsString())
        .isEqualTo("missing");
    JsonObject v4 = files.get("iptables/privport-web.rules.v4");
    assertThat(v4.get("status").getAsString()).isEqualTo("changed");
    assertThat(v4.get("file").getAsString())
        .isEqualTo(rules.resolve("iptables/privport-web.rules.v4").toString());
    assertThat(v4.get("diff").getAsString())
        .startsWith("--- " + rules.resolve("iptables/privport-web.rules.v4") + " (checked in)\n")
        .contains(
            "+-A PRIVPORT-WEB-IN -p tcp -m tcp --dport 80 -m comment --comment \"tcp 80 -> 8081\"");
    assertThat(files.get("systemd/privport-web-redir-443.service").get("status").getAsString())
        .isEqualTo("obsolete");
    assertThat(files.get("systemd/privport-web-redir-443.service").has("diff")).isFalse();
    JsonObject counts = stale.getAsJsonObject("counts");
    assertThat(counts.get("missing").getAsInt()).isEqualTo(1);
    assertThat(counts.get("obsolete").getAsInt()).isEqualTo(1);
    assertThat(
            counts.get("fresh").getAsInt()
                + counts.get("changed").getAsInt()
                + counts.get("missing").getAsInt()
                + counts.get("obsolete").getAsInt())
        .isEqualTo(stale.getAsJsonArray("files").size());

    // What --backend all leaves out is in the report, not on stderr.
    render("514:5514/udp");
    assertThat(run("check", "--json", "514:5514/udp", rules.toString())).isZero();
    JsonArray skipped =
        JsonParser.parseString(out.toString()).getAsJsonObject().getAsJsonArray("skipped");
    assertThat(skipped.get(0).getAsString()).startsWith("redir:");
    assertThat(err.toString()).isEmpty();
  }

  @Test
  void badInputIsRefusedWithExitCode2BeforeAnythingIsRead() throws IOException {
    render("80:8080");
    assertThat(run("check", "80:8080")).isEqualTo(2);
    assertThat(err.toString()).contains("DIR missing");
    assertThat(out.toString()).isEmpty();
    assertThat(run("check", "80:8080", dir.resolve("nowhere").toString())).isEqualTo(2);
    assertThat(err.toString()).contains("DIR must be a directory").contains("nowhere");
    assertThat(run("check", "--json", "80:80", rules.toString())).isEqualTo(2);
    assertThat(err.toString().lines()).singleElement().asString().contains("toPort");
    assertThat(out.toString()).isEmpty();
    assertThat(run("check", "--plan", "x.plan", "80:8080", rules.toString())).isEqualTo(2);
    assertThat(err.toString()).contains("--plan cannot be combined");
  }

  @Test
  void aHugeForeignFileIsOneHunkReplacingIt() throws IOException {
    render("80:8080");
    Path nft = rules.resolve("nftables/privport.nft");
    long rendered = Files.readAllLines(nft).size();
    StringBuilder garbage = new StringBuilder();
    for (int i = 0; i < 200_000; i++) {
      garbage.append("garbage ").append(i).append('\n');
    }
    Files.writeString(nft, garbage);
    assertThat(run("check", "--backend", "nft", "80:8080", rules.toString())).isEqualTo(1);
    assertThat(out.toString()).contains("@@ -1,200000 +1," + rendered + " @@\n");
    assertThat(out.toString().lines().filter(l -> l.startsWith("-garbage "))).hasSize(200_000);
    assertThat(changedLines(out.toString())).isEqualTo(200_000 + rendered);
  }

  @Test
  void aDirectoryInPlaceOfAFileIsBadInputNamingTheFile() throws IOException {
    // Like a plan file, a checked-in file must be a regular file: a directory, device or FIFO in
    // its place is refused as bad input (exit 2) before anything is read.
    render("80:8080");
    Path nft = rules.resolve("nftables/privport.nft");
    Files.delete(nft);
    Files.createDirectory(nft);
    assertThat(run("check", "--backend", "nft", "80:8080", rules.toString())).isEqualTo(2);
    assertThat(err.toString().lines()).singleElement().asString().contains(nft.toString());
  }

  private static Map<String, String> tree(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        out.put(root.relativize(f).toString(), Files.readString(f));
      }
    }
    return out;
  }
}
