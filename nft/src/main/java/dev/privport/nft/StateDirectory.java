package dev.privport.nft;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Where privport keeps what must outlive one process: the lock that serialises privport processes,
 * and each trial's saved previous state until the trial is confirmed or rolled back. By default
 * {@code /run/privport} (a tmpfs: a reboot empties it, as it empties the ruleset); the system
 * property {@value #PROPERTY} names another. The directory is created with mode 0700 and refused
 * when it is a symlink, belongs to another user or is open to group or others; files in it are 0600
 * and replaced atomically.
 */
public final class StateDirectory {
  /** The system property that overrides the default directory. */
  public static final String PROPERTY = "privport.state.dir";

  /** The default directory. */
  public static final Path DEFAULT = Path.of("/run/privport");

  private static final FileAttribute<Set<PosixFilePermission>> DIRECTORY_MODE =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
  private static final FileAttribute<Set<PosixFilePermission>> FILE_MODE =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

  /**
   * FileChannel locks belong to the whole process, and closing any channel on a file drops them:
   * threads of one JVM therefore queue here before the file lock is taken, and only once.
   */
  private static final ReentrantLock JVM_LOCK = new ReentrantLock();

  /** Trials whose owner is this JVM: their owner files must not be opened (see JVM_LOCK). */
  private static final Set<Path> OWNED_HERE = ConcurrentHashMap.newKeySet();

  private final Path dir;

  private StateDirectory(Path dir) {
    this.dir = dir.toAbsolutePath().normalize();
  }

  /** {@value #PROPERTY} if set, else {@link #DEFAULT}. */
  public static StateDirectory standard() {
    String configured = System.getProperty(PROPERTY);
    return new StateDirectory(
        configured == null || configured.isBlank() ? DEFAULT : Path.of(configured));
  }

  /** The directory {@code dir}; it is created (mode 0700) when first needed. */
  public static StateDirectory at(Path dir) {
    return new StateDirectory(dir);
  }

  /** The directory. */
  public Path path() {
    return dir;
  }

  /** Held while one privport operation reads or changes a table; close to release. */
  public final class Lock implements AutoCloseable {
    private final FileChannel channel;

    private Lock(FileChannel channel) {
      this.channel = channel;
    }

    @Override
    public void close() {
      try {
        if (channel != null) {
          channel.close(); // releases the file lock
        }
      } catch (IOException e) {
        // closing releases the lock whatever close reports
      } finally {
        JVM_LOCK.unlock();
      }
    }
  }

  /**
   * Takes the lock shared by every privport process using this directory, waiting for it: the
   * directory is created private or refused when another user or a link could reach it, and the
   * lock file is never followed through a link. Other routes (the command line's iptables route)
   * take it too, so no privport process changes a firewall while another does.
   *
   * @throws NftablesException when the directory or the lock file cannot be used, naming which
   */
  public Lock lock() {
    JVM_LOCK.lock();
    if (JVM_LOCK.getHoldCount() > 1) {
      return new Lock(null); // this thread already holds the file lock
    }
    Path file = dir.resolve("lock");
    try {
      ensure();
      FileChannel channel = open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      try {
        channel.lock();
        return new Lock(channel);
      } catch (IOException | RuntimeException e) {
        channel.close();
        throw e;
      }
    } catch (IOException e) {
      JVM_LOCK.unlock();
      throw failure("cannot lock " + file, e);
    } catch (RuntimeException e) {
      JVM_LOCK.unlock();
      throw e;
    }
  }

  /** Creates the directory if needed and checks that only its owner, this user, can use it. */
  private void ensure() throws IOException {
    Map<String, Object> a;
    try {
      a = Files.readAttributes(dir, "unix:mode,uid", LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException missing) {
      try {
        Files.createDirectory(dir, DIRECTORY_MODE);
      } catch (FileAlreadyExistsException e) {
        // another process created it meanwhile: checked below like any other
      } catch (NoSuchFileException e) {
        throw new NoSuchFileException(dir + ": its parent directory does not exist");
      }
      a = Files.readAttributes(dir, "unix:mode,uid", LinkOption.NOFOLLOW_LINKS);
    }
    int mode = (Integer) a.get("mode");
    int type = mode & S_IFMT;
    if (type != S_IFDIR) {
      throw new IOException(
          dir + " is not a directory (" + (type == S_IFLNK ? "a symlink" : "a file") + ")");
    }
    Object owner = a.get("uid");
    if (!owner.equals(myUid())) {
      throw new IOException(
          dir + " belongs to uid " + owner + ", not to this user (uid " + myUid() + ")");
    }
    if ((mode & 077) != 0) {
      throw new IOException(
          dir
              + " is open to group or others (mode "
              + String.format(Locale.ROOT, "%04o", mode & 07777)
              + "; it must be 0700)");
    }
  }

  private static final int S_IFMT = 0170000;
  private static final int S_IFDIR = 0040000;
  private static final int S_IFLNK = 0120000;
  private static Object uid;

  private static synchronized Object myUid() throws IOException {
    if (uid == null) {
      uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    }
    return uid;
  }

  private static FileChannel open(Path file, OpenOption... options) throws IOException {
    Set<OpenOption> all = new java.util.HashSet<>(Set.of(options));
    all.add(LinkOption.NOFOLLOW_LINKS);
    return FileChannel.open(file, all, FILE_MODE);
  }

  /** The text of {@code name}, if the file exists. */
  Optional<String> read(String name) {
    Path file = dir.resolve(name);
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty();
    }
    try (FileChannel channel = open(file, StandardOpenOption.READ)) {
      long size = channel.size();
      if (size > 256L << 20) {
        throw new IOException("larger than 256 MiB");
      }
      ByteBuffer buf = ByteBuffer.allocate((int) size);
      while (buf.hasRemaining() && channel.read(buf) >= 0) {
        // read it all
      }
      return Optional.of(new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw failure("cannot read " + file, e);
    }
  }

  /** Replaces {@code name} with {@code text} atomically: a reader sees the old or the new text. */
  void write(String name, String text) {
    Path file = dir.resolve(name);
    Path temporary = dir.resolve("." + name + "." + ProcessHandle.current().pid() + ".tmp");
    try {
      ensure();
      Files.deleteIfExists(temporary);
      try (FileChannel channel =
          open(temporary, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (buf.hasRemaining()) {
          channel.write(buf);
        }
        channel.force(true);
      }
      try {
        Files.move(
            temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("the file system cannot rename atomically", e);
      }
      syncDirectory();
    } catch (IOException e) {
      deleteQuietly(temporary);
      throw failure("cannot write " + file, e);
    }
  }

  /** Makes the rename itself durable; a file system that cannot sync a directory is let be. */
  private void syncDirectory() {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      // the rename is atomic either way; only its durability across a crash is at stake
    }
  }

  /** Deletes {@code name}; nothing when it is absent. */
  void delete(String name) {
    Path file = dir.resolve(name);
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      throw failure("cannot delete " + file, e);
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // an owner-only leftover in our own directory; the next write replaces it
    }
  }

  /**
   * Marks {@code name} as owned by this process until {@link Owner#close}: a lock on that file that
   * the kernel drops when the process ends, however it ends ({@code kill -9} included).
   */
  final class Owner implements AutoCloseable {
    private final Path file;
    private FileChannel channel;

    private Owner(Path file, FileChannel channel) {
      this.file = file;
      this.channel = channel;
    }

    /** Deletes the owner file and releases it. Call with the directory's lock held. */
    @Override
    public void close() {
      if (channel == null) {
        return;
      }
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        // a leftover owner file without a lock reads as "owner gone", which is true
      }
      try {
        channel.close();
      } catch (IOException e) {
        // the lock is released by close whatever it reports
      }
      channel = null;
      OWNED_HERE.remove(file);
    }
  }

  /** Claims {@code name}; call with the directory's lock held. */
  Owner claim(String name) {
    Path file = dir.resolve(name);
    try {
      FileChannel channel = open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      try {
        if (channel.tryLock() == null) {
          throw new IOException("another process holds it");
        }
      } catch (IOException | RuntimeException e) {
        channel.close();
        throw e;
      }
      OWNED_HERE.add(file);
      return new Owner(file, channel);
    } catch (IOException e) {
      throw failure("cannot claim " + file, e);
    }
  }

  /**
   * Whether a live process, this one included, owns {@code name}. Call with the directory's lock
   * held: then no owner is being created or released meanwhile.
   */
  boolean owned(String name) {
    Path file = dir.resolve(name);
    if (OWNED_HERE.contains(file)) {
      return true;
    }
    try (FileChannel channel = open(file, StandardOpenOption.WRITE)) {
      FileLock probe = channel.tryLock();
      if (probe == null) {
        return true;
      }
      probe.release();
      return false;
    } catch (NoSuchFileException e) {
      return false;
    } catch (OverlappingFileLockException e) {
      return true;
    } catch (IOException e) {
      throw failure("cannot check " + file, e);
    }
  }

  private static NftablesException failure(String what, IOException e) {
    String cause = e.getMessage() == null ? e.toString() : e.getMessage();
    if (cause.contains("Too many open files")) {
      return new NftablesException(
          NftablesException.Reason.RESOURCE_LIMIT,
          what
              + ": too many open files: the process's file-descriptor limit (ulimit -n) is used"
              + " up; raise it");
    }
    if (e instanceof NoSuchFileException && !cause.contains(" ")) {
      cause = "no such file or directory: " + cause;
    }
    return new NftablesException(
        NftablesException.Reason.STATE_DIRECTORY,
        what
            + ": "
            + cause.replace('\n', ' ')
            + " (the state directory is set by -D"
            + PROPERTY
            + ", default "
            + DEFAULT
            + ")");
  }
}
