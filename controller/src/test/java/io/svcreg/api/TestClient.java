package io.svcreg.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.svcreg.Waits;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A WebSocket client for the tests: the JDK's {@link WebSocket} over TLS trusting a given CA, with
 * whole messages in a queue, request/response by id, and demand that a test can stop (a watcher
 * that does not read).
 */
final class TestClient implements AutoCloseable {

  static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(20);

  /** How a connection ended: the close code and reason the server sent, or an error. */
  record Closed(int code, String reason, Throwable error) {}

  private final WebSocket ws;
  private final Listener listener;
  private final AtomicInteger ids = new AtomicInteger();

  private TestClient(WebSocket ws, Listener listener) {
    this.ws = ws;
    this.listener = listener;
  }

  /** An SSL context that trusts {@code caFile} only. */
  static SSLContext trusting(Path caFile) throws Exception {
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    try (InputStream in = Files.newInputStream(caFile)) {
      X509Certificate ca =
          (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
      ks.setCertificateEntry("ca", ca);
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  /** An HTTP client that trusts {@code ssl}'s CA. */
  static HttpClient http(SSLContext ssl) {
    return HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(10)).build();
  }

  /** Connects to {@code url}; {@code token} (or null) goes into the Authorization header. */
  static TestClient connect(SSLContext ssl, String url, String token) throws Exception {
    Listener l = new Listener();
    WebSocket.Builder b = http(ssl).newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    WebSocket ws =
        b.buildAsync(URI.create(url), l).get(Waits.scaled(WAIT).toMillis(), TimeUnit.MILLISECONDS);
    return new TestClient(ws, l);
  }

  /** Sends a request and returns its response (events that arrive meanwhile are kept). */
  JsonNode request(String action, Object params) throws Exception {
    String id = "r" + ids.incrementAndGet();
    ObjectNode m = JSON.createObjectNode();
    m.put("id", id);
    m.put("type", "request");
    m.put("action", action);
    if (params != null) {
      m.set("params", JSON.valueToTree(params));
    }
    sendText(JSON.writeValueAsString(m));
    return response(id);
  }

  /** The response with this id (null id: {@code "null"}), waiting for it. */
  JsonNode response(String id) throws Exception {
    long deadline = System.nanoTime() + Waits.scaled(WAIT).toNanos();
    while (true) {
      for (int i = 0; i < listener.responses.size(); i++) {
        JsonNode r = listener.responses.get(i);
        if (r.path("id").asText("null").equals(id)) {
          listener.responses.remove(i);
          return r;
        }
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError("no response to " + id + "; " + listener.ended());
      }
      JsonNode next = listener.incoming.poll(Math.min(left, 50_000_000L), TimeUnit.NANOSECONDS);
      if (next != null) {
        listener.take(next);
      }
    }
  }

  /** Sends raw text as one message. */
  void sendText(String text) {
    ws.sendText(text, true).join();
  }

  /** Sends raw text in fragments. */
  void sendFragments(List<String> parts) {
    for (int i = 0; i < parts.size(); i++) {
      ws.sendText(parts.get(i), i == parts.size() - 1).join();
    }
  }

  /** The next event message ({@code event}, or {@code events}: a revision's events), waiting. */
  JsonNode event() throws Exception {
    long deadline = System.nanoTime() + Waits.scaled(WAIT).toNanos();
    while (listener.events.isEmpty()) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError("no event; " + listener.ended());
      }
      JsonNode next = listener.incoming.poll(Math.min(left, 50_000_000L), TimeUnit.NANOSECONDS);
      if (next != null) {
        listener.take(next);
      }
    }
    return listener.events.removeFirst();
  }

  /** Event messages received so far (moved out of the incoming queue). */
  List<JsonNode> drainEvents() {
    JsonNode n;
    while ((n = listener.incoming.poll()) != null) {
      listener.take(n);
    }
    List<JsonNode> out = new ArrayList<>(listener.events);
    listener.events.clear();
    return out;
  }

  /** Stops asking for messages: the client stops reading its socket. */
  void stall() {
    listener.stalled.set(true);
  }

  /** Asks for messages again. */
  void resume() {
    if (listener.stalled.compareAndSet(true, false)) {
      ws.request(1);
    }
  }

  /** How the connection ended, waiting for it. */
  Closed closed() throws Exception {
    return listener.closed.get(Waits.scaled(WAIT).toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Whether the connection has ended. */
  boolean isClosed() {
    return listener.closed.isDone();
  }

  /** Closes the connection now (within a try-with-resources block). */
  void disconnect() {
    close();
  }

  @Override
  public void close() {
    if (!ws.isOutputClosed()) {
      ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
    }
    ws.abort();
  }

  private static final class Listener implements WebSocket.Listener {
    final LinkedBlockingQueue<JsonNode> incoming = new LinkedBlockingQueue<>();
    final List<JsonNode> responses = new ArrayList<>();
    final List<JsonNode> events = new ArrayList<>();
    final CompletableFuture<Closed> closed = new CompletableFuture<>();
    final AtomicBoolean stalled = new AtomicBoolean();
    private final StringBuilder partial = new StringBuilder();

    /** How the connection ended so far, for a failure message. */
    String ended() {
      return closed.isDone() ? "closed: " + closed.join() : "still open";
    }

    void take(JsonNode n) {
      String type = n.path("type").asText();
      if (type.equals("event") || type.equals("events")) {
        events.add(n);
      } else {
        responses.add(n);
      }
    }

    @Override
    public void onOpen(WebSocket webSocket) {
      webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        try {
          incoming.add(JSON.readTree(partial.toString()));
        } catch (JsonProcessingException e) {
          closed.completeExceptionally(e);
        }
        partial.setLength(0);
      }
      if (!stalled.get()) {
        webSocket.request(1);
      }
      return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      closed.complete(new Closed(statusCode, reason, null));
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      closed.complete(new Closed(-1, "", error));
    }
  }
}
