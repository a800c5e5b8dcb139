package dev.privport.nft;

import dev.privport.core.RedirectPlan;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A separate JVM for what cannot happen inside the test JVM: run without CAP_NET_ADMIN ({@code
 * permission}), or with no file descriptor left for a netlink socket ({@code netlink}, where
 * libnftables itself would call exit()), or run a broken script where no temporary directory exists
 * ({@code line}). Prints {@code reason=...} and {@code survived}. Its lock lives in {@code
 * -Dprivport.state.dir} or else a temporary state directory removed at the end, never in the host's
 * {@code /run/privport}.
 */
public final class NftablesProbeMain {
  private NftablesProbeMain() {}

  public static void main(String[] args) throws IOException, ClassNotFoundException {
    List<FileInputStream> hog = new ArrayList<>();
    // -Dprivport.state.dir if the caller gives one (with java.io.tmpdir gone, say), else a
    // temporary one
    Path stateDir =
        System.getProperty(StateDirectory.PROPERTY) == null
            ? Files.createTempDirectory("privport-probe-")
            : null;
    StateDirectory state =
        stateDir == null ? StateDirectory.standard() : StateDirectory.at(stateDir.resolve("state"));
    try {
      if (args[0].equals("netlink")) {
        // Load the library and every class the failure path needs while descriptors remain.
        Nftables.open(state).close();
        for (String c :
            List.of(
                "NftablesException",
                "NftablesException$Reason",
                "NetlinkProbe",
                "NftContext$Result")) {
          Class.forName("dev.privport.nft." + c);
        }
        try {
          while (true) {
            hog.add(new FileInputStream("/dev/null"));
          }
        } catch (IOException e) {
          // no descriptor left: socket() must fail now
        }
      }
      try (LibnftablesExecutor nft = Nftables.open(state)) {
        if (args[0].equals("line")) {
          String broken =
              RedirectPlan.of(81, 8081)
                  .toNft()
                  .replace("redirect to :8081", "redirect to :8081 bogus");
          try {
            nft.run(broken);
          } catch (NftablesException e) {
            System.out.println("line=" + e.line().orElse(-1));
            System.out.println("text=" + e.lineText().orElse(""));
            throw e;
          }
        }
        nft.apply(RedirectPlan.of(80, 8080));
        System.out.println("reason=NONE");
      } catch (NftablesException e) {
        System.out.println("reason=" + e.reason());
        System.out.println("message=" + e.getMessage());
      }
    } finally {
      for (FileInputStream f : hog) {
        f.close();
      }
      if (stateDir != null) {
        try (var files = Files.walk(stateDir)) {
          for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
            Files.deleteIfExists(f);
          }
        }
      }
    }
    System.out.println("survived");
  }
}
