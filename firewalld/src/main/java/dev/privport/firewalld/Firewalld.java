package dev.privport.firewalld;

import dev.privport.core.RedirectPlan;
import dev.privport.firewalld.FirewalldBus.ChainStruct;
import dev.privport.firewalld.FirewalldBus.DirectSettings;
import dev.privport.firewalld.FirewalldBus.RuleStruct;
import dev.privport.firewalld.FirewalldException.Reason;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.errors.AccessDenied;
import org.freedesktop.dbus.errors.NoReply;
import org.freedesktop.dbus.errors.ServiceUnknown;
import org.freedesktop.dbus.errors.Timeout;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.freedesktop.dbus.interfaces.Properties;
import org.freedesktop.dbus.types.Variant;

/**
 * Applies and removes plans through a running firewalld, in-process over D-Bus, with a constant
 * number of calls whatever the plan's size:
 *
 * <pre>{@code
 * try (Firewalld firewalld = Firewalld.connect()) {       // $DBUS_SYSTEM_BUS_ADDRESS or the system bus
 *   firewalld.apply(new FirewalldRenderer().renderDirect(plan));
 *   firewalld.remove(new FirewalldRenderer().renderDirect(plan));
 *   firewalld.apply(new FirewalldRenderer().renderPolicies(plan, addresses));
 * }
 * }</pre>
 *
 * <p>Each operation reads firewalld's permanent configuration, writes the plan into it (or takes
 * exactly the plan out of it) in one update, and reloads once: the same end state as the rendered
 * {@code firewall-cmd --permanent ...; firewall-cmd --reload}, which also survives reloads and
 * reboots. firewalld has no call that adds many runtime rules at once, and one {@code addRule} per
 * rule costs 5-15 ms in firewalld itself (see the README's measurements).
 *
 * <ul>
 *   <li><b>Idempotent:</b> when the permanent and the runtime configuration already hold exactly
 *       the plan, nothing is written and firewalld is not reloaded.
 *   <li><b>Exact undo:</b> removing takes out the plan's rules (and every rule in chains the plan
 *       declares) or the plan's policies, and keeps every other permanent rule, chain, passthrough
 *       and policy. Like any {@code firewall-cmd --reload}, the reload drops changes others made to
 *       the runtime configuration only ({@code FlushAllOnReload=yes}, firewalld's default).
 *   <li><b>Nothing half-applied:</b> when firewalld refuses the new configuration (an update, or
 *       the reload that loads it), the previous permanent configuration is written back and
 *       reloaded, and a {@link FirewalldException} with {@link Reason#REJECTED} names the cause.
 * </ul>
 *
 * Operations on one bus, from any thread or privport process, run one at a time (a lock file, see
 * {@code locked}); without it, two would each write back a copy without the other's plan.
 */
public final class Firewalld implements AutoCloseable {
  /** Where the system bus listens when {@code DBUS_SYSTEM_BUS_ADDRESS} is not set. */
  public static final String DEFAULT_SYSTEM_BUS = "unix:path=/run/dbus/system_bus_socket";

  private static final int CONNECT_TIMEOUT_MS = 3_000;
  private static final String POLICY_TARGET = "CONTINUE";
  private static final int POLICY_PRIORITY = -1;

  private final String address;
  private final DBusConnection connection;
  private final FirewalldBus.Main main;
  private final FirewalldBus.Direct direct;
  private final FirewalldBus.Policy policy;
  private final FirewalldBus.Config config;
  private final FirewalldBus.ConfigDirect configDirect;
  private final Properties properties;
  private int calls;

  private Firewalld(String address, DBusConnection connection) throws DBusException {
    this.address = address;
    this.connection = connection;
    this.main = remote(FirewalldBus.PATH, FirewalldBus.Main.class);
    this.direct = remote(FirewalldBus.PATH, FirewalldBus.Direct.class);
    this.policy = remote(FirewalldBus.PATH, FirewalldBus.Policy.class);
    this.properties = remote(FirewalldBus.PATH, Properties.class);
    this.config = remote(FirewalldBus.CONFIG_PATH, FirewalldBus.Config.class);
    this.configDirect = remote(FirewalldBus.CONFIG_PATH, FirewalldBus.ConfigDirect.class);
  }

