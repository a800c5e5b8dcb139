package dev.privport.robustness;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.cli.Privport;
import dev.privport.core.ConntrackCleanup;
import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import dev.privport.core.remedy.Remedies;
import dev.privport.firewalld.FirewalldRenderer;
import dev.privport.firewalld.HostAddresses;
import dev.privport.iptables.IptablesRenderer;
import dev.privport.nft.NftRenderer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Rendered text does not depend on the JVM's default locale: under Arabic, Persian, Thai (with Thai
 * digits), Hindi, German and Turkish defaults, every backend, remedy and the command line's render
 * output are byte-identical to the {@link Locale#ROOT} rendering, and ASCII only ({@code sysctl -p}
 * refuses {@code ip_unprivileged_port_start = ٨٠}). And no main code formats with the default
 * locale, so a text added later cannot regress unnoticed.
 */
class LocaleIndependenceTest {
  private static final RedirectPlan PLAN =
      RedirectPlan.builder()
          .name("web2")
          .tcp(80, 8080)
          .tcp(443, 8443)
          .udpRange(10160, 10169, 20160) // a group of 10: nft renders a map
          .add(Redirect.udp(514, 5514).ipv4Only().incomingOnly().onInterface("eth0"))
          .add(Redirect.tcp(8443, 9443).ipv6Only().localOnly())
          .add(Redirect.tcp(25, 2525).incomingOnly().onInterface("eth+"))
          .build();

  private static final RedirectPlan LOCAL_ONLY =
      RedirectPlan.builder().tcp(80, 8080).udp(162, 1162).build();

