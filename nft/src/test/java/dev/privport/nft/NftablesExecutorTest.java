package dev.privport.nft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import dev.privport.core.RedirectRule;
import dev.privport.testkit.contract.RedirectContract;
import dev.privport.testkit.lab.Kernel;
import dev.privport.testkit.lab.Lab;
import dev.privport.testkit.lab.Netns;
import dev.privport.testkit.process.Cmd;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The libnftables executor on a real kernel. It is opened on a thread inside the lab's host
 * namespace, so its netlink socket, and every rule it writes, live there; calls then come from any
 * thread.
 */
class NftablesExecutorTest extends RedirectContract {
  private LibnftablesExecutor nft;

  @Override
  protected void requireTools() {
    Kernel.requireCommand("nft");
    Kernel.require(
        Files.exists(Path.of("/usr/lib/x86_64-linux-gnu/libnftables.so.1"))
            || Files.exists(Path.of("/usr/lib64/libnftables.so.1"))
            || Files.exists(Path.of("/usr/lib/libnftables.so.1")),
        "libnftables.so.1 is not installed (Debian: apt-get install libnftables1)");
  }

  private Path state;

  @Override
  protected void startServices() {
    try {
      // The lock and saved trials stay in a directory of this test's own, not the host's /run.
      state = Files.createTempDirectory("nfttrial-executor");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    nft = lab.host.call(() -> Nftables.open(StateDirectory.at(state.resolve("state"))));
  }

  @AfterAll
  void closeExecutor() throws java.io.IOException {
    if (nft != null) nft.close();
    if (state != null) {
      Files.deleteIfExists(state.resolve("state").resolve("lock"));
      Files.deleteIfExists(state.resolve("state"));
      Files.deleteIfExists(state);
    }
  }

  @Override
  protected void apply(RedirectPlan plan) {
    nft.apply(plan);
  }

  @Override
  protected void remove(RedirectPlan plan) {
    nft.remove(plan);
  }

  @Override
  protected void reset() {
    lab.host.sh("nft", "flush", "ruleset");
  }

  private String ruleset() {
    return lab.host.sh("nft", "list", "ruleset");
  }

  @Test
  void applyTwiceIsUnchangedAndForeignTablesSurvive() {
    lab.host
        .execWithInput(
            "table inet foreign { chain c { type filter hook input priority 0; tcp dport 22 accept; }; }",
            "nft",
            "-f",
            "-")
        .orThrow();
    String before = ruleset();
    RedirectPlan plan = RedirectPlan.of(80, 8080);
    nft.apply(plan);
    String once = ruleset();
    nft.apply(plan);
    assertThat(ruleset()).isEqualTo(once).contains("table inet foreign");
    nft.remove(plan);
    nft.remove(plan);
    assertThat(ruleset()).isEqualTo(before);
  }

  @Test
  void checkChangesNothing() {
    String before = ruleset();
    nft.check(RedirectPlan.builder().tcp(80, 8080).udp(514, 5514).build());
    assertThat(ruleset()).isEqualTo(before);
    assertThat(fromClient("tcp", Lab.HOST_V4, 80)).isEqualTo("port=80");
  }

  @Test
  void aBrokenScriptFailsWithLibnftablesTextAndTheLineAndChangesNothing() {
    nft.apply(RedirectPlan.of(80, 8080));
    String before = ruleset();
    String broken =
        RedirectPlan.of(81, 8081).toNft().replace("redirect to :8081", "redirect to :8081 bogus");
    assertThatThrownBy(() -> nft.run(broken))
        .isInstanceOfSatisfying(
            NftablesException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(NftablesException.Reason.REJECTED);
              assertThat(e.errorText()).contains("Error: syntax error");
              assertThat(e.line()).as(e.errorText()).hasValue(9);
              assertThat(e.lineText().orElseThrow()).contains("bogus");
              assertThat(e.getMessage())
                  .contains("syntax error")
                  .contains("line 9")
                  .contains("bogus");
            });
    assertThat(ruleset()).isEqualTo(before);
    nft.check(RedirectPlan.of(80, 8080)); // the executor is still usable after a failure
  }

  @Test
  void aKernelRejectionIsAtomicToo() {
    nft.apply(RedirectPlan.of(80, 8080));
    String before = ruleset();
    // Valid syntax that only the kernel refuses: a redirect in a filter chain. The first commands
    // of the transaction would succeed on their own.
    String script =
        "add table inet privport-x\nadd chain inet privport-x c { type filter hook input priority 0; }\n"
            + "add rule inet privport-x c tcp dport 1 redirect to :2\n";
    assertThatThrownBy(() -> nft.run(script)).isInstanceOf(NftablesException.class);
    assertThat(ruleset()).isEqualTo(before);
  }

