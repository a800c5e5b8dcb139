package dev.privport.firewalld;

import java.util.List;
import java.util.Map;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.Struct;
import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.annotations.Position;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.freedesktop.dbus.types.Variant;

/**
 * The part of firewalld's D-Bus API (firewalld.dbus(5)) that {@link Firewalld} uses, as dbus-java
 * interfaces and structs. Only this class and {@link Firewalld}'s connection code name dbus-java
 * types, so the renderers load without it (it is an optional dependency).
 */
final class FirewalldBus {
  static final String BUS_NAME = "org.fedoraproject.FirewallD1";
  static final String PATH = "/org/fedoraproject/FirewallD1";
  static final String CONFIG_PATH = "/org/fedoraproject/FirewallD1/config";

  private FirewalldBus() {}

  /** The main object: reload and the {@code state} property. */
  @DBusInterfaceName("org.fedoraproject.FirewallD1")
  public interface Main extends DBusInterface {
    void reload();
  }

  /** Runtime direct rules (deprecated by firewalld since 1.0, still shipped). */
  @DBusInterfaceName("org.fedoraproject.FirewallD1.direct")
  public interface Direct extends DBusInterface {
    List<ChainStruct> getAllChains();

    List<RuleStruct> getAllRules();

    void removeRule(String ipv, String table, String chain, int priority, List<String> args);

    void removeChain(String ipv, String table, String chain);
  }

  /** Runtime policies. */
  @DBusInterfaceName("org.fedoraproject.FirewallD1.policy")
  public interface Policy extends DBusInterface {
    List<String> getPolicies();

    Map<String, Variant<?>> getPolicySettings(String policy);
  }

  /** The permanent configuration's root object. */
  @DBusInterfaceName("org.fedoraproject.FirewallD1.config")
  public interface Config extends DBusInterface {
    List<String> getPolicyNames();

    DBusPath getPolicyByName(String policy);

    DBusPath addPolicy(String policy, Map<String, Variant<?>> settings);
  }

  /** The permanent direct configuration, {@code direct.xml}, read and replaced whole. */
  @DBusInterfaceName("org.fedoraproject.FirewallD1.config.direct")
  public interface ConfigDirect extends DBusInterface {
    DirectSettings getSettings();

    void update(DirectSettings settings);
  }

  /** One permanent policy. */
  @DBusInterfaceName("org.fedoraproject.FirewallD1.config.policy")
  public interface ConfigPolicy extends DBusInterface {
    Map<String, Variant<?>> getSettings();

    void update(Map<String, Variant<?>> settings);

    void remove();
  }

  /** {@code (sss)}: ipv, table, chain. */
  public static final class ChainStruct extends Struct {
    @Position(0)
    public final String ipv;

    @Position(1)
    public final String table;

    @Position(2)
    public final String chain;

    public ChainStruct(String ipv, String table, String chain) {
      this.ipv = ipv;
      this.table = table;
      this.chain = chain;
    }
  }

  /** {@code (sssias)}: ipv, table, chain, priority, arguments. */
  public static final class RuleStruct extends Struct {
    @Position(0)
    public final String ipv;

    @Position(1)
    public final String table;

    @Position(2)
    public final String chain;

    @Position(3)
    public final int priority;

    @Position(4)
    public final List<String> args;

    public RuleStruct(String ipv, String table, String chain, int priority, List<String> args) {
      this.ipv = ipv;
      this.table = table;
      this.chain = chain;
      this.priority = priority;
      this.args = args;
    }
  }

  /** {@code (sas)}: ipv, arguments. */
  public static final class PassthroughStruct extends Struct {
    @Position(0)
    public final String ipv;

    @Position(1)
    public final List<String> args;

    public PassthroughStruct(String ipv, List<String> args) {
      this.ipv = ipv;
      this.args = args;
    }
  }

  /** {@code (a(sss)a(sssias)a(sas))}: the whole permanent direct configuration. */
  public static final class DirectSettings extends Struct {
    @Position(0)
    public final List<ChainStruct> chains;

    @Position(1)
    public final List<RuleStruct> rules;

    @Position(2)
    public final List<PassthroughStruct> passthroughs;

    public DirectSettings(
        List<ChainStruct> chains, List<RuleStruct> rules, List<PassthroughStruct> passthroughs) {
      this.chains = chains;
      this.rules = rules;
      this.passthroughs = passthroughs;
    }
  }
}
