package dev.privport.nft;

import java.util.Arrays;
import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/** The few libc calls the executor makes itself, bound once. */
final class Libc {
  private static final int MFD_CLOEXEC = 1;
  private static final int AF_NETLINK = 16;
  private static final int SOCK_RAW = 3;
  private static final int SOCK_CLOEXEC = 0x80000;
  private static final int NETLINK_NETFILTER = 12;

  /** The libc functions used (public because jnr-ffi implements it from another class loader). */
  public interface Native {
    int socket(int domain, int type, int protocol);

    int close(int fd);

    int memfd_create(String name, int flags);

    @ssize_t
    long write(int fd, @In byte[] buf, @size_t long count);

    int setsockopt(int fd, int level, int name, @In byte[] value, int length);

    @ssize_t
    long send(int fd, @In byte[] buf, @size_t long len, int flags);

    @ssize_t
    long recv(int fd, @Out byte[] buf, @size_t long len, int flags);
  }

  private static volatile Native bound;

  private Libc() {}

  /**
   * The binding, made once. It may be jnr-ffi's first use, so it loads like libnftables does (the
   * default locale switched to ROOT, under the executor's lock: see {@link
   * NftContext#withRootFormatLocale}); the same lock, not this class's monitor, guards it, because
   * {@link NftContext#open} calls here while holding it.
   */
  static Native get() {
    Native c = bound;
    if (c == null) {
      c =
          NftContext.withRootFormatLocale(
              () -> bound != null ? bound : LibraryLoader.create(Native.class).load("c"));
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
    int fd = c.memfd_create("privport-script", MFD_CLOEXEC);
    if (fd < 0) {
      return -1;
    }
    int done = 0;
    while (done < content.length) {
      byte[] rest = done == 0 ? content : Arrays.copyOfRange(content, done, content.length);
      long n = c.write(fd, rest, rest.length);
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
}
