package dev.privport.examples;

import dev.privport.core.ConfigFile;
import dev.privport.core.RedirectPlan;
import dev.privport.firewalld.FirewalldRenderer;
import dev.privport.iptables.IptablesRenderer;
import dev.privport.iptables.IptablesRendering;
import dev.privport.nft.NftRenderer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Example: write the files a configuration repository keeps, each at the path it is installed at on
 * a host ({@code etc/nftables.d/...}, {@code etc/iptables/rules.v4}, {@code
 * etc/firewalld/direct.xml}). Run: {@code java -cp privport.jar
 * dev.privport.examples.ConfigRepoFiles DIR}.
 */
public final class ConfigRepoFiles {
  private ConfigRepoFiles() {}

  /** Writes the plan's files below {@code root} and returns their paths. */
  public static List<Path> write(RedirectPlan plan, Path root) throws IOException {
    List<ConfigFile> files = new ArrayList<>();
    files.add(
        new ConfigFile(
            "/etc/nftables.d/" + plan.qualifiedName() + ".nft", new NftRenderer().render(plan)));
    IptablesRendering iptables = new IptablesRenderer().renderAll(plan);
    iptables.restoreIpv4().ifPresent(f -> files.add(new ConfigFile("/etc/iptables/rules.v4", f)));
    iptables.restoreIpv6().ifPresent(f -> files.add(new ConfigFile("/etc/iptables/rules.v6", f)));
    files.add(new FirewalldRenderer().renderDirect(plan).directXml());
    List<Path> written = new ArrayList<>();
    for (ConfigFile f : files) {
      Path target = root.resolve(f.path().substring(1));
      Files.createDirectories(target.getParent());
      Files.writeString(target, f.content());
      written.add(target);
    }
    return written;
  }

  public static void main(String[] args) throws IOException {
    Path root = Path.of(args.length > 0 ? args[0] : "config-repo");
    write(RedirectPlan.builder().tcp(80, 8080).tcp(443, 8443).build(), root)
        .forEach(System.out::println);
  }
}
