package dev.privport.daemon;

import dev.privport.core.Protocol;
import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import dev.privport.core.RedirectRule;
import dev.privport.nft.LiveRule;
import dev.privport.nft.PlanStatus;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The daemon's decisions: each caller's plan is checked against its grants and against the ports
 * other plans hold, applied in a table of its own ({@code inet privport-u<UID>}), and stored. One
 * lock serialises every decision, so two callers cannot both take a free port.
 *
 * <p>Exit codes as the command line's: 0 ok, 1 absent or drifted (status), 2 bad request, not
 * granted or claimed, 3 failed (libnftables, state I/O). Every decision is one log line.
 */
public final class Delegation {
  private final Ruleset ruleset;
  private final StateStore state;
  private final UserDatabase users;
  private final Consumer<String> log;
  private Policy policy;

  /** A delegation over {@code ruleset}, storing plans in {@code state}. */
  public Delegation(
      Policy policy, Ruleset ruleset, StateStore state, UserDatabase users, Consumer<String> log) {
    this.policy = policy;
    this.ruleset = ruleset;
    this.state = state;
    this.users = users;
    this.log = log;
  }

  /** Answers one request from {@code peer}, and logs the decision. */
  public synchronized Wire.Response handle(Peer peer, Wire.Request request) {
    Wire.Response r;
    try {
      r =
          switch (request.verb()) {
            case APPLY -> apply(peer, request.body());
            case REMOVE -> remove(peer, request.body());
            case STATUS -> status(peer);
            case LIST -> list(peer);
          };
    } catch (IllegalArgumentException e) {
      r = new Wire.Response(2, e.getMessage());
    } catch (RuntimeException e) {
      r = new Wire.Response(3, e.getMessage() == null ? e.toString() : e.getMessage());
    }
    log.accept(
        peer
            + " request="
            + request.verb().word()
            + summary(request.body())
            + " verdict="
            + verdict(r.code())
            + " code="
            + r.code()
            + (r.code() >= 2 ? " reason=" + quote(oneLine(r.text())) : ""));
    return r;
  }

  /** Logs a request that could not be read, and the answer it gets. */
  public Wire.Response refuseUnreadable(Peer peer, String reason) {
    log.accept(peer + " request=? verdict=refused code=2 reason=" + quote(reason));
    return new Wire.Response(2, reason);
  }

  private static String verdict(int code) {
    return switch (code) {
      case 0 -> "ok";
      case 1 -> "absent-or-drifted";
      case 2 -> "refused";
      default -> "failed";
    };
  }

  private static String summary(String body) {
    String lines =
        body.lines()
            .map(l -> l.contains("#") ? l.substring(0, l.indexOf('#')) : l)
            .map(String::strip)
            .filter(l -> !l.isEmpty())
            .collect(Collectors.joining(", "));
    return lines.isEmpty() ? "" : " plan=" + quote(lines);
  }