  @Test
  void inspectionSeesCountersRiseAndDrift() {
    RedirectPlan plan =
        RedirectPlan.builder().tcp(80, 8080).add(Redirect.udp(514, 5514).incomingOnly()).build();
    assertThat(nft.inspect(plan).present()).isFalse();
    nft.apply(plan);
    PlanStatus fresh = nft.inspect(plan);
    assertThat(fresh.inSync()).isTrue();
    assertThat(fresh.live()).hasSize(plan.rules().size()).allMatch(l -> l.packets() == 0);

    RedirectRule incomingTcp =
        plan.rules().stream()
            .filter(
                r ->
                    r.scope() == dev.privport.core.Scope.INCOMING
                        && r.protocol() == dev.privport.core.Protocol.TCP)
            .findFirst()
            .orElseThrow();
    for (int i = 0; i < 3; i++) {
      assertThat(fromClient("tcp", Lab.HOST_V4, 80)).isEqualTo("port=8080");
    }
    LiveRule counted = nft.inspect(plan).find(incomingTcp).orElseThrow();
    assertThat(counted.packets()).isEqualTo(3); // one SYN per connection reaches the nat chain
    assertThat(counted.bytes()).isGreaterThan(0);

    // Drift: delete a rule by hand with nft, then add one.
    lab.host.sh(
        "nft",
        "delete",
        "rule",
        "inet",
        "privport",
        "incoming",
        "handle",
        Long.toString(counted.handle()));
    PlanStatus drifted = nft.inspect(plan);
    assertThat(drifted.inSync()).isFalse();
    assertThat(drifted.missing()).containsExactly(incomingTcp);
    lab.host.sh("nft", "add", "rule", "inet", "privport", "local", "tcp", "dport", "22", "accept");
    assertThat(nft.inspect(plan).unrecognised()).hasSize(1).allMatch(l -> !l.recognised());
    nft.apply(plan);
    assertThat(nft.inspect(plan).inSync()).isTrue();
  }

  @Test
  void mapRulesRedirectEveryEntryAndInspectionReadsTheirElements() {
    RedirectPlan plan = RedirectPlan.builder().tcpRange(20000, 20099, 30000).tcp(80, 8080).build();
    nft.apply(plan);
    String ruleset = ruleset();
    assertThat(ruleset).contains("map incoming_tcp {").contains("tcp dport @incoming_tcp counter");
    assertThat(fromClient("tcp", Lab.HOST_V4, 80)).as("an entry of the map").isEqualTo("port=8080");
    assertThat(fromHost("tcp", "::1", 80)).isEqualTo("port=8080");
    assertThat(fromClient("tcp", Lab.HOST_V4, 81)).as("not in the map").isEqualTo("port=81");
    PlanStatus status = nft.inspect(plan);
    assertThat(status.inSync()).isTrue();
    assertThat(status.live()).hasSize(2).allMatch(l -> l.redirects().size() == 101);
    RedirectRule incoming80 =
        plan.rules().stream()
            .filter(r -> r.scope() == dev.privport.core.Scope.INCOMING && r.fromPort() == 80)
            .findFirst()
            .orElseThrow();
    assertThat(status.find(incoming80).orElseThrow().packets()).isEqualTo(1);

    lab.host.sh("nft", "delete", "element", "inet", "privport", "incoming_tcp", "{ 80 }");
    lab.host.sh("nft", "add", "element", "inet", "privport", "incoming_tcp", "{ 81 : 8081 }");
    PlanStatus drifted = nft.inspect(plan);
    assertThat(drifted.missing()).containsExactly(incoming80);
    assertThat(drifted.extra()).extracting(RedirectRule::fromPort).containsExactly(81);
    assertThat(fromClient("tcp", Lab.HOST_V4, 81))
        .as("the element added by hand works")
        .isEqualTo("port=8081");
  }

