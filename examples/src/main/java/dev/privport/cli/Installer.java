package dev.privport.cli;

import dev.privport.core.ConfigFile;
import dev.privport.core.SubprocessRunner;
import dev.privport.nft.NftServiceUnit;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Writes and removes a plan's persistent files (its nft script and its unit, {@link
 * NftServiceUnit}) below a root directory: {@code /} on a host, a staging directory otherwise (like
 * {@code DESTDIR}).
 *
 * <p>Every file it touches must either be absent or begin with the plan's marker line, so a file
 * someone else wrote, or another plan's, is never overwritten or removed; all files are checked
 * before the first is touched. A file is replaced by renaming a complete temporary file over it, so
 * a reader (systemd, nft) sees the old file or the new one, never a part. Nothing is written
 * outside the root: a directory that resolves (through a symbolic link) elsewhere is refused.
 */
final class Installer {
  private final Path root;
  private final Path realRoot;

  /** What happened to one file. */
  record Change(String path, Outcome outcome) {}

  /** The outcomes of {@link #install} and {@link #uninstall}. */
  enum Outcome {
    WROTE,
    UNCHANGED,
    REMOVED,
    ABSENT
  }

  /**
   * @throws IllegalArgumentException unless {@code root} is an existing directory
   */
  Installer(Path root) {
    if (!Files.isDirectory(root)) {
      throw new IllegalArgumentException("--root must be an existing directory, got " + root);
    }
    this.root = root.toAbsolutePath().normalize();
    try {
      this.realRoot = root.toRealPath();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot resolve --root " + root + ": " + e.getMessage(), e);
    }
  }

  /** Whether the root is the running system's {@code /}, where services may be started. */
  boolean isSystemRoot() {
    return realRoot.getParent() == null;
  }

  /** Where {@code absolute} (a path on the installed system) lives below the root. */
  Path staged(String absolute) {
    return root.resolve(absolute.substring(1));
  }

  /** Writes {@code files} (in order), leaving the ones already as rendered untouched. */
  List<Change> install(String qualifiedName, List<ConfigFile> files) {
    String marker = NftServiceUnit.marker(qualifiedName);
    List<ConfigFile> changed = new ArrayList<>();
    List<Change> changes = new ArrayList<>();
    for (ConfigFile f : files) {
      Path target = staged(f.path());
      Optional<String> existing = ours(target, marker);
      confined(target.getParent());
      boolean same = existing.isPresent() && existing.get().equals(f.content());
      changes.add(new Change(target.toString(), same ? Outcome.UNCHANGED : Outcome.WROTE));
      if (!same) {
        changed.add(f);
      }
    }
    // All checked: write. On a failure, put back what was there, so nothing is half-installed.
    List<Runnable> undo = new ArrayList<>();
    Path current = null;
    try {
      for (ConfigFile f : changed) {
        Path target = staged(f.path());
        current = target;
        Optional<String> before = ours(target, marker);
        Files.createDirectories(target.getParent());
        confined(target.getParent());
        replace(target, f.content());
        undo.add(0, () -> restore(target, before));
      }
    } catch (IOException | RuntimeException e) {
      undo.forEach(Runnable::run);
      if (e instanceof IOException io) {
        // e.g. "cannot write /etc/privport/privport.nft: No space left on device"
        throw new UncheckedIOException(
            "cannot write " + current + ": " + io.getMessage() + "; nothing was changed", io);
      }
      throw (RuntimeException) e;
    }
    return changes;
  }

  /**
   * What {@link #remove} would do with {@code paths} (files on the installed system): each is
   * privport's file for this plan, or absent. Nothing is touched.
   *
   * @throws IllegalStateException when one exists and is not privport's for this plan
   */
  List<Change> plannedRemoval(String qualifiedName, List<String> paths) {
    String marker = NftServiceUnit.marker(qualifiedName);
    List<Change> changes = new ArrayList<>();
    for (String p : paths) {
      Path target = staged(p);
      boolean present = ours(target, marker).isPresent();
      if (present) {
        confined(target.getParent());
      }
      changes.add(new Change(target.toString(), present ? Outcome.REMOVED : Outcome.ABSENT));
    }
    return changes;
  }

  /**
   * Removes the files {@link #plannedRemoval} found, then {@link NftServiceUnit#RULES_DIR} when no
   * other file is left in it.
   */
  void remove(List<Change> planned) {
    for (Change c : planned) {
      if (c.outcome() == Outcome.REMOVED) {
        try {
          Files.deleteIfExists(Path.of(c.path()));
        } catch (IOException e) {
          throw new UncheckedIOException("cannot remove " + c.path() + ": " + e, e);
        }
      }
    }
    Path dir = staged(NftServiceUnit.RULES_DIR);
    try {
      Files.deleteIfExists(dir);
    } catch (DirectoryNotEmptyException e) {
      // other plans' files (or an operator's) are still there
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove " + dir + ": " + e, e);
    }
  }

  /**
   * The content of {@code target} when it is privport's file for this plan, empty when absent.
   *
   * @throws IllegalStateException when it exists and is not (another plan's, an operator's, a link,
   *     a directory)
   */
  private static Optional<String> ours(Path target, String marker) {
    if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty();
    }
    if (!Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
      throw new IllegalStateException(
          target + " is not a regular file privport wrote; it is left alone (move it away)");
    }
    try (InputStream in = Files.newInputStream(target, LinkOption.NOFOLLOW_LINKS)) {
      byte[] head = in.readNBytes(marker.length() + 1);
      if (!new String(head, StandardCharsets.UTF_8).equals(marker + ":")) {
        throw new IllegalStateException(
            target
                + " was not written by privport for this plan (its first line does not begin"
                + " with '"
                + marker
                + ":'); it is left alone (move it away, or name the plan differently)");
      }
      return Optional.of(new String(Files.readAllBytes(target), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + target + ": " + e, e);
    }
  }

  /** Refuses a directory that resolves outside the root (the nearest existing ancestor counts). */
  private void confined(Path dir) {
    Path existing = dir;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    try {
      Path real = existing == null ? null : existing.toRealPath();
      if (real == null || !real.startsWith(realRoot)) {
        throw new IllegalStateException(
            dir + " resolves to " + real + ", outside --root " + root + "; nothing was written");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot resolve " + dir + ": " + e, e);
    }
  }

  /** Readable by all, as unit files and /etc files are; set explicitly, whatever the umask. */
  private static final Set<PosixFilePermission> MODE = PosixFilePermissions.fromString("rw-r--r--");

  /**
   * Replaces {@code target} with {@code content} atomically and on disk ({@link
   * OutputDirectory#replace(Path, byte[], Set)}, the one writer of files in the CLI).
   */
  private static void replace(Path target, String content) throws IOException {
    OutputDirectory.replace(target, content.getBytes(StandardCharsets.UTF_8), MODE);
  }

  /** Puts back a file's earlier state (best effort, while reporting another failure). */
  private static void restore(Path target, Optional<String> before) {
    try {
      if (before.isPresent()) {
        replace(target, before.get());
      } else {
        Files.deleteIfExists(target);
      }
    } catch (IOException | RuntimeException e) {
      // the original failure is reported; this one would only hide it
    }
  }

  /**
   * Whether systemd manages this machine: {@code systemctl} is installed and systemd is PID 1
   * ({@code /run/systemd/system} exists only then, as sd_booted(3) checks).
   */
  static boolean systemdRunning() {
    return Files.isDirectory(Path.of("/run/systemd/system"))
        && SubprocessRunner.locate("systemctl").isPresent();
  }
}