  private <T extends org.freedesktop.dbus.interfaces.DBusInterface> T remote(
      String path, Class<T> type) throws DBusException {
    return connection.getRemoteObject(FirewalldBus.BUS_NAME, path, type);
  }

  /**
   * The system bus address: {@code DBUS_SYSTEM_BUS_ADDRESS} when set (as for a private firewalld),
   * else {@link #DEFAULT_SYSTEM_BUS}.
   */
  public static String systemBusAddress() {
    String env = System.getenv("DBUS_SYSTEM_BUS_ADDRESS");
    return env == null || env.isBlank() ? DEFAULT_SYSTEM_BUS : env.strip();
  }

  /** Connects to firewalld on the {@linkplain #systemBusAddress() system bus}. */
  public static Firewalld connect() {
    return connect(systemBusAddress());
  }

  /**
   * Connects to firewalld on the bus at {@code busAddress} ({@code unix:path=...}) and checks that
   * it is running.
   *
   * @throws FirewalldException {@link Reason#UNREACHABLE} when the bus cannot be reached, {@link
   *     Reason#NOT_RUNNING} when firewalld is not on it or not running
   * @throws IllegalStateException when dbus-java is not on the class path
   */
  public static Firewalld connect(String busAddress) {
    try {
      Class.forName("org.freedesktop.dbus.connections.impl.DBusConnectionBuilder");
      Class.forName("org.freedesktop.dbus.transport.jre.NativeTransportProvider");
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException(
          "Firewalld needs com.github.hypfvieh:dbus-java-core and"
              + " dbus-java-transport-native-unixsocket (5.2.x) on the class path, missing: "
              + e.getMessage());
    }
    if (busAddress.startsWith("unix:path=")) {
      // Fail at once, and clearly, where dbus-java would retry for seconds.
      Path socket = Path.of(busAddress.substring("unix:path=".length()).split(",", 2)[0]);
      if (!Files.exists(socket)) {
        throw new FirewalldException(
            Reason.UNREACHABLE,
            "firewalld: cannot reach the D-Bus system bus at "
                + busAddress
                + ": no socket "
                + socket,
            null);
      }
    }
    DBusConnection connection = build(busAddress);
    try {
      Firewalld firewalld = new Firewalld(busAddress, connection);
      firewalld.requireRunning();
      return firewalld;
    } catch (DBusException | RuntimeException e) {
      connection.disconnect();
      if (e instanceof FirewalldException f) {
        throw f;
      }
      throw new FirewalldException(
          Reason.FAILED, "firewalld: on " + busAddress + ": " + describe(e), e);
    }
  }