  @Test
  void concurrentAppliesAndRemovesEndInExactlyTheExpectedUnion() throws Exception {
    int threads = 4;
    int rounds = 25;
    CountDownLatch start = new CountDownLatch(1);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int id = t;
      Thread w =
          new Thread(
              () -> {
                try {
                  start.await();
                  RedirectPlan mine =
                      RedirectPlan.builder()
                          .name("t" + id)
                          .tcp(1000 + id, 2000 + id)
                          .udp(1000 + id, 2000 + id)
                          .build();
                  RedirectPlan gone =
                      RedirectPlan.builder().name("gone" + id).tcp(3000 + id, 4000 + id).build();
                  for (int r = 0; r < rounds; r++) {
                    nft.apply(mine);
                    nft.apply(gone);
                    nft.inspect(mine);
                    nft.remove(gone);
                    if (r % 2 == 0) {
                      nft.remove(mine);
                    }
                  }
                } catch (Throwable e) {
                  failure.compareAndSet(null, e);
                }
              });
      workers.add(w);
      w.start();
    }
    start.countDown();
    for (Thread w : workers) {
      w.join(120_000);
    }
    assertThat(failure.get()).isNull();
    // rounds is odd: each thread's last round (r = 24) removed "mine"; apply once more to check
    // union
    String tables = lab.host.sh("nft", "list", "tables");
    assertThat(tables).doesNotContain("gone").doesNotContain("privport-t");
    for (int t = 0; t < threads; t++) {
      nft.apply(RedirectPlan.builder().name("t" + t).tcp(1000 + t, 2000 + t).build());
    }
    assertThat(lab.host.sh("nft", "list", "tables").lines().sorted().toList())
        .containsExactly(
            "table inet privport-t0",
            "table inet privport-t1",
            "table inet privport-t2",
            "table inet privport-t3");
  }

  @Test
  void aMissingLibraryNamesThePackageToInstall() {
    assertThatThrownBy(() -> LibnftablesExecutor.open("libnftables-absent.so.1"))
        .isInstanceOfSatisfying(
            NftablesException.class,
            e -> assertThat(e.reason()).isEqualTo(NftablesException.Reason.LIBRARY_MISSING))
        .hasMessageContaining("apt-get install libnftables1")
        .hasMessageContaining("dnf install nftables");
  }

  @Test
  void withoutCapNetAdminTheErrorIsClearAndNativeNoiseIsAbsent() {
    Kernel.requireCommand("setpriv");
    Cmd.Result r =
        probe(
            lab.host,
            List.of("setpriv", "--bounding-set=-net_admin", "--inh-caps=-net_admin"),
            "permission");
    assertThat(r.stdout())
        .contains("reason=PERMISSION")
        .contains("needs CAP_NET_ADMIN")
        .contains("survived");
    assertThat(r.stderr()).doesNotContain("you must be root");
    assertThat(ruleset()).doesNotContain("privport");
  }

  @Test
  void whenNoNetlinkSocketCanBeOpenedTheJvmSurvives() {
    Kernel.requireCommand("prlimit");
    Cmd.Result r = probe(lab.host, List.of("prlimit", "--nofile=400:400"), "netlink");
    assertThat(r.stdout())
        .as(r.stderr())
        .contains("reason=NETLINK_UNAVAILABLE")
        .contains("survived");
  }

  private static Cmd.Result probe(Netns ns, List<String> wrapper, String mode) {
    List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", ns.name()));
    argv.addAll(wrapper);
    argv.addAll(
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp",
            System.getProperty("java.class.path"),
            NftablesProbeMain.class.getName(),
            mode));
    return Cmd.run(argv, null);
  }

  @Test
  void theBindingMatchesTheInstalledHeader() throws Exception {
    Path header = Path.of("/usr/include/nftables/libnftables.h");
    Kernel.require(
        Files.exists(header),
        "libnftables' header is not installed (Debian: apt-get install libnftables-dev)");
    String h = Files.readString(header).replaceAll("\\s+", " ");
    for (String prototype :
        List.of(
            "struct nft_ctx *nft_ctx_new(uint32_t flags);",
            "void nft_ctx_free(struct nft_ctx *ctx);",
            "bool nft_ctx_get_dry_run(struct nft_ctx *ctx);",
            "void nft_ctx_set_dry_run(struct nft_ctx *ctx, bool dry);",
            "unsigned int nft_ctx_output_get_flags(struct nft_ctx *ctx);",
            "void nft_ctx_output_set_flags(struct nft_ctx *ctx, unsigned int flags);",
            "int nft_ctx_buffer_output(struct nft_ctx *ctx);",
            "const char *nft_ctx_get_output_buffer(struct nft_ctx *ctx);",
            "int nft_ctx_buffer_error(struct nft_ctx *ctx);",
            "const char *nft_ctx_get_error_buffer(struct nft_ctx *ctx);",
            "int nft_run_cmd_from_buffer(struct nft_ctx *nft, const char *buf);",
            "int nft_run_cmd_from_filename(struct nft_ctx *nft, const char *filename);")) {
      assertThat(h).contains(prototype);
    }
    // Every bound function is one of those prototypes.
    for (var m : LibNftables.class.getDeclaredMethods()) {
      assertThat(h).containsPattern("[ *]" + m.getName() + "\\(");
    }
    assertFlag(h, "NFT_CTX_OUTPUT_STATELESS", LibNftables.NFT_CTX_OUTPUT_STATELESS);
    assertFlag(h, "NFT_CTX_OUTPUT_HANDLE", LibNftables.NFT_CTX_OUTPUT_HANDLE);
    assertFlag(h, "NFT_CTX_OUTPUT_JSON", LibNftables.NFT_CTX_OUTPUT_JSON);
    assertFlag(h, "NFT_CTX_OUTPUT_ECHO", LibNftables.NFT_CTX_OUTPUT_ECHO);
    assertThat(h).contains("#define NFT_CTX_DEFAULT 0");
  }

  private static void assertFlag(String header, String name, int value) {
    Matcher m = Pattern.compile(name + " = \\(1 << (\\d+)\\)").matcher(header);
    assertThat(m.find()).as(name).isTrue();
    assertThat(1 << Integer.parseInt(m.group(1))).as(name).isEqualTo(value);
  }
}
