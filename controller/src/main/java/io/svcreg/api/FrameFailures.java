package io.svcreg.api;

import io.helidon.http.DirectHandler;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;
import io.helidon.webserver.CloseConnectionException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Fails a WebSocket connection whose next frame Helidon cannot read (e.g. a reserved opcode) with
 * close code 1002, instead of the HTTP 500 response Helidon would write into the upgraded stream.
 *
 * <p>Helidon 4.3.1 lets such an exception escape its WebSocket read loop to the HTTP/1 connection,
 * which answers it through the listener's {@link DirectHandler} for internal errors, on the same
 * thread that read the frame. That thread is the one each {@link Connection} was opened on: this
 * handler looks it up, closes that connection with 1002 and ends it by throwing {@link
 * CloseConnectionException} (as {@code WsSession.terminate()} does), so no HTTP bytes are written.
 * Internal errors of plain HTTP requests get Helidon's default answer.
 */
final class FrameFailures implements DirectHandler {

  private final Map<Thread, Connection> reading = new ConcurrentHashMap<>();
  private final DirectHandler fallback = DirectHandler.defaultHandler();

  /** Records that {@code c} reads its frames on {@code thread}. */
  void reading(Thread thread, Connection c) {
    reading.put(thread, c);
  }

  /** Forgets {@code c} (closed). */
  void done(Thread thread, Connection c) {
    reading.remove(thread, c);
  }

  /** How many connections are registered (for tests). */
  int size() {
    return reading.size();
  }

  @Override
  public TransportResponse handle(
      TransportRequest request,
      EventType eventType,
      Status defaultStatus,
      ServerResponseHeaders responseHeaders,
      String message) {
    Connection c = reading.get(Thread.currentThread());
    if (c == null || eventType != EventType.INTERNAL_ERROR) {
      return fallback.handle(request, eventType, defaultStatus, responseHeaders, message);
    }
    c.failConnection(Connection.PROTOCOL_ERROR, "invalid frame (e.g. a reserved opcode)");
    throw new CloseConnectionException("WebSocket frame that cannot be read; closed with 1002");
  }
}
