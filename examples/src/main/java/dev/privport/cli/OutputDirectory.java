package dev.privport.cli;

import dev.privport.core.Checks;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The directory {@code render --out DIR} writes into, and nothing outside it.
 *
 * <ul>
 *   <li>No symbolic link below {@code DIR} is followed: a subdirectory or file that is a link (say
 *       {@code DIR/sysctl.d -> /etc/sysctl.d}) is refused with one line. Every step below {@code
 *       DIR} goes through an open directory handle with {@code O_NOFOLLOW} ({@link
 *       SecureDirectoryStream}), so a link swapped in while privport runs is refused too.
 *   <li>A file is replaced atomically: written to a temporary file in the same directory, flushed
 *       to disk, then renamed over the old one. A reader never sees half a file; a full disk leaves
 *       the old file as it was and no temporary file behind.
 *   <li>A file whose content is already right is left untouched (its mtime too), so tools that
 *       watch the directory see only real changes.
 * </ul>
 *
 * {@code DIR} itself may be a link: it is what the user named. Errors are {@link
 * UncheckedIOException}s (operation failed) or, for a refused link, {@link
 * IllegalArgumentException}s, each one line naming the path and the cause.
 */
final class OutputDirectory {
  /** What {@link #write} did. */
  enum Outcome {
    WRITTEN,
    UNCHANGED
  }

