package io.svcreg.api;

import java.nio.charset.StandardCharsets;

/**
 * Whole WebSocket text frames as the server sends them (RFC 6455 5.2: FIN set, unmasked). A server
 * frame is the same bytes for every session, so an event is encoded once and every watcher's writer
 * sends those bytes, several frames in one socket write.
 */
final class Frames {

  private static final int FIN_TEXT = 0x81;

  private Frames() {}

  /** The frame of one complete text message. */
  static byte[] text(String message) {
    byte[] payload = message.getBytes(StandardCharsets.UTF_8);
    int n = payload.length;
    int header = n < 126 ? 2 : n < (1 << 16) ? 4 : 10;
    byte[] frame = new byte[header + n];
    frame[0] = (byte) FIN_TEXT;
    if (n < 126) {
      frame[1] = (byte) n;
    } else if (n < (1 << 16)) {
      frame[1] = 126;
      frame[2] = (byte) (n >>> 8);
      frame[3] = (byte) n;
    } else {
      frame[1] = 127;
      long len = n;
      for (int i = 0; i < 8; i++) {
        frame[2 + i] = (byte) (len >>> (56 - 8 * i));
      }
    }
    System.arraycopy(payload, 0, frame, header, n);
    return frame;
  }
}