  /** Everything privport renders for the plans, as one text per artifact. */
  private static Map<String, String> renderEverything(Path out) throws IOException {
    Map<String, String> all = new TreeMap<>();
    HostAddresses hosts = HostAddresses.of("192.0.2.1", "2001:db8::1");
    for (RedirectPlan plan : List.of(PLAN, LOCAL_ONLY)) {
      String p = plan.qualifiedName() + " ";
      all.put(p + "nft", new NftRenderer().render(plan));
      all.put(p + "nft removal", new NftRenderer().renderRemoval(plan));
      all.put(p + "iptables text", new IptablesRenderer().render(plan));
      all.put(
          p + "iptables steps and restore files",
          new IptablesRenderer().renderAll(plan).toString());
      all.put(p + "firewalld text", new FirewalldRenderer().render(plan));
      all.put(p + "firewalld direct", new FirewalldRenderer().renderDirect(plan).toString());
      all.put(p + "conntrack", ConntrackCleanup.forPlan(plan).toShell());
      all.put(p + "conntrack argv", ConntrackCleanup.forPlan(plan).toString());
      all.put(p + "sysctl", Remedies.unprivilegedPortStart(plan, 1024).toString());
    }
    all.put(
        "firewalld policies", new FirewalldRenderer().renderPolicies(LOCAL_ONLY, hosts).toString());
    all.put(
        "redir",
        Remedies.redir(RedirectPlan.builder().tcp(80, 8080).tcp(443, 8443).build()).toString());
    all.put("sysctl 1023", Remedies.unprivilegedPortStart(1023, 1024).toString());
    all.put("setcap", Remedies.capability("/usr/bin/true").toString());
    all.put("ping range", Remedies.pingGroupRange(100, 2_000_000, "1 0").toString());
    for (String backend : List.of("nft", "iptables", "firewalld", "redir", "sysctl", "all")) {
      all.put(
          "cli render " + backend,
          cli(
              "render",
              "--backend",
              backend,
              "--host-address",
              "192.0.2.1",
              "80:8080",
              "8000-8009:9000"));
    }
    cli("render", "--backend", "all", "--out", out.toString(), "--name", "x", "80:8080", "1-9:100");
    try (Stream<Path> files = Files.walk(out)) {
      for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
        all.put("cli --out " + out.relativize(f), Files.readString(f));
      }
    }
    all.put("cli error", cli("render", "--interface", "\u0660\u0661+", "80:8080"));
    return all;
  }

  private static String cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Privport.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return "exit " + code + "\n" + out + err;
  }

  @ParameterizedTest
  @ValueSource(strings = {"ar-EG", "fa-IR", "th-TH-u-nu-thai", "hi-IN", "de-DE", "tr-TR"})
  void everythingRenderedIsTheSameUnderEveryDefaultLocale(String tag, @TempDir Path dir)
      throws IOException {
    Locale saved = Locale.getDefault();
    Map<String, String> root;
    Map<String, String> local;
    try {
      Locale.setDefault(Locale.ROOT);
      root = renderEverything(Files.createDirectory(dir.resolve("root")));
      Locale.setDefault(Locale.forLanguageTag(tag));
      local = renderEverything(Files.createDirectory(dir.resolve("local")));
    } finally {
      Locale.setDefault(saved);
    }
    assertThat(local.keySet()).isEqualTo(root.keySet());
    for (String what : root.keySet()) {
      String text = local.get(what).replace(dir.resolve("local").toString(), "OUT");
      assertThat(text)
          .as(what + " under " + tag)
          .isEqualTo(root.get(what).replace(dir.resolve("root").toString(), "OUT"));
      assertThat(text.chars().filter(c -> c > 0x7e || (c < 0x20 && c != '\n' && c != '\t')))
          .as(what + " is printable ASCII under " + tag)
          .isEmpty();
    }
    assertThat(root.get("privport-web2 sysctl")).contains("ip_unprivileged_port_start = 25");
  }

  /**
   * Calls that format with the default locale: {@code String.format}, {@code printf} and {@code
   * format} without a {@code Locale} first, {@code formatted(...)} (always the default locale),
   * {@code toLowerCase()}/{@code toUpperCase()} without one, and the locale-sensitive formatters
   * made without one.
   */
  private static final Pattern DEFAULT_LOCALE =
      Pattern.compile(
          "\\b(?:String\\.format|printf|\\.format)\\(\\s*+(?!Locale\\.)"
              + "|\\.formatted\\("
              + "|\\.to(?:Lower|Upper)Case\\(\\s*\\)"
              + "|\\b(?:NumberFormat\\.get\\w*Instance|new DecimalFormat|new MessageFormat"
              + "|MessageFormat\\.format|DecimalFormatSymbols\\.getInstance)\\(\\s*+(?!Locale\\.)");

  @Test
  void noMainCodeFormatsWithTheDefaultLocale() throws IOException {
    Path root = Path.of("").toAbsolutePath().getParent();
    List<String> offences = new ArrayList<>();
    int files = 0;
    try (Stream<Path> all = Files.walk(root)) {
      for (Path f :
          all.filter(p -> p.toString().endsWith(".java"))
              .filter(p -> root.relativize(p).toString().matches("[^/]+/src/main/java/.*"))
              .toList()) {
        files++;
        String source = Files.readString(f);
        Matcher m = DEFAULT_LOCALE.matcher(source);
        while (m.find()) {
          int line =
              (int) source.substring(0, m.start()).chars().filter(c -> c == '\n').count() + 1;
          offences.add(root.relativize(f) + ":" + line + ": " + m.group().strip());
        }
      }
    }
    assertThat(files).as("main sources found under " + root).isGreaterThan(30);
    assertThat(offences).as("format with Locale.ROOT").isEmpty();
  }

  @Test
  void theSourceCheckCatchesEachForm() {
    for (String bad :
        List.of(
            "String.format(\"%d\", 1)",
            "out.printf(\"%d%n\", 1)",
            "\"%d\".formatted(1)",
            "s.toLowerCase()",
            "s.toUpperCase( )",
            "NumberFormat.getInstance()",
            "new DecimalFormat(\"0\")",
            "writer.format(\"%d\", 1)")) {
      assertThat(DEFAULT_LOCALE.matcher(bad).find()).as(bad).isTrue();
    }
    for (String good :
        List.of(
            "String.format(Locale.ROOT, \"%d\", 1)",
            "String.format(\n    Locale.ROOT, \"%d\", 1)",
            "out.printf(Locale.ROOT, \"%d%n\", 1)",
            "s.toLowerCase(Locale.ROOT)",
            "NumberFormat.getInstance(Locale.ROOT)",
            "catch (NumberFormatException e)")) {
      assertThat(DEFAULT_LOCALE.matcher(good).find()).as(good).isFalse();
    }
  }
}
