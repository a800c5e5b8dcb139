package dev.privport.nft;

import java.util.Arrays;
import jnr.ffi.LibraryLoader;

/** The few libc calls the executor makes itself, bound once. */
final class Libc {
  private static final int MFD_CLOEXEC = 1;
  private static final int AF_NETLINK = 16;
  private static final int SOCK_RAW = 3;
  private static final int SOCK_CLOEXEC = 0x80000;
  private static final int NETLINK_NETFILTER = 12;

  /**
   * The libc functions used that take no {@code size_t} (public because jnr-ffi implements it from
   * another class loader). No binding carries an annotation ({@code @size_t}, {@code @In}): jnr-ffi
   * defines a proxy class for each annotation type it meets, and for each converter {@code
   * NativeLong} needs, about a millisecond apiece on every run.
   */
  public interface Native {
    int socket(int domain, int type, int protocol);

    int close(int fd);

    int memfd_create(byte[] name, int flags);

    int setsockopt(int fd, int level, int name, byte[] value, int length);
  }

  /** The {@code size_t} calls where {@code size_t} and {@code ssize_t} are 64 bits: Java long. */
  public interface Native64 extends Native {
    long write(int fd, byte[] buf, long count);

    long send(int fd, byte[] buf, long len, int flags);

    long recv(int fd, byte[] buf, long len, int flags);
  }

  /** The {@code size_t} calls where {@code size_t} and {@code ssize_t} are 32 bits: Java int. */
  public interface Native32 extends Native {
    int write(int fd, byte[] buf, int count);

    int send(int fd, byte[] buf, int len, int flags);

    int recv(int fd, byte[] buf, int len, int flags);
  }

  /** Whether this process's C ABI has 64-bit pointers and sizes (LP64). */
  private static final boolean LP64 = "64".equals(System.getProperty("sun.arch.data.model", "64"));

  private static volatile Native bound;

  private Libc() {}

  /**
   * The binding, made once. It may be jnr-ffi's first use, so it loads like libnftables does (the
   * default FORMAT locale switched to US, under the executor's lock: see {@link
   * NftContext#withUsFormatLocale}); the same lock, not this class's monitor, guards it, because
   * {@link NftContext#open} calls here while holding it.
   */
  static Native get() {
    Native c = bound;
    if (c == null) {
      c =
          NftContext.withUsFormatLocale(
              () ->
                  bound != null
                      ? bound
                      : LP64
                          ? LibraryLoader.create(Native64.class).load("c")
                          : LibraryLoader.create(Native32.class).load("c"));
      bound = c;
    }
    return c;
  }

  /** A netfilter netlink socket (close-on-exec) opened with {@code c}, or -1 (errno set). */
  static int netfilterSocket(Native c) {
    return c.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  }

  /** An anonymous in-memory file holding {@code content}, or -1 when none can be made. */
  static int memfd(byte[] content) {
    Native c = get();
    int fd = c.memfd_create(NftContext.cString("privport-script"), MFD_CLOEXEC);
    if (fd < 0) {
      return -1;
    }
    int done = 0;
    while (done < content.length) {
      byte[] rest = done == 0 ? content : Arrays.copyOfRange(content, done, content.length);
      long n = write(c, fd, rest, rest.length);
      if (n <= 0) {
        c.close(fd);
        return -1;
      }
      done += (int) n;
    }
    return fd;
  }

  static void close(int fd) {
    get().close(fd);
  }

  /** {@code write(2)} through {@code c}: the bytes written, or -1. */
  static long write(Native c, int fd, byte[] buf, int length) {
    return c instanceof Native64 n
        ? n.write(fd, buf, length)
        : ((Native32) c).write(fd, buf, length);
  }

  /** {@code send(2)} through {@code c}: the bytes sent, or -1. */
  static long send(Native c, int fd, byte[] buf, int length, int flags) {
    return c instanceof Native64 n
        ? n.send(fd, buf, length, flags)
        : ((Native32) c).send(fd, buf, length, flags);
  }

  /** {@code recv(2)} through {@code c}: the bytes received, or -1. */
  static long recv(Native c, int fd, byte[] buf, int length, int flags) {
    return c instanceof Native64 n
        ? n.recv(fd, buf, length, flags)
        : ((Native32) c).recv(fd, buf, length, flags);
  }
}
