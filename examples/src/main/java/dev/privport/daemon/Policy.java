package dev.privport.daemon;

import dev.privport.core.Checks;
import dev.privport.core.Family;
import dev.privport.core.Protocol;
import dev.privport.core.Redirect;
import dev.privport.core.Scope;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The delegation policy an admin writes: one grant a line, {@code #} starts a comment.
 *
 * <pre>
 * # /etc/privport/policy
 * allow alice tcp 80,443 to 8000-8999
 * allow 1001 udp 514 to 5514 ipv4-only incoming-only
 * allow @web tcp 80 to 8080-8089 interface=eth0
 * </pre>
 *
 * {@code allow USER|UID|@GROUP|@GID tcp|udp PORT[,PORT…] to LOW-HIGH|PORT [ipv4-only|ipv6-only]
 * [incoming-only|local-only] [interface=IF]}. Options narrow a grant: a redirect it allows must be
 * narrowed the same way. Names are resolved when the policy is loaded; errors name file, line and
 * column. A caller may apply a redirect when any of its grants allows it.
 */
public final class Policy {
  /** A policy larger than this is refused unread. */
  static final long MAX_BYTES = 1 << 20;

  private final List<Grant> grants;
  private final String source;

  private Policy(List<Grant> grants, String source) {
    this.grants = List.copyOf(grants);
    this.source = source;
  }

  /** An error in a policy file, with its position. */
  public static final class ParseException extends IllegalArgumentException {
    ParseException(String source, int line, int column, String message) {
      super(source + ":" + line + ":" + column + ": " + message);
    }
  }

  /** The grants, in file order. */
  public List<Grant> grants() {
    return grants;
  }

  /** Whether a grant names a group: only then does a decision need the caller's passwd entry. */
  public boolean hasGroupGrants() {
    return grants.stream().anyMatch(g -> g.subject() instanceof Grant.Group);
  }

  /** The file the policy was read from. */
  public String source() {
    return source;
  }

  /**
   * Reads the policy file after checking that only root can change it: a regular file (not a
   * symbolic link), owned by root, not writable by group or others, in a directory with the same
   * properties. Anything else is refused, naming the file and what is wrong.
   */
  public static Policy load(Path file, UserDatabase users) {
    requireRootOnly(file, "policy file");
    Path dir = file.toAbsolutePath().getParent();
    if (dir != null) {
      requireRootOnly(dir, "policy directory");
    }
    try {
      if (Files.size(file) > MAX_BYTES) {
        throw new IllegalArgumentException(
            "policy file " + file + ": larger than " + MAX_BYTES + " bytes");
      }
      return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString(), users);
    } catch (IOException e) {
      throw new IllegalArgumentException("policy file " + file + ": cannot read: " + e, e);
    }
  }

  private static void requireRootOnly(Path path, String what) {
    PosixFileAttributes a;
    int uid;
    try {
      a = Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      uid = (Integer) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    } catch (IOException | UnsupportedOperationException e) {
      throw new IllegalArgumentException(what + " " + path + ": cannot read its attributes: " + e);
    }
    if (a.isSymbolicLink()) {
      throw new IllegalArgumentException(
          what + " " + path + ": is a symbolic link; name the file itself");
    }
    if (what.endsWith("file") && !a.isRegularFile()) {
      throw new IllegalArgumentException(what + " " + path + ": is not a regular file");
    }
    if (uid != 0) {
      throw new IllegalArgumentException(
          what + " " + path + ": must be owned by root, is owned by uid " + uid);
    }
    Set<PosixFilePermission> p = a.permissions();
    if (p.contains(PosixFilePermission.GROUP_WRITE)
        || p.contains(PosixFilePermission.OTHERS_WRITE)) {
      throw new IllegalArgumentException(
          what
              + " "
              + path
              + ": must not be writable by group or others, mode is "
              + java.nio.file.attribute.PosixFilePermissions.toString(p)
              + " (chmod go-w)");
    }
  }

  /** Parses policy text; {@code source} names it in errors. */
  public static Policy parse(String text, String source, UserDatabase users) {
    List<Grant> grants = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      int hash = line.indexOf('#');
      String content = hash >= 0 ? line.substring(0, hash) : line;
      Words w = new Words(source, i + 1, content);
      if (w.size() == 0) {
        continue;
      }
      grants.add(grant(w, users, source + ":" + (i + 1)));
    }
    return new Policy(grants, source);
  }

  private static Grant grant(Words w, UserDatabase users, String where) {
    if (!w.get(0).equals("allow")) {
      throw w.error(0, "expected \"allow\", got " + Checks.show(w.get(0)));
    }
    Grant.Subject subject = subject(w, users);
    String proto = w.need(2, "a protocol (tcp or udp)");
    Protocol protocol =
        switch (proto) {
          case "tcp" -> Protocol.TCP;
          case "udp" -> Protocol.UDP;
          default -> throw w.error(2, "protocol must be tcp or udp, got " + Checks.show(proto));
        };
    List<Integer> ports = ports(w);
    String to = w.need(4, "\"to\" and the target range LOW-HIGH");
    if (!to.equals("to")) {
      throw w.error(4, "expected \"to\" after the ports, got " + Checks.show(to));
    }
    String range = w.need(5, "the target range LOW-HIGH");
    int dash = range.indexOf('-');
    int low = port(w, 5, 0, dash < 0 ? range : range.substring(0, dash), "target port");
    int high = dash < 0 ? low : port(w, 5, dash + 1, range.substring(dash + 1), "target port");
    if (high < low) {
      throw w.error(5, dash + 1, "target range must be LOW-HIGH with LOW <= HIGH, got " + range);
    }
    Set<Family> families = EnumSet.allOf(Family.class);
    Set<Scope> scopes = EnumSet.allOf(Scope.class);
    Optional<String> ifname = Optional.empty();
    for (int k = 6; k < w.size(); k++) {
      String option = w.get(k);
      switch (option) {
        case "ipv4-only", "ipv6-only" -> {
          if (families.size() == 1) {
            throw w.error(k, "only one of ipv4-only and ipv6-only may be given");
          }
          families = EnumSet.of(option.equals("ipv4-only") ? Family.IPV4 : Family.IPV6);
        }
        case "incoming-only", "local-only" -> {
          if (scopes.size() == 1) {
            throw w.error(k, "only one of incoming-only and local-only may be given");
          }
          scopes = EnumSet.of(option.equals("incoming-only") ? Scope.INCOMING : Scope.LOCAL);
        }
        default -> {
          if (!option.startsWith("interface=")) {
            throw w.error(
                k,
                "unknown option "
                    + Checks.show(option)
                    + " (expected ipv4-only, ipv6-only, incoming-only, local-only or interface=IF)");
          }
          if (ifname.isPresent()) {
            throw w.error(k, "interface is given twice");
          }
          try {
            ifname = Optional.of(Checks.interfaceName(option.substring("interface=".length())));
          } catch (IllegalArgumentException e) {
            throw w.error(k, "interface=".length(), e.getMessage());
          }
        }
      }
    }
    if (ifname.isPresent() && !scopes.contains(Scope.INCOMING)) {
      throw w.error(6, "interface= restricts incoming traffic and cannot go with local-only");
    }
    return new Grant(subject, protocol, ports, low, high, families, scopes, ifname, where);
  }

  private static Grant.Subject subject(Words w, UserDatabase users) {
    String s = w.need(1, "a user, uid, @group or @gid");
    boolean group = s.startsWith("@");
    String key = group ? s.substring(1) : s;
    int column = group ? 1 : 0;
    if (key.isEmpty()) {
      throw w.error(1, column, "expected a group name or gid after @");
    }
    if (key.chars().allMatch(c -> c >= '0' && c <= '9')) {
      int id;
      try {
        id = Integer.parseUnsignedInt(key);
      } catch (NumberFormatException e) {
        throw w.error(1, column, (group ? "gid" : "uid") + " out of range: " + key);
      }
      if (id == -1) {
        throw w.error(1, column, (group ? "gid" : "uid") + " 4294967295 is not an id");
      }
      if (!group) {
        return new Grant.User(id, s);
      }
      return new Grant.Group(
          id, s, users.group(id).map(UserDatabase.GroupEntry::members).orElse(List.of()));
    }
    if (group) {
      UserDatabase.GroupEntry g =
          users
              .group(key)
              .orElseThrow(() -> w.error(1, column, "unknown group " + Checks.show(key)));
      return new Grant.Group(g.gid(), s, g.members());
    }
    UserDatabase.Account a =
        users.user(key).orElseThrow(() -> w.error(1, 0, "unknown user " + Checks.show(key)));
    return new Grant.User(a.uid(), s);
  }

  private static List<Integer> ports(Words w) {
    String list = w.need(3, "the ports, e.g. 80,443");
    TreeSet<Integer> ports = new TreeSet<>();
    int offset = 0;
    for (String part : list.split(",", -1)) {
      int port = port(w, 3, offset, part, "port");
      if (!ports.add(port)) {
        throw w.error(3, offset, "port " + port + " is listed twice");
      }
      offset += part.length() + 1;
    }
    return List.copyOf(ports);
  }

  private static int port(Words w, int word, int offset, String text, String field) {
    if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw w.error(word, offset, field + " must be a number 1..65535, got " + Checks.show(text));
    }
    int port = Integer.parseInt(text);
    if (port < 1 || port > 65535) {
      throw w.error(word, offset, field + " must be 1..65535, got " + port);
    }
    return port;
  }

  /**
   * Why {@code peer} may not apply {@code r}; empty when one of its grants allows it. The reason
   * names the redirect and the closest grant.
   */
  public Optional<String> refusal(
      Peer peer, Optional<UserDatabase.Account> account, Redirect r, String shown) {
    List<Grant> mine = grantsFor(peer, account);
    String who = "uid " + Integer.toUnsignedString(peer.uid());
    if (mine.isEmpty()) {
      return Optional.of(shown + ": " + who + " has no grant in " + source);
    }
    List<Grant> covering = mine.stream().filter(g -> g.covers(r)).toList();
    if (covering.isEmpty()) {
      String granted =
          mine.stream()
              .map(
                  g ->
                      g.protocol().keyword()
                          + " "
                          + g.ports().stream()
                              .map(String::valueOf)
                              .collect(Collectors.joining(",")))
              .distinct()
              .collect(Collectors.joining("; "));
      return Optional.of(
          shown
              + ": "
              + r.protocol().keyword()
              + " port "
              + r.fromPort()
              + " is not granted to "
              + who
              + " (granted: "
              + granted
              + ")");
    }
    String first = null;
    for (Grant g : covering) {
      Optional<String> why = g.refusal(r);
      if (why.isEmpty()) {
        return Optional.empty();
      }
      if (first == null) {
        first = why.get() + " (" + g.where() + ")";
      }
    }
    return Optional.of(shown + ": " + first);
  }

  /** The grants that name {@code peer}. */
  public List<Grant> grantsFor(Peer peer, Optional<UserDatabase.Account> account) {
    return grants.stream().filter(g -> g.subject().includes(peer, account)).toList();
  }

  /** The words of one line with their columns, for errors that point at them. */
  private static final class Words {
    private final String source;
    private final int line;
    private final String text;
    private final List<int[]> spans = new ArrayList<>();

    Words(String source, int line, String text) {
      this.source = source;
      this.line = line;
      this.text = text;
      int i = 0;
      while (i < text.length()) {
        while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
          i++;
        }
        int start = i;
        while (i < text.length() && !Character.isWhitespace(text.charAt(i))) {
          i++;
        }
        if (i > start) {
          spans.add(new int[] {start, i});
        }
      }
    }

    int size() {
      return spans.size();
    }

    String get(int k) {
      return text.substring(spans.get(k)[0], spans.get(k)[1]);
    }

    String need(int k, String what) {
      if (k >= spans.size()) {
        throw new ParseException(
            source, line, text.stripTrailing().length() + 1, "expected " + what);
      }
      return get(k);
    }

    ParseException error(int k, String message) {
      return error(k, 0, message);
    }

    ParseException error(int k, int offset, String message) {
      int column = k < spans.size() ? spans.get(k)[0] + offset + 1 : text.length() + 1;
      return new ParseException(source, line, column, message);
    }
  }
}
