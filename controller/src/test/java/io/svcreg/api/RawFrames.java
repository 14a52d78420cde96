package io.svcreg.api;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A hand-made WebSocket peer that sends frames a well-behaved client would not (RFC 6455 tests).
 */
final class RawFrames implements AutoCloseable {

  /** A frame the server sent. */
  record Frame(int opcode, byte[] payload) {
    int closeCode() {
      return ((payload[0] & 0xff) << 8) | (payload[1] & 0xff);
    }
  }

  private final SSLSocket socket;
  private final DataInputStream in;
  private final OutputStream out;

  private RawFrames(SSLSocket socket) throws IOException {
    this.socket = socket;
    this.socket.setSoTimeout(20_000);
    this.in = new DataInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
  }

  /** Connects and upgrades with a bearer token. */
  static RawFrames connect(SSLContext ssl, String url, String token) throws IOException {
    URI u = URI.create(url);
    SSLSocket s = (SSLSocket) ssl.getSocketFactory().createSocket(u.getHost(), u.getPort());
    RawFrames r = new RawFrames(s);
    String key = Base64.getEncoder().encodeToString(new byte[16]);
    String req =
        "GET "
            + u.getPath()
            + " HTTP/1.1\r\nHost: "
            + u.getHost()
            + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            + "Sec-WebSocket-Key: "
            + key
            + "\r\nAuthorization: Bearer "
            + token
            + "\r\n\r\n";
    r.out.write(req.getBytes(StandardCharsets.US_ASCII));
    r.out.flush();
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      head.append((char) r.in.readUnsignedByte());
    }
    if (!head.toString().startsWith("HTTP/1.1 101")) {
      throw new IOException("no upgrade: " + head);
    }
    return r;
  }

  /** Sends one masked frame. */
  void send(boolean fin, int opcode, byte[] payload) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write((fin ? 0x80 : 0) | opcode);
    if (payload.length < 126) {
      b.write(0x80 | payload.length);
    } else {
      b.write(0x80 | 126);
      b.write(payload.length >>> 8);
      b.write(payload.length & 0xff);
    }
    byte[] mask = {1, 2, 3, 4};
    b.write(mask);
    for (int i = 0; i < payload.length; i++) {
      b.write(payload[i] ^ mask[i % 4]);
    }
    out.write(b.toByteArray());
    out.flush();
  }

  /** Sends bytes as they are (a frame a client must not send, e.g. unmasked). */
  void sendRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /** Sends a close frame with this code. */
  void sendClose(int code) throws IOException {
    send(true, 0x8, new byte[] {(byte) (code >>> 8), (byte) code});
  }

  /** The next frame from the server. */
  Frame read() throws IOException {
    int b0 = in.readUnsignedByte();
    int len = in.readUnsignedByte() & 0x7f;
    if (len == 126) {
      len = in.readUnsignedShort();
    } else if (len == 127) {
      len = (int) in.readLong();
    }
    byte[] payload = new byte[len];
    in.readFully(payload);
    return new Frame(b0 & 0x0f, payload);
  }

  /** The next close frame, skipping others. */
  Frame readClose() throws IOException {
    while (true) {
      Frame f = read();
      if (f.opcode() == 0x8) {
        return f;
      }
    }
  }

  /** Every byte the server sends until it closes the connection (or 20 s pass). */
  byte[] readToEnd() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    byte[] buf = new byte[4096];
    try {
      for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
        b.write(buf, 0, n);
      }
    } catch (java.net.SocketException e) {
      // reset by the server after its last bytes
    }
    return b.toByteArray();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
