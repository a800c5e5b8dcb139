package dev.privport.nft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.privport.core.RedirectPlan;
import dev.privport.testkit.lab.Kernel;
import dev.privport.testkit.lab.Netns;
import dev.privport.testkit.process.Cmd;
import dev.privport.testkit.traffic.Echo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Trials through the library ({@link Nftables#begin}) on a real kernel, in a namespace of the
 * test's own, with a state directory of the test's own; traffic shows which plan is live.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NftTrialTest {
  private static final RedirectPlan TO_8080 = RedirectPlan.of(80, 8080);
  private static final RedirectPlan TO_8081 = RedirectPlan.of(80, 8081);

  private Netns ns;
  private Echo.Servers listeners;
  private Path root;
  private Path stateDir;
  private LibnftablesExecutor nft;

  @BeforeAll
  void start() throws IOException {
    Kernel.requireRoot();
    Kernel.requireCommand("nft");
    ns = Netns.create("nfttrial");
    listeners = ns.call(() -> new Echo.Servers(80, 8080, 8081, 8082));
    root =
        Files.createTempDirectory(
            "nfttrial-lib",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
  }

  @AfterAll
  void stop() throws IOException {
    if (listeners != null) listeners.close();
    if (ns != null) ns.close();
    if (root != null) {
      try (Stream<Path> files = Files.walk(root)) {
        for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(f);
        }
      }
    }
  }

  @BeforeEach
  void fresh() throws IOException {
    ns.sh("nft", "flush", "ruleset");
    stateDir = root.resolve("state-" + System.nanoTime());
    nft = ns.call(() -> Nftables.open(StateDirectory.at(stateDir)));
  }

  @AfterEach
  void close() {
    nft.close();
  }

  private String local80() {
    return ns.call(() -> Echo.tcp("127.0.0.1", 80));
  }

  private String rules() {
    return ns.sh("nft", "-s", "list", "ruleset");
  }

  private List<String> trialFiles() throws IOException {
    if (!Files.exists(stateDir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(stateDir)) {
      return files.map(f -> f.getFileName().toString()).filter(f -> !f.equals("lock")).toList();
    }
  }

  @Test
  void aRollbackPutsBackThePreviousTable() throws IOException {
    nft.apply(TO_8080);
    String before = rules();
    Trial trial = nft.begin(TO_8081);
    assertThat(local80()).isEqualTo("port=8081");
    assertThat(trialFiles()).hasSize(2);
    assertThat(
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(stateDir.resolve(trialFiles().get(0)))))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(stateDir)))
        .isEqualTo("rwx------");
    Trial.Rollback r = trial.rollback();
    assertThat(r.restored()).isTrue();
    assertThat(r.message()).contains("back to its state before the trial");
    assertThat(rules()).isEqualTo(before);
    assertThat(local80()).isEqualTo("port=8080");
    assertThat(trialFiles()).isEmpty();
    assertThatThrownBy(trial::confirm).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aRollbackOfATrialOnNoTableRemovesIt() throws IOException {
    Trial trial = nft.begin(TO_8081);
    assertThat(local80()).isEqualTo("port=8081");
    assertThat(trial.rollback().message()).contains("removed again");
    assertThat(ns.sh("nft", "list", "tables")).isEmpty();
    assertThat(local80()).isEqualTo("port=80");
    assertThat(trialFiles()).isEmpty();
  }

  @Test
  void aConfirmedTrialKeepsThePlanAndForgetsTheSavedState() throws IOException {
    nft.apply(TO_8080);
    nft.begin(TO_8081).confirm();
    assertThat(local80()).isEqualTo("port=8081");
    assertThat(trialFiles()).isEmpty();
    assertThat(nft.recover(TO_8081)).isEmpty();
  }

  @Test
  void aRollbackLeavesATableAnotherApplyReplaced() throws IOException {
    nft.apply(TO_8080);
    Trial trial = nft.begin(TO_8081);
    try (LibnftablesExecutor other = ns.call(() -> Nftables.open(StateDirectory.at(stateDir)))) {
      other.apply(RedirectPlan.of(80, 8082));
    }
    String others = rules();
    Trial.Rollback r = trial.rollback();
    assertThat(r.restored()).isFalse();
    assertThat(r.message())
        .contains("changed since the trial applied it")
        .contains("left as it is");
    assertThat(rules()).isEqualTo(others);
    assertThat(local80()).isEqualTo("port=8082");
    assertThat(trialFiles()).isEmpty();
  }

  @Test
  void aRollbackLeavesATableChangedInPlace() {
    Trial trial = nft.begin(TO_8081);
    ns.sh("nft", "add", "rule", "inet", "privport", "local", "tcp", "dport", "22", "accept");
    String changed = rules();
    assertThat(trial.rollback().restored()).isFalse();
    assertThat(rules()).isEqualTo(changed);
  }

  @Test
  void aSecondTrialOfTheSameTableWaitsItsTurn() {
    Trial first = nft.begin(TO_8081);
    assertThatThrownBy(() -> nft.begin(TO_8080))
        .isInstanceOfSatisfying(
            NftablesException.class,
            e -> assertThat(e.reason()).isEqualTo(NftablesException.Reason.TRIAL_PENDING))
        .hasMessageContaining("waiting for confirmation")
        .hasMessageContaining("process " + ProcessHandle.current().pid());
    assertThat(local80()).isEqualTo("port=8081");
    // Another table is another trial.
    nft.begin(RedirectPlan.builder().name("other").tcp(81, 8082).build()).rollback();
    first.rollback();
    assertThat(local80()).isEqualTo("port=80");
  }

  @Test
  void aTableThatCannotBeReadBackIsRefusedAndNothingChanges() throws IOException {
    nft.apply(TO_8080);
    ns.execWithInput(
            "{\"nftables\":[{\"add\":{\"rule\":{\"family\":\"inet\",\"table\":\"privport\","
                + "\"chain\":\"local\",\"comment\":\"say \\\"hi\\\"\",\"expr\":[{\"accept\":null}]}}}]}",
            "nft",
            "-j",
            "-f",
            "-")
        .orThrow();
    String before = rules();
    assertThatThrownBy(() -> nft.begin(TO_8081))
        .isInstanceOfSatisfying(
            NftablesException.class,
            e -> assertThat(e.reason()).isEqualTo(NftablesException.Reason.NOT_RESTORABLE))
        .hasMessageContaining("could not be put back")
        .hasMessageContaining("nothing was changed")
        .hasMessageNotContaining("\n");
    assertThat(rules()).isEqualTo(before);
    assertThat(trialFiles()).isEmpty();
  }

  @Test
  void aStateDirectoryOthersCouldWriteOrASymlinkIsRefused() throws IOException {
    Path open = root.resolve("open-" + System.nanoTime());
    Files.createDirectory(
        open, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxrwxrwx")));
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
    Path link = root.resolve("link-" + System.nanoTime());
    Files.createSymbolicLink(link, stateDir.getParent());
    for (Path bad : List.of(open, link)) {
      try (LibnftablesExecutor other = ns.call(() -> Nftables.open(StateDirectory.at(bad)))) {
        assertThatThrownBy(() -> other.apply(TO_8080))
            .isInstanceOfSatisfying(
                NftablesException.class,
                e -> assertThat(e.reason()).isEqualTo(NftablesException.Reason.STATE_DIRECTORY))
            .hasMessageContaining(bad.toString())
            .hasMessageContaining(bad == open ? "open to group or others" : "a symlink");
      }
    }
    assertThat(ns.sh("nft", "list", "tables")).isEmpty();
  }

  @Test
  void aCorruptSavedTrialIsNamedAndLeftForTheOperator() throws IOException {
    Trial trial = nft.begin(TO_8081);
    String name =
        trialFiles().stream().filter(f -> !f.endsWith(".owner")).findFirst().orElseThrow();
    trial.confirm();
    Files.createDirectories(stateDir);
    Files.writeString(stateDir.resolve(name), "format=something-else\n", StandardCharsets.UTF_8);
    assertThatThrownBy(() -> nft.recover(TO_8081))
        .isInstanceOf(NftablesException.class)
        .hasMessageContaining(stateDir.resolve(name).toString())
        .hasMessageContaining("delete the file");
    assertThat(local80()).isEqualTo("port=8081");
  }

  @Test
  void errorsNameTheirLineWithoutATemporaryDirectory() {
    Cmd.Result r =
        Cmd.run(
            List.of(
                "ip",
                "netns",
                "exec",
                ns.name(),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.io.tmpdir=/nonexistent",
                "-D" + StateDirectory.PROPERTY + "=" + stateDir,
                "-cp",
                System.getProperty("java.class.path"),
                NftablesProbeMain.class.getName(),
                "line"),
            null);
    assertThat(r.stdout())
        .as(r.stderr())
        .contains("reason=REJECTED")
        .contains("line=9")
        .contains("bogus")
        .contains("survived");
  }

  @Test
  void aFileThatIsNotALibraryIsNamedAndNotCalledMissing() throws IOException {
    Path garbage = root.resolve("libnftables-garbage.so.1");
    Files.write(garbage, "not an ELF file\n".repeat(100).getBytes(StandardCharsets.US_ASCII));
    assertThatThrownBy(() -> LibnftablesExecutor.open(garbage.toString()))
        .isInstanceOfSatisfying(
            NftablesException.class,
            e -> assertThat(e.reason()).isEqualTo(NftablesException.Reason.LIBRARY_UNLOADABLE))
        .hasMessageContaining(garbage + " exists but cannot be loaded")
        .hasMessageNotContaining("apt-get install")
        .hasMessageNotContaining("\n");
    String before = System.getProperty(Nftables.LIBRARY_PROPERTY);
    System.setProperty(Nftables.LIBRARY_PROPERTY, garbage.toString());
    try {
      assertThat(Nftables.libraryProblem()).get().asString().contains("cannot be loaded");
    } finally {
      if (before == null) {
        System.clearProperty(Nftables.LIBRARY_PROPERTY);
      } else {
        System.setProperty(Nftables.LIBRARY_PROPERTY, before);
      }
    }
    assertThat(Nftables.libraryProblem()).isEmpty();
  }

  @Test
  void descriptorExhaustionIsNamedAsSuch() {
    UnsatisfiedLinkError cause = new UnsatisfiedLinkError("could not load FFI provider");
    cause.initCause(new IOException("Too many open files"));
    NftablesException e = NftContext.loadFailure("libnftables.so.1", cause);
    assertThat(e.reason()).isEqualTo(NftablesException.Reason.RESOURCE_LIMIT);
    assertThat(e.getMessage()).contains("too many open files").contains("ulimit -n");
  }
}
