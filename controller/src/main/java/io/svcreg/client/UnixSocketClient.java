package io.svcreg.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.svcreg.core.SvcregException;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A client of the API on the controller's Unix-domain socket ({@code serve --unix-socket PATH};
 * server {@code unix:PATH}): the WebSocket protocol without TLS and without a token (the socket's
 * file permissions decide who may connect). The JDK's HTTP client has no Unix-domain sockets, so
 * this speaks the few parts of RFC 6455 a request/response client needs. One request at a time.
 */
public final class UnixSocketClient implements RegistryClient {

  /** The prefix of a server given as a socket path. */
  public static final String PREFIX = "unix:";

  private static final String WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  private static final int MAX_MESSAGE = 16 << 20;
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final ScheduledExecutorService TIMER =
      Executors.newSingleThreadScheduledExecutor(
          r -> Thread.ofPlatform().name("svcreg-unix-client-timeout").daemon().unstarted(r));

  private final Path path;
  private final SocketChannel channel;
  private final InputStream in;
  private final OutputStream out;
  private final Duration timeout;
  private final SecureRandom random = new SecureRandom();
  private long ids;

  private UnixSocketClient(Path path, SocketChannel channel, Duration timeout) {
    this.path = path;
    this.channel = channel;
    this.in = Channels.newInputStream(channel);
    this.out = Channels.newOutputStream(channel);
    this.timeout = timeout;
  }

  /** Whether {@code server} names a socket ({@code unix:PATH}). */
  public static boolean isUnix(String server) {
    return server.startsWith(PREFIX);
  }

  /**
   * Connects to the socket of {@code server} ({@code unix:PATH}) and upgrades to the WebSocket
   * protocol; a one-line {@link ConnectionException} when it cannot.
   */
  public static UnixSocketClient connect(String server, Duration timeout) {
    if (!isUnix(server) || server.length() == PREFIX.length()) {
      throw new SvcregException(server + ": expected unix:PATH, the controller's --unix-socket");
    }
    Path path = Path.of(server.substring(PREFIX.length()));
    SocketChannel c;
    try {
      c = SocketChannel.open(UnixDomainSocketAddress.of(path));
    } catch (IOException e) {
      throw new ConnectionException(
          server
              + ": cannot connect: "
              + e.getMessage()
              + " (is `svcreg serve --unix-socket "
              + path
              + "` running, and may this user open the socket?)",
          true,
          e);
    }
    UnixSocketClient client = new UnixSocketClient(path, c, timeout);
    try {
      client.timed("the WebSocket upgrade", client::upgrade);
      return client;
    } catch (RuntimeException e) {
      client.close();
      throw e;
    }
  }

  @Override
  public JsonNode call(String action, ObjectNode params) {
    String id = "u" + ++ids;
    ObjectNode msg = MAPPER.createObjectNode();
    msg.put("id", id);
    msg.put("type", "request");
    msg.put("action", action);
    msg.set("params", params);
    return timed(
        action,
        () -> {
          writeFrame(0x1, MAPPER.writeValueAsBytes(msg));
          while (true) {
            JsonNode n = MAPPER.readTree(readMessage());
            if ("response".equals(n.path("type").asText()) && id.equals(n.path("id").asText())) {
              if (n.has("error")) {
                throw ApiException.of(n.get("error"));
              }
              return n.get("data");
            }
          }
        });
  }

