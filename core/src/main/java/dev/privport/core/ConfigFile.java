package dev.privport.core;

/**
 * A configuration file a backend renders: where it conventionally lives and what it holds, for
 * writing to a host or checking into a config repository.
 *
 * @param path the conventional absolute path, e.g. {@code /etc/firewalld/direct.xml}
 * @param content the exact file content, ending in a newline
 */
public record ConfigFile(String path, String content) {
  public ConfigFile {
    Checks.check(path != null && path.startsWith("/"), "path", path, "must be absolute");
    Checks.check(content != null, "content", content, "must not be null");
  }

  /** The file name, the last element of the path. */
  public String fileName() {
    return path.substring(path.lastIndexOf('/') + 1);
  }
}
