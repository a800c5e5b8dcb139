package dev.privport.daemon;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.FileSystems;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * The daemon's socket loop. One thread reads every connection without blocking, so a client that
 * connects and never sends costs one file descriptor and nothing else, and is dropped at its
 * deadline; complete requests go, one at a time, to the decision thread ({@code worker}).
 *
 * <p>Bounds: a request is at most {@link Wire#MAX_REQUEST} bytes and must arrive within {@link
 * #DEADLINE_MILLIS}; at most {@link #MAX_CONNECTIONS} connections are open, at most {@link
 * #MAX_PER_UID} of them from one uid; past either bound the oldest connection of that uid (or
 * overall) still sending is dropped, so a flood cannot shut the others out.
 */
public final class DaemonServer {
  /** Time a client has to send its request, and then to read the answer. */
  public static final long DEADLINE_MILLIS = 3_000;

  /** Open connections at most. */
  public static final int MAX_CONNECTIONS = 256;

  /** Open connections from one uid at most. */
  public static final int MAX_PER_UID = 32;

  private final ServerSocketChannel server;
  private final BiFunction<Peer, byte[], byte[]> handler;
  private final ExecutorService worker;
  private final Consumer<String> log;
  private final Selector selector;
  private final Set<Conn> open = new LinkedHashSet<>();
  private final Queue<Conn> answered = new ArrayDeque<>();
  private volatile boolean stopped;

  /** One connection and where it stands. */
  private final class Conn {
    final SocketChannel channel;
    final Peer peer;
    final long opened = System.nanoTime();
    final ByteBuffer in = ByteBuffer.allocate(Wire.MAX_REQUEST + 1);
    SelectionKey key;
    volatile ByteBuffer out;
    long deadline;
    boolean deciding;

    Conn(SocketChannel channel, Peer peer) {
      this.channel = channel;
      this.peer = peer;
      this.deadline = System.nanoTime() + DEADLINE_MILLIS * 1_000_000;
    }
  }

  /**
   * A server on a bound {@code server} channel; {@code handler} turns a caller and its request
   * bytes into response bytes on {@code worker}.
   */
  public DaemonServer(
      ServerSocketChannel server,
      BiFunction<Peer, byte[], byte[]> handler,
      ExecutorService worker,
      Consumer<String> log)
      throws IOException {
    this.server = server;
    this.handler = handler;
    this.worker = worker;
    this.log = log;
    this.selector = Selector.open();
    server.configureBlocking(false);
    server.register(selector, SelectionKey.OP_ACCEPT);
  }

  /** Serves until {@link #stop()}. */
  public void serve() throws IOException {
    while (!stopped) {
      selector.select(250);
      for (SelectionKey k : selector.selectedKeys()) {
        try {
          if (!k.isValid()) {
            continue;
          }
          if (k.isAcceptable()) {
            accept();
          } else if (k.isReadable()) {
            read((Conn) k.attachment());
          } else if (k.isWritable()) {
            write((Conn) k.attachment());
          }
        } catch (IOException | RuntimeException e) {
          if (k.attachment() instanceof Conn c) {
            drop(c, "I/O error: " + e.getMessage());
          } else {
            log.accept("accept failed: " + e);
          }
        }
      }
      selector.selectedKeys().clear();
      startWriting();
      expire();
    }
    for (Conn c : List.copyOf(open)) {
      close(c);
    }
    selector.close();
  }

  /** Stops the loop (from any thread). */
  public void stop() {
    stopped = true;
    selector.wakeup();
  }

  private void accept() throws IOException {
    SocketChannel ch;
    while ((ch = server.accept()) != null) {
      Peer peer;
      try {
        peer = peerOf(ch);
      } catch (IOException | RuntimeException e) {
        log.accept("connection refused: no trustworthy peer credentials: " + e.getMessage());
        ch.close();
        continue;
      }
      ch.configureBlocking(false);
      Conn c = new Conn(ch, peer);
      if (!makeRoomFor(peer)) {
        // Every connection of this uid (or every one) is waiting for its decision: refuse.
        log.accept(peer + " connection refused: too many requests waiting for a decision");
        ch.close();
        continue;
      }
      open.add(c);
      c.key = ch.register(selector, SelectionKey.OP_READ, c);
    }
  }

  /**
   * Makes room for one more connection from {@code peer}, dropping the oldest still sending; false
   * when no connection can be dropped because all of them wait for a decision or an answer.
   */
  private boolean makeRoomFor(Peer peer) {
    List<Conn> sameUid = open.stream().filter(c -> c.peer.uid() == peer.uid()).toList();
    if (sameUid.size() >= MAX_PER_UID) {
      java.util.Optional<Conn> victim = oldestSending(sameUid);
      if (victim.isEmpty()) {
        return false;
      }
      drop(victim.get(), "more than " + MAX_PER_UID + " connections from this uid");
    }
    if (open.size() >= MAX_CONNECTIONS) {
      java.util.Optional<Conn> victim = oldestSending(List.copyOf(open));
      if (victim.isEmpty()) {
        return false;
      }
      drop(victim.get(), "more than " + MAX_CONNECTIONS + " connections");
    }
    return true;
  }

