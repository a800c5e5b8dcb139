package dev.privport.nft;

import jnr.ffi.Runtime;

/**
 * Opens and closes a netfilter netlink socket before libnftables is asked to: when {@code
 * nft_ctx_new} cannot open one it calls {@code exit()}, which would end the embedding JVM.
 */
final class NetlinkProbe {
  private static final int EMFILE = 24;

  private NetlinkProbe() {}

  /** Returns null when a socket can be opened, else why not. */
  static String problem() {
    Libc.Native libc = Libc.get();
    int fd = Libc.netfilterSocket(libc);
    if (fd < 0) {
      int errno = Runtime.getRuntime(libc).getLastError();
      if (errno == EMFILE) {
        return "cannot open a netfilter netlink socket: too many open files (the process's"
            + " file-descriptor limit, ulimit -n, is used up): raise it";
      }
      return "cannot open a netfilter netlink socket (errno "
          + errno
          + "); is nf_tables available in this kernel?";
    }
    libc.close(fd);
    return null;
  }
}
