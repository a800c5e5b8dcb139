package dev.privport.nft;

import dev.privport.core.Checks;
import dev.privport.core.Command;
import dev.privport.core.ConfigFile;
import dev.privport.core.RedirectPlan;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A plan made persistent: its nft script at {@code /etc/privport/<name>.nft} and a systemd unit
 * {@code /etc/systemd/system/<name>.service} that loads it at boot and again after every reload or
 * restart of {@code nftables.service} (whose ruleset begins with {@code flush ruleset} and so
 * deletes privport's table too). {@code <name>} is the plan's {@link RedirectPlan#qualifiedName()}:
 * {@code privport} or {@code privport-NAME}.
 *
 * <p>The script lives in {@code /etc/privport}, not {@code /etc/nftables.d}: distributions that
 * include {@code /etc/nftables.d/*.nft} from their own ruleset would load it a second time, inside
 * their {@code flush ruleset} transaction, and {@code nftables.service} would then own a table
 * privport means to own alone.
 *
 * <p>{@link #start()}, {@link #reload()} and {@link #stop()} are the unit's {@code ExecStart},
 * {@code ExecReload} and {@code ExecStop} lines as argv; the unit text is rendered from them.
 *
 * @param plan the plan
 * @param unit the unit file
 * @param rules the nft script the unit loads
 */
public record NftServiceUnit(RedirectPlan plan, ConfigFile unit, ConfigFile rules) {
  /** Where the plan's nft script is installed. */
  public static final String RULES_DIR = "/etc/privport";

  /** Where the unit is installed: the administrator's unit directory. */
  public static final String UNIT_DIR = "/etc/systemd/system";

  /** Where Debian, Fedora and Arch (through its /usr/sbin link) install nft. */
  public static final String NFT_BINARY = "/usr/sbin/nft";

  private static final Pattern PLAIN_WORD = Pattern.compile("[A-Za-z0-9_./:=+-]+");

  public NftServiceUnit {
    Objects.requireNonNull(plan, "plan");
    Objects.requireNonNull(unit, "unit");
    Objects.requireNonNull(rules, "rules");
  }

  /** Renders the unit and the script for {@code plan}. */
  public static NftServiceUnit of(RedirectPlan plan) {
    String name = plan.qualifiedName();
    ConfigFile rules = new ConfigFile(rulesPath(plan), new NftRenderer().render(plan));
    String text =
        String.format(
            Locale.ROOT,
            """
        %s: loads %s at boot and after nftables reloads.
        # Rendered by privport; "privport install" puts it and %s in place.
        [Unit]
        Description=privport: redirects of plan %s (table inet %s)
        Documentation=man:nft(8)
        # Start early, as nftables.service does: before any network (and any container publishing a
        # port) is up. Not part of the default boot ordering, so that early start is possible.
        DefaultDependencies=no
        Wants=network-pre.target
        Before=network-pre.target shutdown.target
        Conflicts=shutdown.target
        # nftables.service begins its ruleset with "flush ruleset", which deletes this table too.
        # PartOf= propagates its stop and restart here (systemd.unit(5)), and ReloadPropagatedFrom=
        # its reload, which PartOf= does not cover. After= runs each of our jobs once its job is
        # done, so the table comes back after the flush, not before. No Wants=/Requires=: hosts
        # without nftables.service (firewalld, or none) still load the plan.
        After=nftables.service
        PartOf=nftables.service
        ReloadPropagatedFrom=nftables.service

        [Service]
        Type=oneshot
        RemainAfterExit=yes
        StandardInput=null
        # Each line is one nft transaction: the script replaces the table atomically, and the stop
        # line creates the table if absent and deletes it, so it succeeds when it is already gone.
        ExecStart=%s
        ExecReload=%s
        ExecStop=%s
        # nft needs CAP_NET_ADMIN and a netlink socket, and reads one file: nothing else.
        CapabilityBoundingSet=CAP_NET_ADMIN
        NoNewPrivileges=yes
        ProtectSystem=strict
        ProtectHome=yes
        PrivateTmp=yes
        PrivateDevices=yes
        ProtectKernelTunables=yes
        ProtectControlGroups=yes
        ProtectClock=yes
        ProtectHostname=yes
        RestrictAddressFamilies=AF_NETLINK AF_UNIX
        RestrictNamespaces=yes
        RestrictRealtime=yes
        RestrictSUIDSGID=yes
        LockPersonality=yes
        MemoryDenyWriteExecute=yes
        SystemCallArchitectures=native

        [Install]
        WantedBy=multi-user.target
        """,
            marker(plan),
            rules.path(),
            rules.path(),
            name,
            NftRenderer.tableName(plan),
            execLine(start(plan)),
            execLine(reload(plan)),
            execLine(stop(plan)));
    return new NftServiceUnit(plan, new ConfigFile(unitPath(plan), text), rules);
  }

  /**
   * The line every file privport renders for {@code plan} begins with, both the unit and the nft
   * script: {@code # privport plan "privport-web"}. {@code privport install} overwrites or removes
   * only files that begin with it.
   */
  public static String marker(RedirectPlan plan) {
    return marker(plan.qualifiedName());
  }

  /** {@link #marker(RedirectPlan)} by the plan's qualified name. */
  public static String marker(String qualifiedName) {
    return "# privport plan \"" + checkQualifiedName(qualifiedName) + "\"";
  }

  /** {@code privport[-NAME].service}. */
  public static String unitName(RedirectPlan plan) {
    return unitName(plan.qualifiedName());
  }

  /** {@link #unitName(RedirectPlan)} by the plan's qualified name. */
  public static String unitName(String qualifiedName) {
    return checkQualifiedName(qualifiedName) + ".service";
  }

  /** {@code /etc/privport/privport[-NAME].nft}. */
  public static String rulesPath(RedirectPlan plan) {
    return rulesPath(plan.qualifiedName());
  }

  /** {@link #rulesPath(RedirectPlan)} by the plan's qualified name. */
  public static String rulesPath(String qualifiedName) {
    return RULES_DIR + "/" + checkQualifiedName(qualifiedName) + ".nft";
  }

  /** {@code /etc/systemd/system/privport[-NAME].service}. */
  public static String unitPath(RedirectPlan plan) {
    return unitPath(plan.qualifiedName());
  }

  /** {@link #unitPath(RedirectPlan)} by the plan's qualified name. */
  public static String unitPath(String qualifiedName) {
    return UNIT_DIR + "/" + unitName(qualifiedName);
  }

  /** A plan's qualified name: {@code privport}, or {@code privport-} and a valid plan name. */
  public static String checkQualifiedName(String qualifiedName) {
    String prefix = RedirectPlan.DEFAULT_NAME + "-";
    if (qualifiedName == null || !qualifiedName.equals(RedirectPlan.DEFAULT_NAME)) {
      Checks.check(
          qualifiedName != null && qualifiedName.startsWith(prefix),
          "plan",
          qualifiedName,
          "must be privport or privport-NAME");
      Checks.planName(qualifiedName.substring(prefix.length()));
    }
    return qualifiedName;
  }

  /** {@code ExecStart}: load the script, replacing the table in one transaction. */
  public Command start() {
    return start(plan);
  }

  /** {@code ExecReload}: the same as {@link #start()}: the script replaces what is there. */
  public Command reload() {
    return reload(plan);
  }

  /** {@code ExecStop}: create the table if absent and delete it, in one transaction. */
  public Command stop() {
    return stop(plan);
  }

  /** The unit's three lines, in the order start, reload, stop. */
  public List<Command> lifecycle() {
    return List.of(start(), reload(), stop());
  }

  private static Command start(RedirectPlan plan) {
    return Command.of(NFT_BINARY, "-f", rulesPath(plan));
  }

  private static Command reload(RedirectPlan plan) {
    return start(plan);
  }

  private static Command stop(RedirectPlan plan) {
    // nft 1.0.6 has no "destroy table"; this pair is NftRenderer.renderRemoval on one line.
    String table = "inet " + NftRenderer.tableName(plan);
    return Command.of(NFT_BINARY, "add table " + table + "; delete table " + table);
  }

  /**
   * An argv as a systemd command line: plain words as they are, others in double quotes. The words
   * privport renders hold no quote, backslash, '%' or '$' (validated names and numbers), so quoting
   * is all systemd's parser needs; anything else is refused rather than escaped wrongly.
   */
  static String execLine(Command command) {
    StringBuilder line = new StringBuilder();
    for (String word : command.argv()) {
      if (line.length() > 0) {
        line.append(' ');
      }
      if (PLAIN_WORD.matcher(word).matches()) {
        line.append(word);
      } else {
        Checks.check(
            word.chars().allMatch(c -> c >= 0x20 && c < 0x7f && "\"\\%$'".indexOf(c) < 0),
            "command word",
            word,
            "cannot go in a unit file (quote, backslash, '%', '$' or a control character)");
        line.append('"').append(word).append('"');
      }
    }
    return line.toString();
  }
}
