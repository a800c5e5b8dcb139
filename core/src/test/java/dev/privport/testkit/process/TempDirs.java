package dev.privport.testkit.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Temporary directories of a test's own: created owner-only, deleted with all they hold. */
public final class TempDirs {
  private TempDirs() {}

  /** A new directory under {@code java.io.tmpdir}, mode {@code rwx------}. */
  public static Path create(String prefix) {
    try {
      return Files.createTempDirectory(
          prefix,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Deletes {@code dir} and everything below it; nothing when it is null or absent. Symbolic links
   * are deleted, never followed, so a link a test planted cannot reach outside {@code dir}.
   */
  public static void delete(Path dir) {
    if (dir == null || !Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    List<Path> all;
    try (Stream<Path> files = Files.walk(dir)) {
      all = files.sorted(Comparator.reverseOrder()).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (Path f : all) {
      try {
        Files.deleteIfExists(f);
      } catch (NoSuchFileException e) {
        // gone meanwhile
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
