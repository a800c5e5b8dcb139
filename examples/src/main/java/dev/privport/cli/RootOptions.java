package dev.privport.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --root DIR}, shared by {@code install} and {@code uninstall}: the directory the files go
 * below, {@code /} on a host or a staging root (like {@code DESTDIR}) where nothing is started.
 */
final class RootOptions {
  @Option(
      names = "--root",
      paramLabel = "DIR",
      defaultValue = "/",
      description =
          "work below DIR, a staging root: nothing outside it is touched and no service or"
              + " table is changed (default: ${DEFAULT-VALUE})")
  Path root;

  /** The installer for {@code --root}. */
  Installer installer() {
    return new Installer(root);
  }
}
