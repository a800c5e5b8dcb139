package dev.privport.robustness;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.core.RedirectPlan;
import dev.privport.firewalld.FirewalldRenderer;
import dev.privport.iptables.IptablesRenderer;
import dev.privport.iptables.IptablesRendering;
import dev.privport.nft.NftRenderer;
import dev.privport.testkit.lab.Netns;
import dev.privport.testkit.process.Cmd;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Every valid plan is accepted by the real tools, in a namespace of the test's own: the nft script
 * passes {@code nft -c -f} and loads; the iptables restore files pass {@code iptables-restore
 * --test}; firewalld's {@code direct.xml} is well-formed XML whose rules pass {@code
 * iptables-restore --test} once wrapped in a nat table. jqwik prints the seed of a failing run.
 */
@AddLifecycleHook(NeedsKernel.class)
class RealToolsAcceptEveryPlanProperties {
  static final int TRIES = 300;
  private static Netns ns;
  private static Path dir;

  @BeforeContainer
  static void start() throws IOException {
    ns = Netns.create();
    dir = Files.createTempDirectory("privport-props-");
  }

  @AfterContainer
  static void stop() throws IOException {
    if (ns != null) ns.close();
    if (dir != null) {
      try (var files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  @Provide
  Arbitrary<RedirectPlan> plans() {
    return Plans.plans(50);
  }

  @Property(tries = TRIES)
  void everyRenderingIsAcceptedByTheRealTools(@ForAll("plans") RedirectPlan plan) throws Exception {
    StringBuilder script = new StringBuilder("set -e\n");
    Path nft = write("plan.nft", new NftRenderer().render(plan));
    script
        .append("nft -c -f ")
        .append(nft)
        .append('\n')
        .append("nft -f ")
        .append(nft)
        .append('\n')
        .append("nft list table inet ")
        .append(plan.qualifiedName())
        .append(" >/dev/null\n")
        .append("nft flush ruleset\n");
    IptablesRendering ipt = new IptablesRenderer().renderAll(plan);
    if (ipt.restoreIpv4().isPresent()) {
      script
          .append("iptables-restore --test --noflush < ")
          .append(write("rules.v4", ipt.restoreIpv4().get()))
          .append('\n');
    }
    if (ipt.restoreIpv6().isPresent()) {
      script
          .append("ip6tables-restore --test --noflush < ")
          .append(write("rules.v6", ipt.restoreIpv6().get()))
          .append('\n');
    }
    for (String family : List.of("ipv4", "ipv6")) {
      String wrapped =
          wrapDirectRules(new FirewalldRenderer().renderDirect(plan).directXml().content(), family);
      if (!wrapped.isEmpty()) {
        script
            .append(family.equals("ipv4") ? "iptables" : "ip6tables")
            .append("-restore --test --noflush < ")
            .append(write("direct." + family, wrapped))
            .append('\n');
      }
    }
    Cmd.Result r = ns.exec("sh", "-c", script.toString());
    assertThat(r.exitCode()).as(plan + "\n" + r.stderr()).isZero();
  }

  /** direct.xml parsed as XML; its rules of one family as an iptables-restore nat table. */
  static String wrapDirectRules(String xml, String family) throws Exception {
    var doc =
        DocumentBuilderFactory.newInstance()
            .newDocumentBuilder()
            .parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
    assertThat(doc.getDocumentElement().getTagName()).isEqualTo("direct");
    NodeList rules = doc.getElementsByTagName("rule");
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < rules.getLength(); i++) {
      Element rule = (Element) rules.item(i);
      assertThat(rule.getAttribute("table")).isEqualTo("nat");
      assertThat(Integer.parseInt(rule.getAttribute("priority")))
          .isBetween(-dev.privport.core.RedirectRule.EXACT_INTERFACE, 0);
      if (!rule.getAttribute("ipv").equals(family)) {
        continue;
      }
      out.append("-A ").append(rule.getAttribute("chain"));
      for (String word : ShellWords.split(rule.getTextContent())) {
        out.append(' ').append(word.contains(" ") ? '"' + word + '"' : word);
      }
      out.append('\n');
    }
    return out.length() == 0 ? "" : "*nat\n" + out + "COMMIT\n";
  }

  private static Path write(String name, String content) throws IOException {
    return Files.writeString(dir.resolve(name), content);
  }
}
