package dev.privport.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;
import picocli.CommandLine;

/**
 * {@link DirectRun} against picocli over generated command lines: whenever it reads a command line,
 * picocli reads it too and sets every field of the command and its mixins to the same value; and
 * {@code render} prints the same bytes, the same errors and the same exit code either way. Where
 * picocli refuses a command line, DirectRun never reads it, so every usage error stays picocli's.
 */
class DirectRunProperties {
  /** Words a user might type, and some no user should, each a whole argument. */
  private static final List<String> WORDS =
      List.of(
          "80:8080",
          "443:8443/tcp",
          "514:5514/udp",
          "1000-1002:2000",
          "80:99999",
          "0:8080",
          "80:8080/sctp",
          "8o:8080",
          "80",
          "--backend",
          "--backend=nft",
          "--backend=all",
          "--backend=",
          "--backend=NFT",
          "nft",
          "iptables",
          "firewalld",
          "redir",
          "sysctl",
          "all",
          "bogus",
          "--name",
          "--name=web",
          "--name=",
          "--name=-x",
          "web",
          "we b",
          "-web",
          "--ipv4-only",
          "--ipv6-only",
          "--incoming-only",
          "--local-only",
          "--ipv4-only=true",
          "--keep-flows",
          "--json",
          "--all",
          "--try",
          "5",
          "--interface",
          "eth0",
          "--out",
          "/tmp/x",
          "--host-address",
          "192.0.2.1",
          "--plan",
          "--socket",
          "-h",
          "--help",
          "-V",
          "--",
          "-",
          "@x",
          "");

  /** The words {@link DirectRun} reads, more often, so that many lines are read directly. */
  private static final List<String> READ =
      List.of(
          "80:8080",
          "514:5514/udp",
          "80:99999",
          "--backend",
          "--backend=nft",
          "nft",
          "all",
          "--name",
          "--name=web",
          "web",
          "--ipv4-only",
          "--ipv6-only",
          "--incoming-only",
          "--local-only",
          "--keep-flows",
          "--json",
          "--all");

  @Provide
  Arbitrary<String[]> commandLines() {
    Arbitrary<String> command =
        Arbitraries.frequencyOf(
            Tuple.of(8, Arbitraries.of("render", "apply", "remove", "status")),
            Tuple.of(1, Arbitraries.of("check", "doctor", "rend", "", "-h")));
    Arbitrary<String> word =
        Arbitraries.frequencyOf(
            Tuple.of(6, Arbitraries.of(READ)), Tuple.of(1, Arbitraries.of(WORDS)));
    Arbitrary<List<String>> rest = word.list().ofMaxSize(6);
    return Combinators.combine(command, rest)
        .as(
            (c, r) -> {
              List<String> all = new ArrayList<>();
              all.add(c);
              all.addAll(r);
              return all.toArray(String[]::new);
            });
  }

  @Property(tries = 3000)
  void readsOnlyWhatPicocliReadsAndSetsTheSameFields(@ForAll("commandLines") String[] args) {
    Optional<DirectRun> direct = DirectRun.parse(args);
    Statistics.collect(direct.isPresent() ? "read directly" : "left to picocli");
    Statistics.coverage(
        c -> {
          c.check("read directly").percentage(p -> p > 10);
          c.check("left to picocli").percentage(p -> p > 10);
        });
    if (direct.isEmpty()) {
      return;
    }
    CommandLine cli = Privport.commandLine(args[0]);
    CommandLine.ParseResult parsed = cli.parseArgs(args); // throws if picocli refuses it
    assertThat(parsed.subcommand()).as("picocli reads a subcommand").isNotNull();
    Object picocli = parsed.subcommand().commandSpec().userObject();
    assertThat(fields(direct.get().command())).isEqualTo(fields(picocli));
  }

  @Provide
  Arbitrary<String[]> renderLines() {
    return commandLines().map(a -> a.length == 0 ? a : withFirst("render", a));
  }

  @Property(tries = 600)
  void rendersTheSameBytesErrorsAndExitCodes(@ForAll("renderLines") String[] args) {
    if (DirectRun.parse(args).isEmpty()) {
      return;
    }
    Run direct = run(args, true);
    Run picocli = run(args, false);
    assertThat(direct).isEqualTo(picocli);
  }

  @Example
  void theCommonFormsAreReadDirectly() {
    for (String line :
        List.of(
            "render 80:8080",
            "render --backend all 514:5514/udp 80:8080",
            "render --name=web --ipv4-only 80:8080",
            "apply 80:8080",
            "apply --keep-flows --backend iptables 80:8080",
            "remove --name web 80:8080",
            "status --json 80:8080",
            "status --backend=firewalld --local-only 80:8080")) {
      assertThat(DirectRun.parse(line.split(" "))).as(line).isPresent();
    }
    for (String line :
        List.of(
            "render --help",
            "render --out /tmp/x 80:8080",
            "apply --try 5 80:8080",
            "render --backend bogus 80:8080",
            "render --ipv4-only --ipv4-only 80:8080",
            "check 80:8080",
            "render --name we:b 80:8080")) {
      assertThat(DirectRun.parse(line.split(" "))).as(line).isEmpty();
    }
  }

  @Example
  void theCommandLineGoesThroughTheDirectReaderAndPicocliAlikeForRender() {
    String[] args = {"render", "--backend", "all", "80:8080", "514:5514/udp"};
    Run direct = run(args, true);
    assertThat(direct.code()).isZero();
    assertThat(direct.out()).contains("table inet privport").contains("iptables");
    assertThat(direct).isEqualTo(run(args, false));
  }

  record Run(int code, String out, String err) {}

  private static Run run(String[] args, boolean direct) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    PrintWriter o = new PrintWriter(out, true);
    PrintWriter e = new PrintWriter(err, true);
    int code =
        direct ? Privport.run(args, o, e, Optional::empty) : Privport.throughPicocli(args, o, e);
    o.flush();
    e.flush();
    return new Run(code, out.toString(), err.toString());
  }

  private static String[] withFirst(String first, String[] args) {
    String[] copy = args.clone();
    copy[0] = first;
    return copy;
  }

  /**
   * Every instance field of {@code command} and of its mixins (privport's own option classes), by
   * name, except the {@code @Spec} picocli injects.
   */
  private static Map<String, Object> fields(Object command) {
    Map<String, Object> out = new TreeMap<>();
    collect("", command, out);
    return out;
  }

  private static void collect(String prefix, Object o, Map<String, Object> out) {
    for (Field f : o.getClass().getDeclaredFields()) {
      if (Modifier.isStatic(f.getModifiers()) || f.getName().equals("spec")) {
        continue;
      }
      f.setAccessible(true);
      Object v;
      try {
        v = f.get(o);
      } catch (IllegalAccessException e) {
        throw new AssertionError(e);
      }
      String name = prefix + f.getName();
      if (v != null && v.getClass().getName().endsWith("Options")) {
        collect(name + ".", v, out);
      } else {
        out.put(name, v == null ? "null" : Objects.toString(v));
      }
    }
  }
}