  @Override
  public void close() {
    try {
      if (channel.isOpen()) {
        writeFrame(0x8, new byte[] {0x03, (byte) 0xe8});
      }
    } catch (IOException e) {
      // the server is gone already
    }
    try {
      channel.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  @Override
  public String toString() {
    return PREFIX + path;
  }

  // ------------------------------------------------------------------ the protocol

  @FunctionalInterface
  private interface Io<T> {
    T run() throws IOException;
  }

  /** Runs {@code io}; closes the connection when it takes longer than the timeout. */
  private <T> T timed(String what, Io<T> io) {
    ScheduledFuture<?> guard =
        TIMER.schedule(
            () -> {
              try {
                channel.close();
              } catch (IOException e) {
                // closing anyway
              }
            },
            timeout.toMillis(),
            TimeUnit.MILLISECONDS);
    try {
      return io.run();
    } catch (IOException e) {
      if (guard.isDone()) {
        throw new ConnectionException(
            this + ": no answer to " + what + " within " + timeout.toSeconds() + " s", false, e);
      }
      throw new ConnectionException(this + ": " + what + " failed: " + e.getMessage(), false, e);
    } finally {
      guard.cancel(false);
    }
  }

  private Void upgrade() throws IOException {
    byte[] nonce = new byte[16];
    random.nextBytes(nonce);
    String key = Base64.getEncoder().encodeToString(nonce);
    String request =
        "GET /v1/ws HTTP/1.1\r\n"
            + "Host: localhost\r\n"
            + "Upgrade: websocket\r\n"
            + "Connection: Upgrade\r\n"
            + "Sec-WebSocket-Key: "
            + key
            + "\r\n"
            + "Sec-WebSocket-Version: 13\r\n\r\n";
    out.write(request.getBytes(StandardCharsets.US_ASCII));
    out.flush();
    String head = readHead();
    String status = head.lines().findFirst().orElse("");
    if (!status.matches("HTTP/1\\.1 101( .*)?")) {
      throw new IOException("the server answered " + status + " instead of a WebSocket upgrade");
    }
    String accept = accept(key);
    boolean ok =
        head.lines()
            .anyMatch(
                l ->
                    l.toLowerCase(Locale.ROOT).startsWith("sec-websocket-accept:")
                        && l.substring(l.indexOf(':') + 1).strip().equals(accept));
    if (!ok) {
      throw new IOException("the server's Sec-WebSocket-Accept does not match the key");
    }
    return null;
  }

  private String readHead() throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("the server closed the connection during the upgrade");
      }
      head.write(b);
      matched = b == end[matched] ? matched + 1 : b == '\r' ? 1 : 0;
      if (head.size() > 64 * 1024) {
        throw new IOException("the server's answer to the upgrade has no end");
      }
    }
    return head.toString(StandardCharsets.ISO_8859_1);
  }

  private static String accept(String key) {
    try {
      byte[] sha1 =
          MessageDigest.getInstance("SHA-1")
              .digest((key + WS_GUID).getBytes(StandardCharsets.US_ASCII));
      return Base64.getEncoder().encodeToString(sha1);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is part of every Java runtime", e);
    }
  }

  /** Writes one masked frame (a client's frames are masked, RFC 6455 5.3). */
  private void writeFrame(int opcode, byte[] payload) throws IOException {
    ByteArrayOutputStream f = new ByteArrayOutputStream(payload.length + 14);
    f.write(0x80 | opcode);
    if (payload.length < 126) {
      f.write(0x80 | payload.length);
    } else if (payload.length < 65536) {
      f.write(0x80 | 126);
      f.write(payload.length >>> 8);
      f.write(payload.length);
    } else {
      f.write(0x80 | 127);
      for (int shift = 56; shift >= 0; shift -= 8) {
        f.write((int) ((long) payload.length >>> shift));
      }
    }
    byte[] mask = new byte[4];
    random.nextBytes(mask);
    f.write(mask);
    for (int i = 0; i < payload.length; i++) {
      f.write(payload[i] ^ mask[i & 3]);
    }
    synchronized (out) {
      f.writeTo(out);
      out.flush();
    }
  }

  /** Reads the next text message, answering pings; a close or the end is an exception. */
  private byte[] readMessage() throws IOException {
    ByteArrayOutputStream message = new ByteArrayOutputStream();
    while (true) {
      int b0 = readByte();
      int b1 = readByte();
      int opcode = b0 & 0x0f;
      boolean fin = (b0 & 0x80) != 0;
      long length = b1 & 0x7f;
      if (length == 126) {
        length = (readByte() << 8) | readByte();
      } else if (length == 127) {
        length = 0;
        for (int i = 0; i < 8; i++) {
          length = (length << 8) | readByte();
        }
      }
      if (length > MAX_MESSAGE || message.size() + length > MAX_MESSAGE) {
        throw new IOException("a message from the server is larger than " + MAX_MESSAGE);
      }
      byte[] payload = in.readNBytes((int) length);
      if (payload.length < length) {
        throw new EOFException("the server closed the connection");
      }
      switch (opcode) {
        case 0x9 -> writeFrame(0xA, payload);
        case 0xA -> {
          // a pong: nothing to do
        }
        case 0x8 -> {
          int code = payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
          String reason =
              payload.length > 2
                  ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8)
                  : "";
          throw new IOException("the server closed the connection (" + code + " " + reason + ")");
        }
        default -> {
          message.write(payload);
          if (fin) {
            return message.toByteArray();
          }
        }
      }
    }
  }

  private int readByte() throws IOException {
    int b = in.read();
    if (b < 0) {
      throw new EOFException("the server closed the connection");
    }
    return b;
  }
}