  private static java.util.Optional<Conn> oldestSending(List<Conn> conns) {
    return conns.stream()
        .filter(c -> !c.deciding && c.out == null)
        .min(Comparator.comparingLong(c -> c.opened));
  }

  private void read(Conn c) throws IOException {
    int n = c.channel.read(c.in);
    if (n >= 0 && c.in.hasRemaining()) {
      return;
    }
    c.key.interestOps(0);
    if (n >= 0) {
      // The buffer is full: one byte more than a request may have.
      byte[] answer =
          new Wire.Response(2, "request is larger than " + Wire.MAX_REQUEST + " bytes").encode();
      log.accept(
          c.peer
              + " request=? verdict=refused code=2 reason=\"larger than "
              + Wire.MAX_REQUEST
              + " bytes\"");
      answer(c, answer);
      return;
    }
    byte[] request = Arrays.copyOf(c.in.array(), c.in.position());
    c.deciding = true;
    worker.execute(
        () -> {
          byte[] response;
          try {
            response = handler.apply(c.peer, request);
          } catch (RuntimeException e) {
            response = new Wire.Response(3, "daemon error: " + e).encode();
          }
          byte[] r = response;
          synchronized (answered) {
            c.out = ByteBuffer.wrap(r);
            answered.add(c);
          }
          selector.wakeup();
        });
  }

  private void answer(Conn c, byte[] response) {
    synchronized (answered) {
      c.out = ByteBuffer.wrap(response);
      answered.add(c);
    }
  }

  private void startWriting() {
    List<Conn> ready;
    synchronized (answered) {
      ready = new ArrayList<>(answered);
      answered.clear();
    }
    for (Conn c : ready) {
      c.deciding = false;
      if (!open.contains(c)) {
        continue;
      }
      c.deadline = System.nanoTime() + DEADLINE_MILLIS * 1_000_000;
      try {
        write(c);
        if (c.channel.isOpen()) {
          c.key.interestOps(SelectionKey.OP_WRITE);
        }
      } catch (IOException | RuntimeException e) {
        drop(c, "cannot answer: " + e.getMessage());
      }
    }
  }

  private void write(Conn c) throws IOException {
    c.channel.write(c.out);
    if (!c.out.hasRemaining()) {
      close(c);
    }
  }

  private void expire() {
    long now = System.nanoTime();
    for (Conn c : List.copyOf(open)) {
      if (!c.deciding && now - c.deadline > 0) {
        drop(
            c,
            c.out == null
                ? "no complete request within " + DEADLINE_MILLIS + " ms"
                : "answer not read within " + DEADLINE_MILLIS + " ms");
      }
    }
  }

  private void drop(Conn c, String why) {
    if (open.contains(c)) {
      log.accept(c.peer + " connection dropped: " + why);
    }
    close(c);
  }

  private void close(Conn c) {
    open.remove(c);
    if (c.key != null) {
      c.key.cancel();
    }
    try {
      c.channel.close();
    } catch (IOException ignored) {
      // Closing a socket the peer already closed: nothing left to do.
    }
  }

  /** Number of open connections (for tests and logs). */
  int openConnections() {
    return open.size();
  }

  /**
   * The peer's uid and gid from {@code SO_PEERCRED}. The JDK gives them as principals; their
   * numeric ids are read back and checked against the names the JDK resolved them to.
   */
  static Peer peerOf(SocketChannel ch) throws IOException {
    UnixDomainPrincipal p = ch.getOption(ExtendedSocketOptions.SO_PEERCRED);
    return new Peer(id(p.user()), id(p.group()));
  }

  // The JDK's Unix principals hash to their numeric id; the name (or the number the JDK falls back
  // to when the id has no name) confirms it, so a principal of another kind cannot pass.
  private static int id(UserPrincipal principal) throws IOException {
    int id = principal.hashCode();
    if (principal.getName().equals(Integer.toUnsignedString(id))) {
      return id;
    }
    UserPrincipalLookupService lookup = FileSystems.getDefault().getUserPrincipalLookupService();
    UserPrincipal byName =
        principal instanceof GroupPrincipal
            ? lookup.lookupPrincipalByGroupName(principal.getName())
            : lookup.lookupPrincipalByName(principal.getName());
    if (byName.equals(principal) && byName.hashCode() == id) {
      return id;
    }
    throw new IOException("cannot tell the numeric id of " + principal.getName());
  }
}
