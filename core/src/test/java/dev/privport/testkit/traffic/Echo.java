package dev.privport.testkit.traffic;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Real TCP and UDP traffic for kernel tests. Servers listen on the wildcard address (dual stack)
 * and answer every request with {@code port=N}, N being the port they listen on, so a client can
 * tell which listener its packets reached. Clients return that answer, or a short description of
 * what went wrong ({@code refused}, {@code timeout}, ...), never throw for network errors.
 */
public final class Echo {
  private static final int TIMEOUT_MS = 1500;

  private Echo() {}

  /** Listeners on {@code ports}, TCP and UDP each; close them to stop. */
  public static final class Servers implements AutoCloseable {
    private final List<AutoCloseable> sockets = new ArrayList<>();

    /** Opens the listeners in the calling thread's namespace. */
    public Servers(int... ports) throws IOException {
      try {
        for (int port : ports) {
          ServerSocket tcp = new ServerSocket();
          tcp.setReuseAddress(true);
          tcp.bind(new InetSocketAddress(port), 128);
          sockets.add(tcp);
          start(() -> serveTcp(tcp, port));
          DatagramSocket udp = new DatagramSocket(null);
          udp.setReuseAddress(true);
          udp.bind(new InetSocketAddress(port));
          sockets.add(udp);
          start(() -> serveUdp(udp, port));
        }
      } catch (IOException | RuntimeException e) {
        close();
        throw e;
      }
    }

    private static void start(Runnable loop) {
      Thread t = new Thread(loop, "echo");
      t.setDaemon(true);
      t.start();
    }

    private static void serveTcp(ServerSocket server, int port) {
      while (!server.isClosed()) {
        try (Socket s = server.accept()) {
          s.setSoTimeout(TIMEOUT_MS);
          s.getInputStream().read(new byte[64]);
          s.getOutputStream().write(("port=" + port).getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
          // closed, or a client went away: keep serving until closed
        }
      }
    }

    private static void serveUdp(DatagramSocket socket, int port) {
      byte[] buf = new byte[512];
      byte[] answer = ("port=" + port).getBytes(StandardCharsets.US_ASCII);
      while (!socket.isClosed()) {
        try {
          DatagramPacket in = new DatagramPacket(buf, buf.length);
          socket.receive(in);
          socket.send(new DatagramPacket(answer, answer.length, in.getSocketAddress()));
        } catch (IOException e) {
          // closed: the loop ends
        }
      }
    }

    @Override
    public void close() {
      for (AutoCloseable s : sockets) {
        try {
          s.close();
        } catch (Exception e) {
          // best effort
        }
      }
    }
  }

  /** One TCP exchange with {@code address:port} from the calling thread's namespace. */
  public static String tcp(String address, int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getByName(address), port), TIMEOUT_MS);
      s.setSoTimeout(TIMEOUT_MS);
      s.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
      byte[] answer = s.getInputStream().readAllBytes();
      return new String(answer, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      return describe(e);
    }
  }

  /** One UDP exchange (a connected socket, so replies from elsewhere are dropped). */
  public static String udp(String address, int port) {
    try (DatagramSocket s = new DatagramSocket()) {
      s.connect(new InetSocketAddress(InetAddress.getByName(address), port));
      s.setSoTimeout(TIMEOUT_MS);
      return roundTrip(s);
    } catch (IOException e) {
      return describe(e);
    }
  }

  /** Sends a request on the connected {@code socket} and returns the answer. */
  private static String roundTrip(DatagramSocket socket) throws IOException {
    byte[] hello = "hello".getBytes(StandardCharsets.US_ASCII);
    socket.send(new DatagramPacket(hello, hello.length));
    DatagramPacket in = new DatagramPacket(new byte[512], 512);
    socket.receive(in);
    return new String(in.getData(), 0, in.getLength(), StandardCharsets.US_ASCII);
  }

  /**
   * A UDP flow that keeps one source port for all its exchanges, as a switch sending syslog or an
   * SNMP agent sending traps does, so every exchange belongs to the same tracked flow. The socket
   * lives in the namespace of the thread that opens it.
   */
  public static final class UdpFlow implements AutoCloseable {
    private final DatagramSocket socket;

    /** Opens the flow from {@code sourcePort} to {@code address:port}. */
    public UdpFlow(String address, int port, int sourcePort) throws IOException {
      InetAddress to = InetAddress.getByName(address);
      socket = new DatagramSocket(null);
      try {
        socket.setReuseAddress(true);
        socket.bind(new InetSocketAddress(sourcePort));
        socket.connect(new InetSocketAddress(to, port));
        socket.setSoTimeout(TIMEOUT_MS);
      } catch (IOException | RuntimeException e) {
        socket.close();
        throw e;
      }
    }

    /** One request and its answer, or what went wrong. */
    public String exchange() {
      try {
        return roundTrip(socket);
      } catch (IOException e) {
        return describe(e);
      }
    }

    @Override
    public void close() {
      socket.close();
    }
  }

  /** One exchange over {@code protocol} ("tcp" or "udp"). */
  public static String exchange(String protocol, String address, int port) {
    return protocol.equals("udp") ? udp(address, port) : tcp(address, port);
  }

  private static String describe(IOException e) {
    if (e instanceof java.net.SocketTimeoutException) {
      return "timeout";
    }
    if (e instanceof java.net.ConnectException) {
      return "refused";
    }
    if (e instanceof java.net.PortUnreachableException) {
      return "unreachable";
    }
    return e.getClass().getSimpleName() + ": " + e.getMessage();
  }
}
