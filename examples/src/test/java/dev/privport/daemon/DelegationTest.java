package dev.privport.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.core.RedirectPlan;
import dev.privport.core.RedirectRule;
import dev.privport.nft.LiveRule;
import dev.privport.nft.NftRenderer;
import dev.privport.nft.PlanStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's decisions against an in-memory ruleset: what is left when storing fails, and how
 * stored plans are brought in line with the policy at start and reload. (The kernel test proves the
 * same paths with libnftables and real traffic.)
 */
class DelegationTest {
  @TempDir Path dir;

  private final Map<String, RedirectPlan> tables = new TreeMap<>();
  private final List<String> log = new ArrayList<>();
  private StateStore state;
  private UserDatabase users;

  /** A ruleset of whole tables, as libnftables replaces them. */
  private final Ruleset fake =
      new Ruleset() {
        @Override
        public void apply(RedirectPlan plan) {
          tables.put(NftRenderer.tableName(plan), plan);
        }

        @Override
        public void remove(RedirectPlan plan) {
          tables.remove(NftRenderer.tableName(plan));
        }

        @Override
        public PlanStatus inspect(RedirectPlan plan) {
          RedirectPlan live = tables.get(NftRenderer.tableName(plan));
          if (live == null) {
            return new PlanStatus(plan, false, List.of(), plan.rules(), List.of(), List.of());
          }
          List<RedirectRule> missing = new ArrayList<>(plan.rules());
          missing.removeAll(live.rules());
          List<RedirectRule> extra = new ArrayList<>(live.rules());
          extra.removeAll(plan.rules());
          return new PlanStatus(
              plan,
              true,
              List.of(new LiveRule("incoming", 1, live.rules(), 0, 0)),
              missing,
              extra,
              List.of());
        }

        @Override
        public List<String> privportTables() {
          return List.copyOf(tables.keySet());
        }
      };

  @BeforeEach
  void setUp() throws IOException {
    state = StateStore.open(dir.resolve("state"));
    Path passwd = Files.writeString(dir.resolve("passwd"), "alice:x:1000:1000::/:/bin/sh\n");
    Path group = Files.writeString(dir.resolve("group"), "");
    users = UserDatabase.files(passwd, group);
  }

  private Delegation delegation(String policy) {
    return new Delegation(Policy.parse(policy, "policy", users), fake, state, users, log::add);
  }

  private static Wire.Request apply(String plan) {
    return new Wire.Request(Wire.Verb.APPLY, plan);
  }

  @Test
  void whenTheStateCannotBeWrittenTheKernelIsPutBack() throws IOException {
    Delegation d = delegation("allow 1000 tcp 80,443 to 8000-8999\n");
    Peer alice = new Peer(1000, 1000);
    assertThat(d.handle(alice, apply("80:8080\n")).code()).isZero();
    RedirectPlan before = tables.get("privport-u1000");
    // The temporary file's name is taken by a directory: the write fails after the kernel changed
    // (as on a full or broken disk).
    Files.createDirectories(state.dir().resolve(".u1000.plan.tmp").resolve("in-the-way"));
    Wire.Response r = d.handle(alice, apply("80:8080\n443:8443\n"));
    assertThat(r.code()).isEqualTo(3);
    assertThat(r.text()).contains("cannot write");
    assertThat(tables.get("privport-u1000")).isEqualTo(before);
    assertThat(log.get(log.size() - 1)).contains("verdict=failed code=3");
  }

  @Test
  void aFirstApplyThatCannotBeStoredLeavesNoTable() throws IOException {
    Delegation d = delegation("allow 1000 tcp 80 to 8080\n");
    Files.delete(state.dir());
    Files.writeString(state.dir(), "not a directory");
    assertThat(d.handle(new Peer(1000, 1000), apply("80:8080\n")).code()).isEqualTo(3);
    assertThat(tables).isEmpty();
  }

  @Test
  void restoreKeepsOnlyWhatIsStillGrantedAndFree() {
    state.save(1000, "name u1000\n80:8080/tcp\n443:8443/tcp\n");
    state.save(1001, "name u1001\n81:9081/tcp\n");
    state.save(1002, "name u1002\n82:9082/tcp\n");
    tables.put("privport-u1003", RedirectPlan.builder().name("u1003").tcp(83, 9083).build());
    tables.put("privport-web", RedirectPlan.builder().name("web").tcp(82, 9999).build());
    // 443 is no longer granted to 1000; 1001 has no grant left; 82 is held by the admin's plan.
    delegation("allow alice tcp 80 to 8000-8999\nallow 1002 tcp 82 to 9082\n").restore();
    assertThat(tables.keySet()).containsExactly("privport-u1000", "privport-web");
    assertThat(tables.get("privport-u1000").redirects()).hasSize(1);
    assertThat(state.read(1000)).isEqualTo("name u1000\n80:8080/tcp\n");
    assertThat(state.read(1001)).isNull();
    assertThat(state.read(1002)).isNull();
    assertThat(String.join("\n", log))
        .contains("uid=1000 restore dropped=\"443:8443/tcp: tcp port 443 is not granted")
        .contains("uid=1002 restore dropped=\"82:9082/tcp: held by an admin plan")
        .contains("uid=1003 restore verdict=removed (a daemon table without stored plan)");
  }
}
