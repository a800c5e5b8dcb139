package dev.privport.nft;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Two questions libnftables cannot answer cheaply, asked of the kernel directly on a netfilter
 * netlink socket of the executor's namespace: the ruleset's generation ({@code NFT_MSG_GETGEN}; the
 * kernel adds one for every committed transaction, whatever it touched, and nothing for a failed
 * one or a listing) and whether one table exists ({@code NFT_MSG_GETTABLE}), each in about 20
 * microseconds whatever the tables hold. Listing a table through libnftables would read every map
 * element back. Every answer that cannot be had is empty: the caller then takes the path that needs
 * none.
 */
final class NftGeneration implements AutoCloseable {
  private static final int SOL_SOCKET = 1;
  private static final int SO_RCVTIMEO = 20;
  private static final int NLM_F_REQUEST = 1;
  private static final int NLMSG_ERROR = 2;
  private static final int NFNL_SUBSYS_NFTABLES = 10;
  private static final int NFT_MSG_NEWTABLE = 0;
  private static final int NFT_MSG_GETTABLE = 1;
  private static final int NFT_MSG_NEWGEN = 15;
  private static final int NFT_MSG_GETGEN = 16;
  private static final int NFTA_TABLE_NAME = 1;
  private static final int NFTA_GEN_ID = 1;
  private static final int NFPROTO_INET = 1;
  private static final int ENOENT = 2;

  private final Libc.Native libc;
  private int fd;
  private int sequence;

  private NftGeneration(Libc.Native libc, int fd) {
    this.libc = libc;
    this.fd = fd;
  }

  /**
   * Opens the socket in the calling thread's network namespace, or returns null when it cannot
   * (then nothing is known and every apply takes the full path).
   */
  static NftGeneration open() {
    try {
      Libc.Native c = Libc.get();
      int fd = Libc.netfilterSocket(c);
      if (fd < 0) {
        return null;
      }
      // A kernel always answers; the timeout only bounds a wait that should never happen.
      byte[] second = new byte[16];
      ByteBuffer.wrap(second).order(ByteOrder.nativeOrder()).putLong(1L).putLong(0L);
      c.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, second, second.length);
      return new NftGeneration(c, fd);
    } catch (LinkageError | RuntimeException e) {
      return null;
    }
  }

  /** The ruleset's generation in this namespace, or empty when it cannot be read. */
  synchronized OptionalLong generation() {
    ByteBuffer reply = ask(NFT_MSG_GETGEN, 0, null);
    if (reply == null || type(reply) != ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWGEN)) {
      return OptionalLong.empty();
    }
    ByteBuffer id = attribute(reply, NFTA_GEN_ID);
    return id == null || id.remaining() < 4
        ? OptionalLong.empty()
        : OptionalLong.of(Integer.toUnsignedLong(id.order(ByteOrder.BIG_ENDIAN).getInt()));
  }

  /** Whether {@code table inet NAME} exists, or empty when the kernel's answer is unclear. */
  synchronized Optional<Boolean> tableExists(String name) {
    ByteBuffer reply = ask(NFT_MSG_GETTABLE, NFPROTO_INET, name);
    if (reply == null) {
      return Optional.empty();
    }
    if (type(reply) == NLMSG_ERROR) {
      int error = reply.getInt(16);
      return error == -ENOENT ? Optional.of(false) : Optional.empty();
    }
    return type(reply) == ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWTABLE)
        ? Optional.of(true)
        : Optional.empty();
  }

  /** Sends one request and returns the reply with its sequence number, or null. */
  private ByteBuffer ask(int message, int family, String tableName) {
    if (fd < 0) {
      return null;
    }
    byte[] nameBytes =
        tableName == null ? new byte[0] : (tableName + "\0").getBytes(StandardCharsets.UTF_8);
    int attributeLength = tableName == null ? 0 : 4 + nameBytes.length;
    int length = 20 + align(attributeLength);
    ByteBuffer out = ByteBuffer.allocate(length).order(ByteOrder.nativeOrder());
    int seq = ++sequence;
    out.putInt(length)
        .putShort((short) ((NFNL_SUBSYS_NFTABLES << 8) | message))
        .putShort((short) NLM_F_REQUEST)
        .putInt(seq)
        .putInt(0)
        .put((byte) family)
        .put((byte) 0) // NFNETLINK_V0
        .putShort((short) 0);
    if (tableName != null) {
      out.putShort((short) attributeLength).putShort((short) NFTA_TABLE_NAME).put(nameBytes);
    }
    if (Libc.send(libc, fd, out.array(), length, 0) != length) {
      return null;
    }
    byte[] in = new byte[8192];
    for (int tries = 0; tries < 8; tries++) {
      long n = Libc.recv(libc, fd, in, in.length, 0);
      if (n < 16) {
        return null;
      }
      ByteBuffer reply = ByteBuffer.wrap(in, 0, (int) n).slice().order(ByteOrder.nativeOrder());
      if (reply.getInt(8) == seq) {
        return reply;
      }
      // an answer to an earlier question that timed out: skip it
    }
    return null;
  }

  private static int type(ByteBuffer reply) {
    return reply.getShort(4) & 0xffff;
  }

  /** The payload of the first attribute {@code wanted} after the nfgenmsg header, or null. */
  private static ByteBuffer attribute(ByteBuffer reply, int wanted) {
    int end = Math.min(reply.getInt(0), reply.limit());
    int at = 20;
    while (at + 4 <= end) {
      int length = reply.getShort(at) & 0xffff;
      int type = reply.getShort(at + 2) & 0x3fff;
      if (length < 4 || at + length > end) {
        return null;
      }
      if (type == wanted) {
        return reply.duplicate().position(at + 4).limit(at + length).slice();
      }
      at += align(length);
    }
    return null;
  }

  private static int align(int n) {
    return (n + 3) & ~3;
  }

  @Override
  public synchronized void close() {
    if (fd >= 0) {
      libc.close(fd);
      fd = -1;
    }
  }
}
