package dev.privport.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/**
 * The build's version, from {@code version.properties}, which Maven filters with the project's
 * version: {@code --version} never disagrees with the artifact it runs from.
 */
final class Version implements IVersionProvider {
  private static final String RESOURCE = "version.properties";

  /** The project version this build was made from, e.g. {@code 0.1.0-SNAPSHOT}. */
  static String current() {
    try (InputStream in = Version.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(
            RESOURCE + " is missing: a build without Maven's resources");
      }
      Properties p = new Properties();
      p.load(in);
      String version = p.getProperty("version", "");
      if (version.isEmpty() || version.contains("${")) {
        throw new IllegalStateException(
            RESOURCE + " holds no filtered version, got " + dev.privport.core.Checks.show(version));
      }
      return version;
    } catch (IOException e) {
      throw new UncheckedIOException(RESOURCE + ": " + e.getMessage(), e);
    }
  }

  @Override
  public String[] getVersion() {
    return new String[] {"privport " + current()};
  }
}
