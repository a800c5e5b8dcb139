package dev.privport.examples;

import dev.privport.core.RedirectPlan;
import dev.privport.core.spi.Backend;
import dev.privport.core.spi.PlanRenderers;
import dev.privport.core.spi.RenderOptions;
import dev.privport.core.spi.RenderedFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Example: write the files a configuration repository keeps for each firewall backend, in the
 * layout {@code privport render --out DIR} writes ({@code nftables/Q.nft}, {@code
 * iptables/Q.rules.v4}, {@code firewalld/Q.direct.xml} ..., see {@link RenderedFile}). Run: {@code
 * java -cp privport.jar dev.privport.examples.ConfigRepoFiles DIR}.
 */
public final class ConfigRepoFiles {
  private ConfigRepoFiles() {}

  /** Writes the plan's files below {@code root} and returns their paths. */
  public static List<Path> write(RedirectPlan plan, Path root) throws IOException {
    List<Path> written = new ArrayList<>();
    for (Backend backend : List.of(Backend.NFT, Backend.IPTABLES, Backend.FIREWALLD)) {
      for (RenderedFile f : PlanRenderers.rendering(backend, plan, RenderOptions.NONE).files()) {
        Path target = root.resolve(f.path());
        Files.createDirectories(target.getParent());
        Files.writeString(target, f.content());
        written.add(target);
      }
    }
    return written;
  }

  public static void main(String[] args) throws IOException {
    Path root = Path.of(args.length > 0 ? args[0] : "config-repo");
    write(RedirectPlan.builder().tcp(80, 8080).tcp(443, 8443).build(), root)
        .forEach(System.out::println);
  }
}
