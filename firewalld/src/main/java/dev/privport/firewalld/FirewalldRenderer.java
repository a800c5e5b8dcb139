package dev.privport.firewalld;

import dev.privport.core.Checks;
import dev.privport.core.Command;
import dev.privport.core.ConfigFile;
import dev.privport.core.ConntrackCleanup;
import dev.privport.core.Family;
import dev.privport.core.RedirectPlan;
import dev.privport.core.RedirectRule;
import dev.privport.core.Scope;
import dev.privport.core.Step;
import dev.privport.core.spi.Backend;
import dev.privport.core.spi.PlanRenderer;
import dev.privport.core.spi.RenderOptions;
import dev.privport.core.spi.RenderedFile;
import dev.privport.core.spi.Rendering;
import dev.privport.iptables.IptablesArgs;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Renders a {@link RedirectPlan} for hosts managed by firewalld, by two routes:
 *
 * <ul>
 *   <li><b>Direct rules</b> ({@link #renderDirect}; {@link #render} gives their runtime calls as
 *       text): the iptables nat rules of the iptables backend, guarded the same way ({@code -m
 *       addrtype --dst-type LOCAL} incoming, {@code -o lo} local), held by firewalld so they
 *       survive {@code --reload}. Works on every firewalld; deprecated since 1.0 but still shipped.
 *   <li><b>Policies</b> ({@link #renderPolicies}, firewalld >= 1.1): forward-port rich rules in two
 *       policies of the plan's own. Needs this host's addresses ({@link HostAddresses}).
 * </ul>
 *
 * Redirected packets reach firewalld's input filter with the new port; firewalld's own {@code ct
 * status dnat accept} lets them in, so the service port (8080) stays closed to direct connections.
 */
public final class FirewalldRenderer implements PlanRenderer {
  /** Where firewalld keeps permanent direct rules. */
  public static final String DIRECT_XML = "/etc/firewalld/direct.xml";

  /** Where firewalld keeps permanent policies. */
  public static final String POLICY_DIR = "/etc/firewalld/policies/";

  private static final String FIREWALL_CMD = "firewall-cmd";

  @Override
  public Backend backend() {
    return Backend.FIREWALLD;
  }

  /** The runtime direct-rule calls, one {@code firewall-cmd --direct --add-rule} a line. */
  @Override
  public String render(RedirectPlan plan) {
    StringBuilder out =
        new StringBuilder()
            .append("# privport plan \"")
            .append(plan.qualifiedName())
            .append("\": firewalld direct rules (runtime), rendered by privport.\n")
            .append(
                "# Running them again adds nothing (ALREADY_ENABLED). For permanent rules add --permanent to\n")
            .append("# each and run firewall-cmd --reload, or install the plan's direct.xml.\n")
            .append(ConntrackCleanup.note(plan));
    for (Command c : renderDirect(plan).runtimeAdd()) {
      out.append(c.toShell()).append('\n');
    }
    return out.toString();
  }

  /**
   * The direct rules' permanent configuration as {@code firewalld/Q.direct.xml} (per plan: a host
   * with one plan installs it as {@value #DIRECT_XML}; a host with several uses the firewall-cmd
   * calls instead). Without host addresses, apply and remove are the runtime direct-rule calls.
   * With them, the policy route: its policies as {@code firewalld/policies/POLICY.xml}, and apply
   * and remove are its permanent steps.
   *
   * @throws IllegalArgumentException for host addresses firewalld does not take, or a plan the
   *     policy route cannot express (see {@link #renderPolicies})
   */
  @Override
  public Rendering rendering(RedirectPlan plan, RenderOptions options) {
    FirewalldDirectRules direct = renderDirect(plan);
    List<RenderedFile> files = new ArrayList<>();
    files.add(new RenderedFile(directXmlPath(plan), direct.directXml().content()));
    List<String> notes = new ArrayList<>();
    notes.add(
        "Runtime rules are gone after firewall-cmd --reload: keep them with --permanent, the"
            + " direct.xml or the policy files.");
    if (options.hostAddresses().isEmpty()) {
      return new Rendering(
          direct.runtimeAdd().stream().map(Step::always).toList(),
          direct.runtimeRemove().stream().map(Step::always).toList(),
          files,
          notes);
    }
    FirewalldPolicies policies =
        renderPolicies(plan, HostAddresses.of(options.hostAddresses().toArray(String[]::new)));
    policies
        .policyFiles()
        .forEach(f -> files.add(new RenderedFile(POLICIES + "/" + f.fileName(), f.content())));
    return new Rendering(policies.apply(), policies.remove(), files, notes);
  }

  @Override
  public boolean owns(RedirectPlan plan, String path) {
    if (path.equals(directXmlPath(plan))) {
      return true;
    }
    for (Scope scope : Scope.values()) {
      if (path.equals(POLICIES + "/" + policyName(plan, scope) + ".xml")) {
        return true;
      }
    }
    return false;
  }

  @Override
  public List<String> directories() {
    return List.of(DIR, POLICIES);
  }

  private static final String DIR = "firewalld";
  private static final String POLICIES = DIR + "/policies";

  /** The direct rules' file below an output directory: {@code firewalld/Q.direct.xml}. */
  private static String directXmlPath(RedirectPlan plan) {
    return DIR + "/" + plan.qualifiedName() + ".direct.xml";
  }

  /** The direct-rule route. */
  public FirewalldDirectRules renderDirect(RedirectPlan plan) {
    List<DirectRule> rules = directRules(plan);
    List<Command> runtimeAdd = new ArrayList<>();
    List<Command> runtimeRemove = new ArrayList<>();
    List<Command> permanentAdd = new ArrayList<>();
    List<Command> permanentRemove = new ArrayList<>();
    StringBuilder xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<direct>\n");
    for (DirectRule r : rules) {
      runtimeAdd.add(r.command(false, "--add-rule"));
      runtimeRemove.add(r.command(false, "--remove-rule"));
      permanentAdd.add(r.command(true, "--add-rule"));
      permanentRemove.add(r.command(true, "--remove-rule"));
      xml.append("  <rule ipv=\"")
          .append(r.family().keyword())
          .append("\" table=\"")
          .append(IptablesArgs.TABLE)
          .append("\" chain=\"")
          .append(r.chain())
          .append("\" priority=\"")
          .append(r.priority())
          .append("\">")
          .append(xmlText(new Command(r.args()).toShell()))
          .append("</rule>\n");
    }
    permanentAdd.add(Command.of(FIREWALL_CMD, "--reload"));
    permanentRemove.add(Command.of(FIREWALL_CMD, "--reload"));
    xml.append("</direct>\n");
    return new FirewalldDirectRules(
        runtimeAdd,
        runtimeRemove,
        permanentAdd,
        permanentRemove,
        new ConfigFile(DIRECT_XML, xml.toString()));
  }

  /**
   * One direct rule: a built-in nat chain, a priority and iptables arguments.
   *
   * @param priority orders rules in firewalld: minus {@link RedirectRule#interfaceSpecificity()},
   *     so an exact interface (-16) comes before wildcards, longer prefixes first ({@code eth+}:
   *     -4, {@code et+}: -3), and those before rules for any interface (0): the most specific rule
   *     matches first, also after firewalld reloads its permanent rules
   */
  record DirectRule(Family family, String chain, int priority, List<String> args) {
    Command command(boolean permanent, String op) {
      List<String> argv = new ArrayList<>(List.of(FIREWALL_CMD));
      if (permanent) {
        argv.add("--permanent");
      }
      argv.addAll(
          List.of(
              "--direct",
              op,
              family.keyword(),
              IptablesArgs.TABLE,
              chain,
              Integer.toString(priority)));
      argv.addAll(args);
      return new Command(argv);
    }
  }

  static List<DirectRule> directRules(RedirectPlan plan) {
    List<DirectRule> out = new ArrayList<>();
    for (Family family : Family.values()) {
      for (RedirectRule rule : plan.rules()) {
        if (!rule.families().contains(family)) {
          continue;
        }
        List<String> args = new ArrayList<>(IptablesArgs.scopeGuard(rule.scope()));
        // Direct rules of every plan share firewalld's chains, and firewalld tells rules apart by
        // their arguments: the plan's name in the comment keeps two plans with the same redirect
        // two rules, so removing one plan leaves the other's redirect working.
        args.addAll(IptablesArgs.ruleArgs(rule, commentFor(plan, rule)));
        int priority = -rule.interfaceSpecificity();
        out.add(
            new DirectRule(
                family, IptablesArgs.builtinChain(rule.scope()), priority, List.copyOf(args)));
      }
    }
    return out;
  }

  /** A direct rule's comment: {@code privport-web: tcp 80 -> 8080}. */
  static String commentFor(RedirectPlan plan, RedirectRule rule) {
    return plan.qualifiedName() + ": " + rule.describe();
  }

  /** The name of the plan's policy for {@code scope}; at most 18 characters, firewalld's limit. */
  public static String policyName(RedirectPlan plan, Scope scope) {
    String suffix = scope == Scope.INCOMING ? "-in" : "-lo";
    return plan.name().map(n -> "pp-" + n + suffix).orElse(RedirectPlan.DEFAULT_NAME + suffix);
  }

  /**
   * The policy route.
   *
   * @param addresses this host's addresses: needed for INCOMING redirects (each becomes a {@code
   *     destination address}) and used for LOCAL ones (connections to the host's own addresses,
   *     besides loopback)
   * @throws IllegalArgumentException when the plan restricts an input interface (policies cannot
   *     match one) or has INCOMING redirects of a family with no address given
   */
  public FirewalldPolicies renderPolicies(RedirectPlan plan, HostAddresses addresses) {
    for (RedirectRule rule : plan.rules()) {
      rule.inputInterface()
          .ifPresent(
              i ->
                  Checks.check(
                      false,
                      "interface",
                      i,
                      "cannot be matched by firewalld policies; use the direct route (renderDirect) for this plan"));
      if (rule.scope() == Scope.INCOMING) {
        for (Family family : rule.families()) {
          Checks.check(
              !addresses.of(family).isEmpty(),
              "hostAddresses",
              addresses.of(family).toString(),
              "must include this host's "
                  + (family == Family.IPV4 ? "IPv4" : "IPv6")
                  + " addresses: firewalld policies cannot match 'addressed to this host', and without them"
                  + " routed traffic would be redirected too");
        }
      }
    }
    List<Step> apply = new ArrayList<>();
    List<Step> remove = new ArrayList<>();
    List<ConfigFile> files = new ArrayList<>();
    for (Scope scope : Scope.values()) {
      String name = policyName(plan, scope);
      List<RichRule> rich = richRules(plan, scope, addresses);
      Step delete =
          Step.onlyIf(
              Command.of(FIREWALL_CMD, "--permanent", "--info-policy", name),
              Command.of(FIREWALL_CMD, "--permanent", "--delete-policy", name));
      apply.add(delete); // converge: replace a previous version, drop a policy no longer needed
      remove.add(delete);
      if (rich.isEmpty()) {
        continue;
      }
      String ingress = scope == Scope.INCOMING ? "ANY" : "HOST";
      String egress = scope == Scope.INCOMING ? "HOST" : "ANY";
      apply.add(Step.always(Command.of(FIREWALL_CMD, "--permanent", "--new-policy", name)));
      apply.add(
          Step.always(
              Command.of(
                  FIREWALL_CMD, "--permanent", "--policy", name, "--add-ingress-zone", ingress)));
      apply.add(
          Step.always(
              Command.of(
                  FIREWALL_CMD, "--permanent", "--policy", name, "--add-egress-zone", egress)));
      List<String> add = new ArrayList<>(List.of(FIREWALL_CMD, "--permanent", "--policy", name));
      rich.forEach(r -> add.add("--add-rich-rule=" + r.text()));
      apply.add(Step.always(new Command(add)));
      files.add(policyFile(plan, scope, name, ingress, egress, rich));
    }
    apply.add(Step.always(Command.of(FIREWALL_CMD, "--reload")));
    remove.add(Step.always(Command.of(FIREWALL_CMD, "--reload")));
    return new FirewalldPolicies(apply, remove, files);
  }

  /**
   * One forward-port rich rule: a family, a destination, and for LOCAL the address to DNAT to.
   *
   * @param toAddress for LOCAL, where the connection goes: the address it was made to, or {@code
   *     127.0.0.1} for the rest of {@code 127.0.0.0/8} (where nft's and iptables' output-hook
   *     {@code redirect} sends it too)
   */
  record RichRule(
      Family family, String destination, RedirectRule rule, Optional<String> toAddress) {
    String text() {
      return "rule family=\""
          + family.keyword()
          + "\" destination address=\""
          + destination
          + "\" "
          + forwardPort();
    }

    String forwardPort() {
      return "forward-port port=\""
          + rule.fromPort()
          + "\" protocol=\""
          + rule.protocol().keyword()
          + "\" to-port=\""
          + rule.toPort()
          + "\""
          + toAddress.map(a -> " to-addr=\"" + a + "\"").orElse("");
    }
  }

  private static List<RichRule> richRules(RedirectPlan plan, Scope scope, HostAddresses addresses) {
    List<RichRule> out = new ArrayList<>();
    for (RedirectRule rule : plan.rules()) {
      if (rule.scope() != scope) {
        continue;
      }
      for (Family family : rule.families()) {
        if (scope == Scope.LOCAL) {
          // An output-hook DNAT on the new port: all of loopback, as the other backends' -o lo
          // does (127.0.0.2 too; IPv6 has only ::1), and each host address to itself.
          out.add(
              family == Family.IPV4
                  ? new RichRule(family, "127.0.0.0/8", rule, Optional.of("127.0.0.1"))
                  : new RichRule(family, "::1", rule, Optional.of("::1")));
          for (String d : addresses.of(family)) {
            out.add(new RichRule(family, d, rule, Optional.of(d)));
          }
        } else {
          for (String d : addresses.of(family)) {
            out.add(new RichRule(family, d, rule, Optional.empty()));
          }
        }
      }
    }
    return out;
  }

  private static ConfigFile policyFile(
      RedirectPlan plan,
      Scope scope,
      String name,
      String ingress,
      String egress,
      List<RichRule> rich) {
    StringBuilder xml =
        new StringBuilder("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n")
            .append("<!-- privport plan \"")
            .append(plan.qualifiedName())
            .append("\": ")
            .append(scope == Scope.INCOMING ? "INCOMING" : "LOCAL")
            .append(" redirects. Rendered by privport. -->\n")
            .append("<policy target=\"CONTINUE\">\n");
    for (RichRule r : rich) {
      xml.append("  <rule family=\"")
          .append(r.family().keyword())
          .append("\">\n")
          .append("    <destination address=\"")
          .append(r.destination())
          .append("\"/>\n")
          .append("    <")
          .append(r.forwardPort())
          .append("/>\n")
          .append("  </rule>\n");
    }
    xml.append("  <ingress-zone name=\"")
        .append(ingress)
        .append("\"/>\n")
        .append("  <egress-zone name=\"")
        .append(egress)
        .append("\"/>\n")
        .append("</policy>\n");
    return new ConfigFile(POLICY_DIR + name + ".xml", xml.toString());
  }

  private static String xmlText(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