  /**
   * A value for a log line: quoted, control characters escaped, at most 1 000 characters, so a
   * caller cannot forge or flood log lines.
   */
  static String quote(String s) {
    StringBuilder out = new StringBuilder(Math.min(s.length(), 1000) + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      if (i == 1000) {
        out.append("...(").append(s.length()).append(" chars)");
        break;
      }
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20 || c == 0x7f) {
        out.append(String.format(Locale.ROOT, "\\x%02x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.append('"').toString();
  }

  private static String oneLine(String text) {
    return text.strip().replace('\n', ' ');
  }

  // A lookup may start getent; user grants are decided on the kernel's uid alone.
  private Optional<UserDatabase.Account> account(int uid) {
    return policy.hasGroupGrants() ? users.user(uid) : Optional.empty();
  }

  private static RedirectPlan named(int uid, List<Redirect> redirects) {
    return RedirectPlan.builder().name(Peer.planName(uid)).addAll(redirects).build();
  }

  private static String table(int uid) {
    return "inet privport-" + Peer.planName(uid);
  }

  private Wire.Response apply(Peer peer, String body) {
    RedirectPlan asked = PlanText.parse(body, "request");
    Optional<UserDatabase.Account> account = account(peer.uid());
    for (Redirect r : asked.redirects()) {
      Optional<String> why = policy.refusal(peer, account, r, PlanText.line(r));
      if (why.isPresent()) {
        throw new IllegalArgumentException("not granted: " + why.get());
      }
    }
    Map<String, String> claims = claims(peer.uid());
    for (Redirect r : asked.redirects()) {
      String holder = claims.get(key(r.protocol(), r.fromPort()));
      if (holder != null) {
        throw new IllegalArgumentException(
            "claimed: "
                + r.protocol().keyword()
                + " port "
                + r.fromPort()
                + " is held by "
                + holder);
      }
    }
    RedirectPlan plan = named(peer.uid(), asked.redirects());
    String previous = state.read(peer.uid());
    ruleset.apply(plan);
    try {
      state.save(peer.uid(), PlanText.text(plan));
    } catch (RuntimeException e) {
      // Nothing is left half-applied: put the kernel back to the stored plan.
      restoreKernel(peer.uid(), previous);
      throw e;
    }
    return new Wire.Response(
        0,
        "applied: table "
            + table(peer.uid())
            + " ("
            + plan.redirects().size()
            + (plan.redirects().size() == 1 ? " redirect)\n" : " redirects)\n"));
  }

  private void restoreKernel(int uid, String previous) {
    if (previous == null) {
      ruleset.remove(named(uid, List.of(Redirect.tcp(1, 2))));
    } else {
      ruleset.apply(storedPlan(uid, previous));
    }
  }

  private Wire.Response remove(Peer peer, String body) {
    String stored = state.read(peer.uid());
    boolean all = body.lines().map(l -> l.replaceAll("#.*", "").strip()).allMatch(String::isEmpty);
    List<Redirect> keep = List.of();
    if (!all) {
      RedirectPlan asked = PlanText.parse(body, "request");
      if (stored != null) {
        keep =
            storedPlan(peer.uid(), stored).redirects().stream()
                .filter(
                    r ->
                        asked.redirects().stream()
                            .noneMatch(
                                a -> a.protocol() == r.protocol() && a.fromPort() == r.fromPort()))
                .toList();
      }
    }
    if (keep.isEmpty()) {
      ruleset.remove(named(peer.uid(), List.of(Redirect.tcp(1, 2))));
      state.delete(peer.uid());
      return new Wire.Response(0, "removed: table " + table(peer.uid()) + "\n");
    }
    RedirectPlan plan = named(peer.uid(), keep);
    ruleset.apply(plan);
    try {
      state.save(peer.uid(), PlanText.text(plan));
    } catch (RuntimeException e) {
      restoreKernel(peer.uid(), stored);
      throw e;
    }
    return new Wire.Response(
        0,
        "removed; table "
            + table(peer.uid())
            + " keeps "
            + keep.size()
            + (keep.size() == 1 ? " redirect\n" : " redirects\n"));
  }

  // The table is always the uid's own, whatever name the stored text carries.
  private static RedirectPlan storedPlan(int uid, String text) {
    return named(
        uid, PlanText.parse(text, "state of uid " + Integer.toUnsignedString(uid)).redirects());
  }

  private Wire.Response status(Peer peer) {
    String stored = state.read(peer.uid());
    if (stored == null) {
      return new Wire.Response(
          1,
          "table "
              + table(peer.uid())
              + ": no delegated plan for uid "
              + Integer.toUnsignedString(peer.uid())
              + "\n");
    }
    PlanStatus s = ruleset.inspect(storedPlan(peer.uid(), stored));
    return new Wire.Response(s.inSync() ? 0 : 1, describe(peer.uid(), s));
  }

  private Wire.Response list(Peer peer) {
    if (!peer.isRoot()) {
      throw new IllegalArgumentException(
          "status --all lists every user's plan and is for root, not uid "
              + Integer.toUnsignedString(peer.uid()));
    }
    StringBuilder out = new StringBuilder();
    boolean allInSync = true;
    Map<Integer, String> all = state.all();
    for (Map.Entry<Integer, String> e : all.entrySet()) {
      PlanStatus s = ruleset.inspect(storedPlan(e.getKey(), e.getValue()));
      allInSync &= s.inSync();
      out.append("uid ").append(Integer.toUnsignedString(e.getKey())).append(": ");
      out.append(describe(e.getKey(), s));
    }
    if (all.isEmpty()) {
      out.append("no delegated plans\n");
    }
    return new Wire.Response(allInSync ? 0 : 1, out.toString());
  }

  private static String describe(int uid, PlanStatus s) {
    StringBuilder out = new StringBuilder();
    out.append("table ")
        .append(table(uid))
        .append(": ")
        .append(s.present() ? "present" : "absent")
        .append('\n');
    for (RedirectRule r : s.plan().rules()) {
      Optional<LiveRule> live = s.find(r);
      out.append(
          String.format(
              Locale.ROOT,
              "  %-9s %-10s %-22s %-4s %10s %12s%n",
              r.scope().name().toLowerCase(Locale.ROOT),
              r.inputInterface().orElse("*"),
              r.describe() + (r.singleFamily() ? " " + r.family().keyword() : ""),
              live.isPresent() ? "live" : "gone",
              live.map(l -> l.packets() + " pkts").orElse("-"),
              live.map(l -> l.bytes() + " bytes").orElse("-")));
    }
    s.extra()
        .forEach(r -> out.append("  drift: not in the plan: ").append(r.describe()).append('\n'));
    s.unrecognised()
        .forEach(
            l -> out.append("  drift: unrecognised rule in chain ").append(l.chain()).append('\n'));
    out.append(s.inSync() ? "  in sync with the plan\n" : "  NOT in sync with the plan\n");
    return out.toString();
  }

  private static String key(Protocol protocol, int port) {
    return protocol.keyword() + "/" + port;
  }

  /**
   * Who holds each protocol/port, except {@code uid} itself: every other live {@code inet
   * privport*} table (another user's or an admin's plan) and every other user's stored plan.
   */
  private Map<String, String> claims(int uid) {
    Map<String, String> out = new HashMap<>();
    String own = "privport-" + Peer.planName(uid);
    for (String table : ruleset.privportTables()) {
      if (table.equals(own)) {
        continue;
      }
      Optional<RedirectPlan> probe = probe(table);
      if (probe.isEmpty()) {
        continue; // not a name privport gives a table: no plan of privport's owns it
      }
      String holder =
          table.matches("privport-u\\d{1,10}")
              ? "uid " + table.substring("privport-u".length()) + " (table inet " + table + ")"
              : "an admin plan (table inet " + table + ")";
      for (LiveRule l : ruleset.inspect(probe.get()).live()) {
        for (RedirectRule r : l.redirects()) {
          out.putIfAbsent(key(r.protocol(), r.fromPort()), holder);
        }
      }
    }
    for (Map.Entry<Integer, String> e : state.all().entrySet()) {
      if (e.getKey() == uid) {
        continue;
      }
      String holder =
          "uid " + Integer.toUnsignedString(e.getKey()) + " (table " + table(e.getKey()) + ")";
      try {
        for (Redirect r : storedPlan(e.getKey(), e.getValue()).redirects()) {
          out.putIfAbsent(key(r.protocol(), r.fromPort()), holder);
        }
      } catch (IllegalArgumentException unreadable) {
        log.accept("state of uid " + e.getKey() + " is unreadable: " + unreadable.getMessage());
      }
    }
    return out;
  }

  /**
   * A plan whose table is {@code table}, to inspect it with; empty for names privport never gives.
   */
  private static Optional<RedirectPlan> probe(String table) {
    try {
      RedirectPlan.Builder b = RedirectPlan.builder().tcp(1, 2);
      if (!table.equals(RedirectPlan.DEFAULT_NAME)) {
        if (!table.startsWith("privport-")) {
          return Optional.empty();
        }
        b.name(table.substring("privport-".length()));
      }
      RedirectPlan p = b.build();
      return p.qualifiedName().equals(table) ? Optional.of(p) : Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /**
   * Brings the kernel in line with the stored plans under the current policy, at start and at every
   * reload: each stored plan is re-applied with only the redirects its owner is still granted and
   * that nobody else holds; redirects dropped are logged and forgotten; the daemon's tables that
   * have no stored plan are deleted.
   */
  public synchronized void restore() {
    Map<String, String> taken = new LinkedHashMap<>();
    List<Integer> restored = new ArrayList<>();
    Map<Integer, String> all = state.all();
    for (Map.Entry<Integer, String> e : all.entrySet()) {
      int uid = e.getKey();
      Optional<UserDatabase.Account> account = account(uid);
      Peer owner = new Peer(uid, account.map(UserDatabase.Account::gid).orElse(-1));
      String who = "uid=" + Integer.toUnsignedString(uid);
      RedirectPlan stored;
      try {
        stored = storedPlan(uid, e.getValue());
      } catch (IllegalArgumentException bad) {
        log.accept(who + " restore verdict=failed reason=" + quote(bad.getMessage()));
        continue;
      }
      Map<String, String> claims = new HashMap<>(claimsOfAdmins());
      claims.putAll(taken);
      List<Redirect> keep = new ArrayList<>();
      for (Redirect r : stored.redirects()) {
        Optional<String> why = policy.refusal(owner, account, r, PlanText.line(r));
        String holder = claims.get(key(r.protocol(), r.fromPort()));
        if (why.isEmpty() && holder != null) {
          why = Optional.of(PlanText.line(r) + ": held by " + holder);
        }
        if (why.isPresent()) {
          log.accept(who + " restore dropped=" + quote(why.get()));
        } else {
          keep.add(r);
        }
      }
      try {
        if (keep.isEmpty()) {
          ruleset.remove(stored);
          state.delete(uid);
          log.accept(who + " restore verdict=removed (nothing granted remains)");
          continue;
        }
        RedirectPlan plan = named(uid, keep);
        ruleset.apply(plan);
        if (keep.size() != stored.redirects().size()) {
          state.save(uid, PlanText.text(plan));
        }
        keep.forEach(
            r ->
                taken.put(key(r.protocol(), r.fromPort()), "uid " + Integer.toUnsignedString(uid)));
        restored.add(uid);
        log.accept(who + " restore verdict=ok redirects=" + keep.size());
      } catch (RuntimeException failed) {
        log.accept(
            who + " restore verdict=failed reason=" + quote(String.valueOf(failed.getMessage())));
      }
    }
    for (String table : ruleset.privportTables()) {
      if (table.matches("privport-u\\d{1,10}")) {
        long uid = Long.parseLong(table.substring("privport-u".length()));
        if (uid <= 0xFFFF_FFFEL && !all.containsKey((int) uid)) {
          probe(table).ifPresent(ruleset::remove);
          log.accept(
              "uid=" + uid + " restore verdict=removed (a daemon table without stored plan)");
        }
      }
    }
  }

  private Map<String, String> claimsOfAdmins() {
    Map<String, String> out = new HashMap<>();
    for (String table : ruleset.privportTables()) {
      if (table.matches("privport-u\\d{1,10}")) {
        continue;
      }
      probe(table)
          .ifPresent(
              p -> {
                for (LiveRule l : ruleset.inspect(p).live()) {
                  for (RedirectRule r : l.redirects()) {
                    out.putIfAbsent(
                        key(r.protocol(), r.fromPort()),
                        "an admin plan (table inet " + table + ")");
                  }
                }
              });
    }
    return out;
  }

  /** Replaces the policy (after a reload) and brings every stored plan in line with it. */
  public synchronized void reload(Supplier<Policy> load) {
    Policy next;
    try {
      next = load.get();
    } catch (RuntimeException e) {
      log.accept(
          "reload verdict=failed, keeping the previous policy: reason="
              + quote(String.valueOf(e.getMessage())));
      return;
    }
    policy = next;
    log.accept("reload verdict=ok grants=" + next.grants().size() + " from " + next.source());
    restore();
  }
}