  /**
   * Opens the connection on a daemon thread and waits a bounded time: a socket that accepts but
   * never speaks D-Bus would otherwise block the caller for ever in the authentication.
   */
  private static DBusConnection build(String busAddress) {
    FutureTask<DBusConnection> task =
        new FutureTask<>(
            () ->
                DBusConnectionBuilder.forAddress(busAddress)
                    .withShared(false)
                    .transportConfig()
                    .withTimeout(CONNECT_TIMEOUT_MS)
                    .back()
                    .build());
    Thread thread = new Thread(task, "privport-dbus-connect");
    thread.setDaemon(true);
    thread.start();
    try {
      return task.get(3L * CONNECT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      task.cancel(true);
      throw new FirewalldException(
          Reason.UNREACHABLE,
          "firewalld: no D-Bus answer within "
              + 3 * CONNECT_TIMEOUT_MS / 1000
              + " s from "
              + busAddress,
          e);
    } catch (ExecutionException e) {
      throw new FirewalldException(
          Reason.UNREACHABLE,
          "firewalld: cannot reach the D-Bus system bus at "
              + busAddress
              + ": "
              + describe(e.getCause()),
          e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FirewalldException(
          Reason.UNREACHABLE, "firewalld: interrupted connecting to " + busAddress, e);
    }
  }

  /**
   * Puts {@code plan}'s direct rules ({@link FirewalldRenderer#renderDirect}) into firewalld, as
   * {@link #apply(FirewalldDirectRules)} does.
   */
  public FirewalldChange apply(RedirectPlan plan) {
    return apply(new FirewalldRenderer().renderDirect(plan));
  }

  /**
   * Takes {@code plan}'s direct rules out of firewalld, as {@link #remove(FirewalldDirectRules)}.
   */
  public FirewalldChange remove(RedirectPlan plan) {
    return remove(new FirewalldRenderer().renderDirect(plan));
  }

  /**
   * {@code plan}'s direct rules in firewalld, as {@link #inspect(FirewalldDirectRules)} reads them.
   */
  public FirewalldDirectStatus inspect(RedirectPlan plan) {
    return inspect(new FirewalldRenderer().renderDirect(plan));
  }

  /**
   * Puts a plan's direct rules into firewalld: into the permanent configuration, then the runtime
   * by one reload. Rules of the plan already present are kept; in chains the plan declares, rules
   * the plan no longer has are dropped.
   *
   * @throws IllegalArgumentException when {@code rules} holds a call other than {@code --direct
   *     --add-chain|--add-rule}, before anything is sent
   * @throws FirewalldException on any failure, with firewalld's previous configuration in place
   */
  public synchronized FirewalldChange apply(FirewalldDirectRules rules) {
    DirectBatch want = DirectBatch.of(rules);
    return locked(() -> converge(want, true));
  }

  /**
   * Makes firewalld's permanent and runtime direct configuration hold the plan's rules and chains
   * ({@code keep}) or none of them (not {@code keep}): every other direct rule, chain and
   * passthrough stays. One reload; nothing is sent when both already hold.
   */
  private FirewalldChange converge(DirectBatch want, boolean keep) {
    calls = 0;
    requireRunning();
    Set<DirectBatch.Rule> wantedRules = keep ? want.rules() : Set.of();
    Set<DirectBatch.Chain> wantedChains = keep ? want.chains() : Set.of();
    DirectSettings before = call(configDirect::getSettings);
    List<DirectBatch.Rule> permanent = rules(before.rules);
    List<DirectBatch.Chain> permanentChains = chains(before.chains);
    Set<DirectBatch.Rule> rules = new LinkedHashSet<>();
    for (DirectBatch.Rule r : permanent) {
      if (!want.owns(r) || wantedRules.contains(r)) rules.add(r);
    }
    rules.addAll(wantedRules);
    Set<DirectBatch.Chain> chains = new LinkedHashSet<>();
    for (DirectBatch.Chain c : permanentChains) {
      if (!want.chains().contains(c) || wantedChains.contains(c)) chains.add(c);
    }
    chains.addAll(wantedChains);
    List<DirectBatch.Rule> runtime = rules(call(direct::getAllRules));
    Set<DirectBatch.Chain> runtimeChains = new HashSet<>(chains(call(direct::getAllChains)));
    runtimeChains.retainAll(want.chains());
    boolean permanentHolds =
        new HashSet<>(permanent).equals(rules) && new HashSet<>(permanentChains).equals(chains);
    boolean runtimeHolds =
        new HashSet<>(want.ownedIn(runtime)).equals(wantedRules)
            && runtimeChains.equals(wantedChains);
    if (permanentHolds && runtimeHolds) {
      return new FirewalldChange(false, calls);
    }
    if (!permanentHolds) {
      update(before, settings(chains, rules, before));
    }
    reloadOr(() -> restore(before));
    List<DirectBatch.Rule> loaded = rules(call(direct::getAllRules));
    Set<DirectBatch.Rule> missing = new LinkedHashSet<>(wantedRules);
    missing.removeAll(loaded);
    if (!missing.isEmpty()) {
      String rollback = rollback(() -> restore(before));
      throw new FirewalldException(
          Reason.REJECTED,
          "firewalld did not load direct rule "
              + missing.iterator().next()
              + " after reload; previous configuration "
              + rollback,
          null);
    }
    // With FlushAllOnReload=no a reload keeps earlier runtime rules: take the plan's stale ones out
    // (and, when removing, its chains).
    List<DirectBatch.Rule> stale = new ArrayList<>();
    for (DirectBatch.Rule r : want.ownedIn(loaded)) {
      if (!wantedRules.contains(r)) stale.add(r);
    }
    for (DirectBatch.Rule r : stale) removeRuntime(r);
    if (!stale.isEmpty() && !keep) {
      Set<DirectBatch.Chain> leftChains = new HashSet<>(chains(call(direct::getAllChains)));
      leftChains.retainAll(want.chains());
      for (DirectBatch.Chain c : leftChains) {
        call(() -> direct.removeChain(c.ipv(), c.table(), c.chain()));
      }
    }
    return new FirewalldChange(true, calls);
  }

  /**
   * Takes a plan's direct rules, and every rule in chains the plan declares, out of firewalld's
   * permanent and runtime configuration; every other direct rule, chain and passthrough stays.
   * Succeeds, changing nothing, when they are already gone.
   *
   * @throws IllegalArgumentException as {@link #apply(FirewalldDirectRules)}
   * @throws FirewalldException on any failure, with firewalld's previous configuration in place
   */
  public synchronized FirewalldChange remove(FirewalldDirectRules rules) {
    DirectBatch want = DirectBatch.of(rules);
    return locked(() -> converge(want, false));
  }

  /**
   * Makes firewalld's permanent configuration hold exactly the plan's policies (creating, updating,
   * or deleting those the plan owns, no other), then reloads once.
   *
   * @throws IllegalArgumentException when {@code policies} holds a step the executor cannot read,
   *     before anything is sent
   * @throws FirewalldException on any failure, with firewalld's previous configuration in place
   */
  public synchronized FirewalldChange apply(FirewalldPolicies policies) {
    PolicyBatch want = PolicyBatch.forApply(policies);
    return locked(() -> converge(want));
  }

  /**
   * Deletes the plan's policies from firewalld's permanent configuration, then reloads once; every
   * other policy stays. Succeeds, changing nothing, when they are already gone.
   *
   * @throws IllegalArgumentException as {@link #apply(FirewalldPolicies)}
   * @throws FirewalldException on any failure, with firewalld's previous configuration in place
   */
  public synchronized FirewalldChange remove(FirewalldPolicies policies) {
    PolicyBatch want = PolicyBatch.forRemove(policies);
    return locked(() -> converge(want));
  }

  private FirewalldChange converge(PolicyBatch want) {
    calls = 0;
    requireRunning();
    List<String> names = call(config::getPolicyNames);
    List<String> runtimeNames = call(policy::getPolicies);
    Map<String, Map<String, Variant<?>>> previous = new LinkedHashMap<>();
    boolean holds = true;
    for (String name : want.owned()) {
      PolicyBatch.Spec spec = want.wanted().get(name);
      if (names.contains(name)) {
        previous.put(name, call(() -> configPolicy(name).getSettings()));
      }
      if (spec == null) {
        holds &= !names.contains(name) && !runtimeNames.contains(name);
      } else {
        holds &=
            previous.containsKey(name)
                && matches(previous.get(name), spec)
                && runtimeNames.contains(name)
                && matches(call(() -> policy.getPolicySettings(name)), spec);
      }
    }
    if (holds) {
      return new FirewalldChange(false, calls);
    }
    Runnable restore = () -> restorePolicies(want.owned(), previous);
    try {
      for (String name : want.owned()) {
        PolicyBatch.Spec spec = want.wanted().get(name);
        Map<String, Variant<?>> old = previous.get(name);
        if (spec == null && old != null) {
          call(() -> configPolicy(name).remove());
        } else if (spec != null && old == null) {
          call(() -> config.addPolicy(name, settings(new HashMap<>(), spec)));
        } else if (spec != null && !matches(old, spec)) {
          call(() -> configPolicy(name).update(settings(new HashMap<>(old), spec)));
        }
      }
    } catch (FirewalldException e) {
      throw rejected(e, rollback(restore));
    }
    reloadOr(restore);
    List<String> loaded = call(policy::getPolicies);
    for (String name : want.owned()) {
      if (loaded.contains(name) != want.wanted().containsKey(name)) {
        String rollback = rollback(restore);
        throw new FirewalldException(
            Reason.REJECTED,
            "firewalld did not "
                + (loaded.contains(name) ? "delete" : "load")
                + " policy "
                + name
                + " on reload; previous configuration "
                + rollback,
            null);
      }
    }
    return new FirewalldChange(true, calls);
  }

  private FirewalldBus.ConfigPolicy configPolicy(String name) {
    DBusPath path = config.getPolicyByName(name);
    try {
      return remote(path.getPath(), FirewalldBus.ConfigPolicy.class);
    } catch (DBusException e) {
      throw new DBusExecutionException(e.getMessage(), e);
    }
  }

  /** Puts each owned policy back as it was (present with its settings, or absent); reloads. */
  private void restorePolicies(Set<String> owned, Map<String, Map<String, Variant<?>>> previous) {
    List<String> names = call(config::getPolicyNames);
    for (String name : owned) {
      Map<String, Variant<?>> old = previous.get(name);
      if (old == null && names.contains(name)) {
        call(() -> configPolicy(name).remove());
      } else if (old != null && names.contains(name)) {
        call(() -> configPolicy(name).update(old));
      } else if (old != null) {
        call(() -> config.addPolicy(name, old));
      }
    }
    call(
        () -> {
          main.reload();
          return null;
        });
  }

  /**
   * Whether firewalld's settings for a policy are the spec's (keys privport sets, nothing else).
   */
  private static boolean matches(Map<String, Variant<?>> settings, PolicyBatch.Spec spec) {
    return strings(settings, "ingress_zones").equals(Set.copyOf(spec.ingressZones()))
        && strings(settings, "egress_zones").equals(Set.copyOf(spec.egressZones()))
        && strings(settings, "rich_rules").equals(Set.copyOf(spec.richRules()))
        && spec.target().orElse(POLICY_TARGET).equals(value(settings, "target"))
        && Integer.valueOf(spec.priority().orElse(POLICY_PRIORITY))
            .equals(value(settings, "priority"));
  }

  private static Object value(Map<String, Variant<?>> settings, String key) {
    Variant<?> v = settings.get(key);
    return v == null ? null : v.getValue();
  }

  private static Set<String> strings(Map<String, Variant<?>> settings, String key) {
    Set<String> out = new HashSet<>();
    if (value(settings, key) instanceof List<?> list) {
      list.forEach(o -> out.add(String.valueOf(o)));
    }
    return out;
  }

  private static Map<String, Variant<?>> settings(
      Map<String, Variant<?>> base, PolicyBatch.Spec spec) {
    base.put("ingress_zones", new Variant<>(spec.ingressZones(), "as"));
    base.put("egress_zones", new Variant<>(spec.egressZones(), "as"));
    base.put("rich_rules", new Variant<>(spec.richRules(), "as"));
    base.put("target", new Variant<>(spec.target().orElse(POLICY_TARGET)));
    base.put("priority", new Variant<>(spec.priority().orElse(POLICY_PRIORITY)));
    return base;
  }

  /**
   * Reads which of a plan's direct rules firewalld holds, at runtime and permanently, and which
   * rules carry the plan's comment ({@code privport-web: ...}) without being in it. Changes
   * nothing; 3 D-Bus calls.
   *
   * @throws IllegalArgumentException as {@link #apply(FirewalldDirectRules)}
   * @throws FirewalldException when firewalld cannot be asked
   */
  public synchronized FirewalldDirectStatus inspect(FirewalldDirectRules rules) {
    DirectBatch want = DirectBatch.of(rules);
    calls = 0;
    requireRunning();
    Set<DirectBatch.Rule> runtime = new LinkedHashSet<>(rules(call(direct::getAllRules)));
    Set<DirectBatch.Rule> permanent =
        new LinkedHashSet<>(rules(call(configDirect::getSettings).rules));
    Set<String> tags = new HashSet<>();
    for (DirectBatch.Rule r : want.rules()) {
      comment(r).map(c -> c.substring(0, c.indexOf(": ") + 2)).ifPresent(tags::add);
    }
    List<FirewalldDirectStatus.Rule> mine = new ArrayList<>();
    for (DirectBatch.Rule r : want.rules()) {
      mine.add(
          new FirewalldDirectStatus.Rule(r.toString(), runtime.contains(r), permanent.contains(r)));
    }
    Set<DirectBatch.Rule> others = new LinkedHashSet<>(runtime);
    others.addAll(permanent);
    List<FirewalldDirectStatus.Rule> extra = new ArrayList<>();
    for (DirectBatch.Rule r : others) {
      boolean tagged = comment(r).filter(c -> tags.stream().anyMatch(c::startsWith)).isPresent();
      if (!want.rules().contains(r) && (tagged || want.owns(r))) {
        extra.add(
            new FirewalldDirectStatus.Rule(
                r.toString(), runtime.contains(r), permanent.contains(r)));
      }
    }
    return new FirewalldDirectStatus(mine, extra);
  }

  /** A rule's {@code --comment} when it has one of the {@code PLAN: ...} form. */
  private static Optional<String> comment(DirectBatch.Rule r) {
    int i = r.args().indexOf("--comment");
    if (i < 0 || i + 1 >= r.args().size() || !r.args().get(i + 1).contains(": ")) {
      return Optional.empty();
    }
    return Optional.of(r.args().get(i + 1));
  }

  // ---- direct rules ----

  private void update(DirectSettings before, DirectSettings after) {
    try {
      call(() -> configDirect.update(after));
    } catch (FirewalldException e) {
      throw rejected(e, rollback(() -> restore(before)));
    }
  }

  private void restore(DirectSettings before) {
    call(() -> configDirect.update(before));
    call(
        () -> {
          main.reload();
          return null;
        });
  }

  private void removeRuntime(DirectBatch.Rule r) {
    call(() -> direct.removeRule(r.ipv(), r.table(), r.chain(), r.priority(), r.args()));
  }

  private static List<DirectBatch.Rule> rules(List<RuleStruct> structs) {
    List<DirectBatch.Rule> out = new ArrayList<>(structs.size());
    for (RuleStruct s : structs) {
      out.add(new DirectBatch.Rule(s.ipv, s.table, s.chain, s.priority, s.args));
    }
    return out;
  }

  private static List<DirectBatch.Chain> chains(List<ChainStruct> structs) {
    List<DirectBatch.Chain> out = new ArrayList<>(structs.size());
    for (ChainStruct s : structs) {
      out.add(new DirectBatch.Chain(s.ipv, s.table, s.chain));
    }
    return out;
  }

  private static DirectSettings settings(
      Set<DirectBatch.Chain> chains, Set<DirectBatch.Rule> rules, DirectSettings passthroughsFrom) {
    List<ChainStruct> c = new ArrayList<>();
    chains.forEach(x -> c.add(new ChainStruct(x.ipv(), x.table(), x.chain())));
    List<RuleStruct> r = new ArrayList<>();
    rules.forEach(
        x -> r.add(new RuleStruct(x.ipv(), x.table(), x.chain(), x.priority(), x.args())));
    return new DirectSettings(c, r, passthroughsFrom.passthroughs);
  }

  // ---- the lock, calls, reloads, errors ----

  /** How long an operation waits for another privport process's operation on the same bus. */
  private static final long LOCK_WAIT_NANOS = 120_000_000_000L;

  private static final Map<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

  /**
   * Runs {@code op} holding a lock shared by every privport process and thread acting on this bus.
   * Each operation reads, changes and writes firewalld's whole permanent configuration; two at once
   * would each write back a copy without the other's plan. The file lives in {@code /run} (root's),
   * else in the temporary directory, and is never followed through a symbolic link.
   */
  private <T> T locked(Supplier<T> op) {
    Path file = lockFile();
    ReentrantLock jvm = JVM_LOCKS.computeIfAbsent(file, f -> new ReentrantLock());
    jvm.lock(); // one FileChannel lock per JVM and file: threads queue here first
    try (FileChannel channel =
        FileChannel.open(
            file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
      long deadline = System.nanoTime() + LOCK_WAIT_NANOS;
      FileLock lock;
      while ((lock = channel.tryLock()) == null) {
        if (System.nanoTime() > deadline) {
          throw new FirewalldException(
              Reason.FAILED,
              "firewalld: another process has held "
                  + file
                  + " for over 120 s; not changing firewalld",
              null);
        }
        Thread.sleep(20);
      }
      try {
        return op.get();
      } finally {
        lock.release();
      }
    } catch (IOException e) {
      throw new FirewalldException(
          Reason.FAILED, "firewalld: cannot lock " + file + ": " + describe(e), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FirewalldException(Reason.FAILED, "firewalld: interrupted waiting for " + file, e);
    } finally {
      jvm.unlock();
    }
  }

  /**
   * The lock's file: {@code /run/privport-firewalld.lock} for the system bus; beside the socket for
   * a bus at another path (a private bus's directory, removed with it); else in the temporary
   * directory.
   */
  private Path lockFile() {
    Path run = Path.of("/run");
    if (address.equals(DEFAULT_SYSTEM_BUS) && Files.isWritable(run)) {
      return run.resolve("privport-firewalld.lock");
    }
    if (address.startsWith("unix:path=")) {
      Path socket = Path.of(address.substring("unix:path=".length()).split(",", 2)[0]);
      if (socket.getParent() != null && Files.isWritable(socket.getParent())) {
        return socket.resolveSibling(socket.getFileName() + ".privport-lock");
      }
    }
    String id = Integer.toHexString(address.hashCode());
    return Path.of(System.getProperty("java.io.tmpdir"), "privport-firewalld-" + id + ".lock");
  }

  /** Reloads; when firewalld refuses, runs {@code restore} and throws {@link Reason#REJECTED}. */
  private void reloadOr(Runnable restore) {
    try {
      call(
          () -> {
            main.reload();
            return null;
          });
    } catch (FirewalldException e) {
      throw rejected(e, rollback(restore));
    }
  }

  private static FirewalldException rejected(FirewalldException e, String rollback) {
    if (e.reason() != Reason.FAILED) {
      return e; // not a refusal of the plan: unreachable, denied
    }
    return new FirewalldException(
        Reason.REJECTED,
        "firewalld rejected the plan: " + e.getMessage() + "; previous configuration " + rollback,
        e);
  }

  /** Runs {@code restore}; says how it went, for the error message. */
  private static String rollback(Runnable restore) {
    try {
      restore.run();
      return "restored";
    } catch (RuntimeException e) {
      return "NOT restored: " + describe(e);
    }
  }

  private void requireRunning() {
    Object state = call(() -> properties.Get(FirewalldBus.BUS_NAME, "state"));
    if (!"RUNNING".equals(state)) {
      throw new FirewalldException(
          Reason.NOT_RUNNING,
          "firewalld on " + address + " is in state " + state + ", not RUNNING",
          null);
    }
  }

  private void call(Runnable r) {
    call(
        () -> {
          r.run();
          return null;
        });
  }

  private <T> T call(Supplier<T> s) {
    calls++;
    try {
      return s.get();
    } catch (DBusExecutionException e) {
      throw translate(e);
    }
  }

  private FirewalldException translate(DBusExecutionException e) {
    String text = describe(e);
    if (e instanceof ServiceUnknown) {
      return new FirewalldException(
          Reason.NOT_RUNNING,
          "firewalld is not running: nothing owns "
              + FirewalldBus.BUS_NAME
              + " on the bus at "
              + address,
          e);
    }
    if (e instanceof AccessDenied
        || text.startsWith("NOT_AUTHORIZED")
        || text.startsWith("ACCESS_DENIED")) {
      return new FirewalldException(
          Reason.DENIED, "firewalld refused access on " + address + ": " + text, e);
    }
    if (!connection.isConnected()) {
      return new FirewalldException(
          Reason.UNREACHABLE, "firewalld: lost the bus at " + address + ": " + text, e);
    }
    if (e instanceof NoReply || e instanceof Timeout) {
      return new FirewalldException(
          Reason.FAILED, "firewalld did not answer on " + address + ": " + text, e);
    }
    return new FirewalldException(Reason.FAILED, text, e);
  }

  private static String describe(Throwable e) {
    String m = e.getMessage();
    if (m == null || m.isBlank()) {
      m = e.getClass().getSimpleName();
    }
    return FirewalldException.oneLine(m);
  }

  /** The bus address this instance talks to. */
  public String busAddress() {
    return address;
  }

  /** Closes the D-Bus connection. */
  @Override
  public synchronized void close() {
    connection.disconnect();
  }
}
