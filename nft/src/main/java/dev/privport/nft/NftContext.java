package dev.privport.nft;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.locks.ReentrantLock;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;

/**
 * One libnftables context, kept open for the executor's life ({@code nft_ctx_free} costs 13-15 ms).
 * libnftables keeps process-wide state (interface cache, libxtables globals) and reuses its buffers
 * on the next call, so every call into it, across all contexts, holds {@link #LOCK}, and output and
 * error are copied into Java strings before the lock is released.
 */
final class NftContext implements AutoCloseable {
  /** Serialises every call into libnftables in this JVM: several contexts in parallel crash it. */
  static final ReentrantLock LOCK = new ReentrantLock();

  private static final int CAP_NET_ADMIN = 12;

  private static LibNftables loaded;
  private static String loadedName;

  /** What one call returned: libnftables' status, output and error, already copied. */
  record Result(int status, String output, String error) {}

  private final LibNftables lib;
  private Pointer ctx;

  private NftContext(LibNftables lib, Pointer ctx) {
    this.lib = lib;
    this.ctx = ctx;
  }

  /** Loads the library, probes netlink, then creates a context with buffered output and error. */
  static NftContext open(String soname) {
    LOCK.lock();
    try {
      LibNftables lib = load(soname);
      String netlink = NetlinkProbe.problem();
      if (netlink != null) {
        throw new NftablesException(NftablesException.Reason.NETLINK_UNAVAILABLE, netlink);
      }
      Pointer ctx = lib.nft_ctx_new(LibNftables.NFT_CTX_DEFAULT);
      if (ctx == null) {
        throw new NftablesException(NftablesException.Reason.REJECTED, "nft_ctx_new returned NULL");
      }
      if (lib.nft_ctx_buffer_output(ctx) != 0 || lib.nft_ctx_buffer_error(ctx) != 0) {
        lib.nft_ctx_free(ctx);
        throw new NftablesException(
            NftablesException.Reason.REJECTED, "libnftables cannot buffer its output");
      }
      return new NftContext(lib, ctx);
    } finally {
      LOCK.unlock();
    }
  }

  private static LibNftables load(String soname) {
    if (loaded != null && soname.equals(loadedName)) {
      return loaded;
    }
    try {
      loaded = LibraryLoader.create(LibNftables.class).failImmediately().load(soname);
      loadedName = soname;
      return loaded;
    } catch (LinkageError | RuntimeException e) {
      throw new NftablesException(
          NftablesException.Reason.LIBRARY_MISSING,
          "cannot load "
              + soname
              + " ("
              + e.getMessage()
              + "): install libnftables"
              + " (Debian/Ubuntu: apt-get install libnftables1; Fedora/RHEL/CentOS: dnf install nftables;"
              + " openSUSE: zypper install libnftables1; Arch: pacman -S nftables)");
    }
  }

  /**
   * Runs {@code commands} as one transaction.
   *
   * @param outputFlags {@code NFT_CTX_OUTPUT_*} flags for this call only
   * @param dryRun check without committing
   */
  Result run(String commands, int outputFlags, boolean dryRun) {
    LOCK.lock();
    try {
      if (ctx == null) {
        throw new IllegalStateException("this Nftables executor is closed");
      }
      requireNetAdmin();
      lib.nft_ctx_output_set_flags(ctx, outputFlags);
      lib.nft_ctx_set_dry_run(ctx, (byte) (dryRun ? 1 : 0));
      try {
        int status = lib.nft_run_cmd_from_buffer(ctx, commands);
        String output = read(lib.nft_ctx_get_output_buffer(ctx));
        String error = read(lib.nft_ctx_get_error_buffer(ctx));
        if (status != 0) {
          // From a buffer, errors carry no line. The transaction failed whole, so nothing changed:
          // a dry run of the same text from a file names the line (for all but kernel-only errors).
          error = locate(commands, error);
        }
        return new Result(status, output, error);
      } finally {
        lib.nft_ctx_set_dry_run(ctx, (byte) 0);
        lib.nft_ctx_output_set_flags(ctx, 0);
      }
    } finally {
      LOCK.unlock();
    }
  }

  /** The error of a dry run from a file (which names the line), or {@code error} if that passes. */
  private String locate(String commands, String error) {
    Path script = writeScript(commands);
    try {
      lib.nft_ctx_set_dry_run(ctx, (byte) 1);
      int status = lib.nft_run_cmd_from_filename(ctx, script.toString());
      read(lib.nft_ctx_get_output_buffer(ctx));
      String located = read(lib.nft_ctx_get_error_buffer(ctx));
      return status != 0 && !located.isBlank() ? located : error;
    } finally {
      lib.nft_ctx_set_dry_run(ctx, (byte) 0);
      deleteQuietly(script);
    }
  }

  private static Path writeScript(String commands) {
    try {
      Path file =
          Files.createTempFile(
              "privport-",
              ".nft",
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(file, commands, StandardCharsets.UTF_8);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the nft script to a temporary file", e);
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // a leftover owner-only temp file is harmless
    }
  }

  private static String read(Pointer buffer) {
    return buffer == null ? "" : buffer.getString(0, Integer.MAX_VALUE, StandardCharsets.UTF_8);
  }

  /** Threads seen holding CAP_NET_ADMIN; only a positive answer is remembered. */
  private static final ThreadLocal<Boolean> HAS_NET_ADMIN = ThreadLocal.withInitial(() -> false);

  /**
   * Throws unless the calling thread holds CAP_NET_ADMIN. Without it libnftables fails anyway, and
   * also writes "you must be root" to the real stderr; checking first keeps that noise away.
   */
  private static void requireNetAdmin() {
    if (HAS_NET_ADMIN.get()) {
      return;
    }
    if (!hasNetAdmin()) {
      throw new NftablesException(
          NftablesException.Reason.PERMISSION,
          "changing or reading nftables needs CAP_NET_ADMIN: run as root or grant the capability");
    }
    HAS_NET_ADMIN.set(true);
  }

  /** Whether the calling thread's effective capabilities include CAP_NET_ADMIN. */
  static boolean hasNetAdmin() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/thread-self/status"))) {
        if (line.startsWith("CapEff:")) {
          long caps = Long.parseUnsignedLong(line.substring(7).trim(), 16);
          return (caps & (1L << CAP_NET_ADMIN)) != 0;
        }
      }
    } catch (IOException | NumberFormatException e) {
      return true; // cannot tell: let libnftables answer
    }
    return true;
  }

  @Override
  public void close() {
    LOCK.lock();
    try {
      if (ctx != null) {
        lib.nft_ctx_free(ctx);
        ctx = null;
      }
    } finally {
      LOCK.unlock();
    }
  }
}
