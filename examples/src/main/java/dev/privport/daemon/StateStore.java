package dev.privport.daemon;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The granted plans, one file per uid ({@code u1000.plan}, plan-file text, mode 0600) in a
 * directory only root can enter (0700). Writes are atomic: a temporary file is written, flushed to
 * disk and renamed over the old one, so a crash or a full disk leaves the old plan or the new one,
 * never half of one.
 */
public final class StateStore {
  private static final Pattern FILE = Pattern.compile("u(\\d{1,10})\\.plan");

  /** A state file larger than this is not a plan the daemon wrote. */
  private static final long MAX_BYTES = 1 << 20;

  private final Path dir;

  private StateStore(Path dir) {
    this.dir = dir;
  }

  /** Opens (creating, 0700) the state directory. */
  public static StateStore open(Path dir) {
    try {
      if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        Files.createDirectories(
            dir,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    } catch (IOException e) {
      throw new IllegalStateException("state directory " + dir + ": " + e, e);
    }
    return new StateStore(dir);
  }

  /** The directory. */
  public Path dir() {
    return dir;
  }

  private Path file(int uid) {
    return dir.resolve("u" + Integer.toUnsignedString(uid) + ".plan");
  }

  /** Stores {@code text} as the plan of {@code uid}, atomically. */
  public void save(int uid, String text) {
    Path target = file(uid);
    Path tmp = dir.resolve("." + target.getFileName() + ".tmp");
    try {
      Files.deleteIfExists(tmp);
      try (FileChannel ch =
          FileChannel.open(
              tmp,
              java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
        ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) {
          ch.write(b);
        }
        ch.force(true);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      syncDirectory();
    } catch (IOException e) {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // The save failed already; the message names the first cause.
      }
      throw new IllegalStateException("state " + target + ": cannot write: " + e, e);
    }
  }

  /** Forgets the plan of {@code uid}; nothing happens when there is none. */
  public void delete(int uid) {
    try {
      Files.deleteIfExists(file(uid));
      syncDirectory();
    } catch (IOException e) {
      throw new IllegalStateException("state " + file(uid) + ": cannot delete: " + e, e);
    }
  }

  /** The stored plan text of {@code uid}, or null. */
  public String read(int uid) {
    return readFile(file(uid));
  }

  /** Every stored plan text by uid. Files that are not the daemon's are ignored. */
  public Map<Integer, String> all() {
    Map<Integer, String> out = new TreeMap<>(Integer::compareUnsigned);
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        Matcher m = FILE.matcher(f.getFileName().toString());
        if (!m.matches()) {
          continue;
        }
        long uid = Long.parseLong(m.group(1));
        if (uid > 0xFFFF_FFFEL) {
          continue;
        }
        String text = readFile(f);
        if (text != null) {
          out.put((int) uid, text);
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("state directory " + dir + ": cannot list: " + e, e);
    }
    return out;
  }

  private static String readFile(Path f) {
    try {
      if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS) || Files.size(f) > MAX_BYTES) {
        return null;
      }
      return Files.readString(f, StandardCharsets.UTF_8);
    } catch (java.nio.file.NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      throw new IllegalStateException("state " + f + ": cannot read: " + e, e);
    }
  }

  private void syncDirectory() throws IOException {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
  }
}