  private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};

  private final Path root;

  private OutputDirectory(Path root) {
    this.root = root;
  }

  /** The output directory {@code root}, created (with its parents) when missing. */
  static OutputDirectory create(Path root) {
    try {
      Files.createDirectories(root);
    } catch (FileAlreadyExistsException e) {
      throw new IllegalArgumentException("--out " + root + ": exists and is not a directory", e);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "--out " + root + ": cannot create directory: " + Checks.cause(e, root), e);
    }
    return new OutputDirectory(root);
  }

  /**
   * Refuses, before anything is written, a path below the root that would lead through a link or is
   * blocked by something that is not a directory or regular file; creates nothing.
   */
  void check(String relative) {
    walk(relative, null);
  }

  /** Writes {@code content} to {@code relative} ('/'-separated, below the root) unless it is so. */
  Outcome write(String relative, String content) {
    return walk(relative, content.getBytes(StandardCharsets.UTF_8));
  }

  /** Walks to {@code relative}; writes {@code bytes} there unless null (a check only). */
  private Outcome walk(String relative, byte[] bytes) {
    List<String> names = Arrays.asList(relative.split("/", -1));
    for (String n : names) {
      if (n.isEmpty() || n.equals(".") || n.equals("..")) {
        throw new IllegalArgumentException(
            "output path " + Checks.show(relative) + " is not plain");
      }
    }
    Path target = root.resolve(relative);
    List<SecureDirectoryStream<Path>> opened = new ArrayList<>();
    try (DirectoryStream<Path> top = Files.newDirectoryStream(root)) {
      if (!(top instanceof SecureDirectoryStream<Path> current)) {
        throw new UncheckedIOException(
            new IOException(
                "--out "
                    + root
                    + ": this platform cannot open directories without following links"));
      }
      Path at = root;
      for (String n : names.subList(0, names.size() - 1)) {
        at = at.resolve(n);
        current = subdirectory(current, at, Path.of(n), bytes != null);
        if (current == null) {
          return Outcome.UNCHANGED; // a check, and the directory is still to be created
        }
        opened.add(current);
      }
      return replace(current, at, Path.of(names.get(names.size() - 1)), bytes, null);
    } catch (IOException e) {
      throw new UncheckedIOException(
          (bytes == null ? "cannot check " : "cannot write ")
              + target
              + ": "
              + Checks.cause(e, target),
          e);
    } finally {
      for (SecureDirectoryStream<Path> s : opened) {
        try {
          s.close();
        } catch (IOException e) {
          // a directory handle: nothing was written through it that a close could lose
        }
      }
    }
  }

  /**
   * Opens the subdirectory {@code name} of {@code parent}, never a link; creates it when missing
   * and {@code create}, else returns null for a missing one.
   */
  private static SecureDirectoryStream<Path> subdirectory(
      SecureDirectoryStream<Path> parent, Path at, Path name, boolean create) throws IOException {
    BasicFileAttributes a = attributes(parent, name);
    if (a == null) {
      if (!create) {
        return null;
      }
      try {
        Files.createDirectory(at);
      } catch (FileAlreadyExistsException e) {
        // Created meanwhile by someone else: opening it below still refuses a link.
      } catch (IOException e) {
        throw new UncheckedIOException(
            "cannot create directory " + at + ": " + Checks.cause(e, at), e);
      }
    } else {
      refuseLink(a, at);
      if (!a.isDirectory()) {
        throw new IllegalArgumentException("--out: " + at + " is in the way: not a directory");
      }
    }
    return parent.newDirectoryStream(name, NOFOLLOW);
  }

  /**
   * Replaces {@code file} with {@code bytes} as {@link #write} does (atomically, fsynced, never
   * through a link at {@code file}, untouched when it already holds them), in its parent directory
   * as the path names it; for files outside an output directory (the installer's).
   *
   * @param permissions the file's permissions, new or replaced; null keeps a replaced file's and
   *     gives a new one the umask's default
   */
  static Outcome replace(Path file, byte[] bytes, Set<PosixFilePermission> permissions)
      throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    try (DirectoryStream<Path> d = Files.newDirectoryStream(parent)) {
      if (!(d instanceof SecureDirectoryStream<Path> dir)) {
        throw new IOException("this platform cannot open directories without following links");
      }
      return replace(dir, parent, file.getFileName(), bytes, permissions);
    }
  }

  /**
   * Writes {@code bytes} to a temporary file in {@code dir}, flushes it to disk and renames it over
   * {@code name}, unless {@code name} holds them already; a check only when {@code bytes} is null.
   */
  private static Outcome replace(
      SecureDirectoryStream<Path> dir,
      Path at,
      Path name,
      byte[] bytes,
      Set<PosixFilePermission> permissions)
      throws IOException {
    Path file = at.resolve(name);
    BasicFileAttributes a = attributes(dir, name);
    PosixFileAttributes mode = null;
    if (a == null && bytes == null) {
      return Outcome.UNCHANGED;
    }
    if (a != null) {
      refuseLink(a, file);
      if (!a.isRegularFile()) {
        throw new IllegalArgumentException("--out: " + file + " is in the way: not a regular file");
      }
      if (bytes == null) {
        return Outcome.UNCHANGED; // a check: nothing in the way
      }
      if (a.size() == bytes.length && Arrays.equals(read(dir, name, bytes.length), bytes)) {
        return Outcome.UNCHANGED;
      }
      mode =
          dir.getFileAttributeView(name, PosixFileAttributeView.class, NOFOLLOW).readAttributes();
    }
    Set<PosixFilePermission> keep =
        permissions != null ? permissions : mode == null ? null : mode.permissions();
    Path temp =
        Path.of(
            "." + name + ".privport-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
    boolean renamed = false;
    try {
      Set<OpenOption> create =
          Set.of(
              StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW, LinkOption.NOFOLLOW_LINKS);
      // Given permissions: private until they are set, whatever the umask.
      FileAttribute<?>[] initial =
          permissions == null
              ? new FileAttribute<?>[0]
              : new FileAttribute<?>[] {
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))
              };
      try (SeekableByteChannel out = dir.newByteChannel(temp, create, initial)) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
          out.write(buffer);
        }
        if (out instanceof FileChannel channel) {
          channel.force(true); // on disk before the rename makes it the file
        }
      }
      if (keep != null) {
        dir.getFileAttributeView(temp, PosixFileAttributeView.class, NOFOLLOW).setPermissions(keep);
      }
      dir.move(temp, dir, name);
      renamed = true;
      return Outcome.WRITTEN;
    } finally {
      if (!renamed) {
        try {
          dir.deleteFile(temp);
        } catch (IOException e) {
          // never created, or already gone: nothing is left behind either way
        }
      }
    }
  }

  private static byte[] read(SecureDirectoryStream<Path> dir, Path name, int size)
      throws IOException {
    try (SeekableByteChannel in =
        dir.newByteChannel(name, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))) {
      ByteBuffer buffer = ByteBuffer.allocate(size + 1);
      while (buffer.hasRemaining() && in.read(buffer) > 0) {
        // read until full or at the end
      }
      return Arrays.copyOf(buffer.array(), buffer.position());
    }
  }

  /** The attributes of {@code name} itself (not of a link's target), or null when it is absent. */
  private static BasicFileAttributes attributes(SecureDirectoryStream<Path> dir, Path name)
      throws IOException {
    try {
      return dir.getFileAttributeView(name, PosixFileAttributeView.class, NOFOLLOW)
          .readAttributes();
    } catch (java.nio.file.NoSuchFileException e) {
      return null;
    }
  }

  private static void refuseLink(BasicFileAttributes a, Path at) {
    if (a.isSymbolicLink()) {
      String to;
      try {
        to = " (to " + Files.readSymbolicLink(at) + ")";
      } catch (IOException | UnsupportedOperationException e) {
        to = "";
      }
      throw new IllegalArgumentException(
          "--out: "
              + at
              + " is a symbolic link"
              + to
              + ": privport never writes through links below --out; remove it or render elsewhere");
    }
  }
}
