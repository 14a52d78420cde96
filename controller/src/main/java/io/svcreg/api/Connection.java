package io.svcreg.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.common.buffers.BufferData;
import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import io.helidon.http.HttpPrologue;
import io.helidon.http.RequestException;
import io.helidon.http.Status;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.ConnectionContext;
import io.helidon.websocket.WsListener;
import io.helidon.websocket.WsSession;
import io.svcreg.registry.Registry;
import io.svcreg.store.Event;
import io.svcreg.store.EventsSince;
import io.svcreg.store.StoreFollowing;
import io.svcreg.store.StoreReadOnly;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One WebSocket connection: authentication, the request rate, reassembly of fragmented messages,
 * the watcher's subscription, and its single writer ({@link Outbound}).
 */
final class Connection implements WsListener {

  private static final Logger LOG = System.getLogger(Connection.class.getName());

  /** Close code for a message larger than the limit (RFC 6455). */
  static final int TOO_BIG = 1009;

  /** Close code for a protocol error (RFC 6455). */
  static final int PROTOCOL_ERROR = 1002;

  private static final int MAX_FAILED_AUTH = 3;
  private static final int MAX_ID_LENGTH = 128;

  private final ApiServer server;
  private final ApiServer.Options options;
  private final AtomicBoolean counted = new AtomicBoolean();
  private final AtomicBoolean finished = new AtomicBoolean();

  private volatile Role role;
  private int failedAuths;

  /** Limits the messages of this connection until it authenticates (then its role's limit). */
  private TokenBucket bucket;

  private StringBuilder fragments;
  private boolean fragmentsTooBig;
  private long fragmentBytes;
  private volatile Outbound out;
  private volatile WsSession session;
  private volatile Thread reader;

  // the subscription; guarded by subLock
  private final Object subLock = new Object();
  private volatile boolean subscribed;
  private boolean replaying;
  private long liveSeen;
  private Set<String> filter = Set.of();
  private long lastDelivered;
  // increased by every subscribe and unsubscribe: a catch-up of an earlier one stops
  private long generation;
  // the thread catching up a live watcher whose queue had no room (null: none started)
  private Thread catchingUp;

  // on the Unix-domain socket: the role is the socket's, the peer from SO_PEERCRED (else null)
  private final UnixSocket unixSocket;
  private volatile UnixSocket.Peer peer;

  Connection(ApiServer server) {
    this(server, null);
  }

  /** A connection on {@code unixSocket}: no token, the socket's role. */
  Connection(ApiServer server, UnixSocket unixSocket) {
    this.server = server;
    this.options = server.options();
    this.unixSocket = unixSocket;
  }

  // ------------------------------------------------------------------ lifecycle

  @Override
  public Optional<Headers> onHttpUpgrade(HttpPrologue prologue, Headers headers) {
    if (unixSocket != null) {
      role = unixSocket.role();
    } else if (headers.contains(HeaderNames.AUTHORIZATION)) {
      String value = headers.get(HeaderNames.AUTHORIZATION).get().strip();
      Optional<Role> r = Optional.empty();
      if (value.regionMatches(true, 0, "Bearer ", 0, 7)) {
        r = server.tokens().role(value.substring(7).strip());
      }
      if (r.isEmpty()) {
        server.metrics().rejected("unauthorized");
        throw RequestException.builder()
            .type(DirectHandler.EventType.OTHER)
            .status(Status.UNAUTHORIZED_401)
            .message("invalid bearer token")
            .safeMessage(true)
            .setKeepAlive(false)
            .build();
      }
      role = r.get();
    }
    if (!server.admit()) {
      server.metrics().rejected("connections");
      throw RequestException.builder()
          .type(DirectHandler.EventType.OTHER)
          .status(Status.SERVICE_UNAVAILABLE_503)
          .message("too many connections (limit " + options.maxConnections() + "); try again later")
          .safeMessage(true)
          .setKeepAlive(false)
          .build();
    }
    counted.set(true);
    return Optional.empty();
  }

  @Override
  public void onOpen(WsSession s) {
    this.session = s;
    if (unixSocket != null) {
      peer = unixSocket.peer(s.socketContext().remotePeer().address()).orElse(null);
    }
    this.bucket = RateLimits.unauthenticated();
    this.out =
        new Outbound(
            new SessionSink(s),
            options.outboundQueue(),
            options.outboundBytes(),
            // a peer that stopped reading never lets the close frame out: drop it after the grace
            () -> server.later(options.closeGrace(), this::abort),
            this::finish);
    server.hub().add(this);
    server.metrics().opened();
    // Helidon reads this connection's frames on the thread that opens it
    reader = Thread.currentThread();
    server.frameFailures().reading(reader, this);
  }

  @Override
  public void onClose(WsSession s, int status, String reason) {
    Outbound o = out;
    if (o != null) {
      // RFC 6455 7.4: a close code a peer may not send is a protocol error (1002)
      o.peerClosed(validCloseCode(status) ? status : PROTOCOL_ERROR);
    }
    finish();
  }

  /** Whether a peer may send this close code (RFC 6455 7.4.1, 7.4.2). */
  static boolean validCloseCode(int code) {
    return (code >= 1000 && code <= 1003)
        || (code >= 1007 && code <= 1014)
        || (code >= 3000 && code <= 4999);
  }

  /**
   * Helidon could not process a frame: a malformed one (e.g. a close frame with a 1-byte payload:
   * 1002), or a failure of this listener (1011). One close frame, sent by this connection's writer;
   * then the connection ends without Helidon's own close frame, which it would write concurrently
   * with the writer and with the exception's text as the reason.
   */
  @Override
  public void onError(WsSession s, Throwable t) {
    boolean ours =
        java.util.Arrays.stream(t.getStackTrace())
            .anyMatch(e -> e.getClassName().startsWith("io.svcreg."));
    LOG.log(ours ? Level.WARNING : Level.DEBUG, "WebSocket error: " + t, ours ? t : null);
    failConnection(ours ? 1011 : PROTOCOL_ERROR, ours ? "internal error" : "malformed frame");
    throw new CloseConnectionException("WebSocket connection failed: " + t);
  }

  /**
   * Fails the connection (RFC 6455 7.1.7): a close frame with {@code code} after what is queued,
   * waiting at most the close grace for it to be written, on the reading thread before it ends the
   * connection.
   */
  void failConnection(int code, String reason) {
    Outbound o = out;
    if (o == null) {
      return;
    }
    o.close(code, reason);
    try {
      o.awaitDone(options.closeGrace());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void onPing(WsSession s, BufferData buffer) {
    if (buffer.available() > 125) {
      // RFC 6455 5.5: control frames carry at most 125 bytes
      out.close(PROTOCOL_ERROR, "ping payload over 125 bytes");
      return;
    }
    int n = buffer.available();
    byte[] payload = new byte[n];
    buffer.read(payload);
    out.pong(payload);
  }

  /** Ends the connection's bookkeeping once (writer stopped, or the peer closed). */
  private void finish() {
    if (!finished.compareAndSet(false, true)) {
      if (counted.compareAndSet(true, false)) {
        server.release();
      }
      return;
    }
    Thread t = unsubscribeQuietly();
    if (t != null) {
      t.interrupt();
    }
    server.hub().remove(this);
    Thread r = reader;
    if (r != null) {
      server.frameFailures().done(r, this);
    }
    if (counted.compareAndSet(true, false)) {
      server.release();
    }
    if (session != null) {
      server.metrics().closed();
      // the peer may never answer our close frame, or may have stopped reading
      server.later(options.closeGrace(), this::abort);
    }
  }

  /**
   * Drops the connection without waiting: the writer may be stuck on a peer that stopped reading
   * (and closing a TLS socket waits for that writer), so the writer is interrupted and the socket
   * closed on a thread of its own.
   */
  private void abort() {
    Outbound o = out;
    if (o != null) {
      o.interrupt();
    }
    WsSession s = session;
    if (s != null && s.socketContext() instanceof ConnectionContext ctx) {
      Thread.ofVirtual()
          .name("svcreg-ws-abort")
          .start(
              () -> {
                try {
                  ctx.serverSocket().close();
                } catch (RuntimeException e) {
                  LOG.log(Level.DEBUG, "cannot close a socket: " + e);
                }
              });
    }
  }

  /** Sends a keep-alive ping (dead peers are found when it cannot be written). */
  void ping() {
    Outbound o = out;
    if (o != null) {
      o.ping();
    }
  }

  /** Closes the connection with a close frame after what is queued (server shutdown). */
  void close(int code, String reason) {
    Outbound o = out;
    if (o != null) {
      o.close(code, reason);
    }
  }

  /** Waits for the writer to stop, at most {@code timeout}. */
  boolean awaitClosed(Duration timeout) throws InterruptedException {
    Outbound o = out;
    return o == null || o.awaitDone(timeout);
  }

  // ------------------------------------------------------------------ messages

  @Override
  public void onMessage(WsSession s, BufferData buffer, boolean last) {
    // binary frames are not part of the protocol: answer once the message is complete
    if (last) {
      send(
          Wire.error(
              null, "bad_request", "binary messages are not supported; send JSON text", Map.of()));
    }
  }

  @Override
  public void onMessage(WsSession s, String text, boolean last) {
    if (fragments == null && last) {
      handle(text);
      return;
    }
    if (fragments == null) {
      fragments = new StringBuilder();
      fragmentBytes = 0;
      fragmentsTooBig = false;
    }
    fragmentBytes += Outbound.utf8Length(text);
    if (fragmentBytes > options.maxMessageBytes()) {
      fragmentsTooBig = true;
      fragments.setLength(0);
    } else if (!fragmentsTooBig) {
      fragments.append(text);
    }
    if (last) {
      String whole = fragments.toString();
      boolean tooBig = fragmentsTooBig;
      fragments = null;
      if (tooBig) {
        server.metrics().rejected("too_large");
        out.close(TOO_BIG, "message larger than " + options.maxMessageBytes() + " bytes");
        return;
      }
      handle(whole);
    } else if (fragmentsTooBig) {
      server.metrics().rejected("too_large");
      out.close(TOO_BIG, "message larger than " + options.maxMessageBytes() + " bytes");
      fragments = null;
    }
  }

  private void handle(String text) {
    if (out.closing()) {
      return;
    }
    JsonNode msg;
    try {
      msg = Wire.mapper().readTree(text);
    } catch (JsonProcessingException e) {
      server.metrics().request("invalid", "bad_request");
      send(Wire.error(null, "bad_request", "malformed JSON: " + e.getOriginalMessage(), Map.of()));
      return;
    }
    if (msg == null || !msg.isObject()) {
      server.metrics().request("invalid", "bad_request");
      send(Wire.error(null, "bad_request", "a message is a JSON object", Map.of()));
      return;
    }
    JsonNode idNode = msg.get("id");
    if (idNode == null || !idNode.isTextual() || idNode.asText().length() > MAX_ID_LENGTH) {
      server.metrics().request("invalid", "bad_request");
      send(
          Wire.error(
              null,
              "bad_request",
              "\"id\" must be a string of at most " + MAX_ID_LENGTH + " characters",
              Map.of()));
      return;
    }
    String id = idNode.asText();
    String action = msg.path("action").isTextual() ? msg.get("action").asText() : null;
    String label = action == null ? "invalid" : Actions.label(action);
    Role limitedAs = role;
    if (limitedAs == null
        ? !bucket.tryTake(System.nanoTime())
        : !server.rateLimits().tryTake(limitedAs)) {
      server.metrics().request(label, "rate_limited");
      send(
          Wire.error(
              id,
              "rate_limited",
              limitedAs == null
                  ? RateLimits.unauthenticatedRefusal()
                  : server.rateLimits().refusal(limitedAs),
              Map.of()));
      return;
    }
    long started = System.nanoTime();
    String outcome = "ok";
    try {
      if (!"request".equals(msg.path("type").asText(null))) {
        throw new ApiError(
            "unknown_action", "unknown message type " + msg.get("type") + "; expected \"request\"");
      }
      if (action == null) {
        throw ApiError.badRequest("\"action\" must be a string");
      }
      JsonNode params = msg.get("params");
      if (params == null || params.isNull()) {
        params = Wire.mapper().createObjectNode();
      }
      if (!params.isObject()) {
        throw ApiError.badRequest("\"params\" must be an object");
      }
      if (role == null && !action.equals("auth")) {
        throw new ApiError(
            "unauthorized",
            "not authenticated: send {\"action\": \"auth\", \"params\": {\"token\": ...}} first,"
                + " or connect with an Authorization: Bearer header");
      }
      switch (action) {
        case "auth" -> auth(id, (ObjectNode) params);
        case "subscribe" -> subscribe(id, (ObjectNode) params);
        case "unsubscribe" -> unsubscribe(id);
        default -> {
          if (unixSocket != null && Actions.changes(action)) {
            LOG.log(
                Level.INFO,
                "unix socket: "
                    + action
                    + (params.path("module").isTextual() ? " " + params.get("module").asText() : "")
                    + (params.path("name").isTextual() ? " " + params.get("name").asText() : "")
                    + " by "
                    + (peer == null ? "an unknown peer" : peer));
          }
          send(Wire.response(id, server.actions().handle(action, (ObjectNode) params, role)));
        }
      }
    } catch (ApiError e) {
      outcome = e.code();
      send(Wire.error(id, e.code(), e.getMessage(), e.details()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      outcome = "internal";
    } catch (StoreFollowing e) {
      outcome = "not_leader";
      send(
          Wire.error(
              id,
              "not_leader",
              e.getMessage(),
              e.leader().<Map<String, Object>>map(l -> Map.of("leader", l)).orElse(Map.of())));
    } catch (StoreReadOnly e) {
      outcome = "unavailable";
      send(Wire.error(id, "unavailable", e.getMessage(), Map.of()));
    } catch (RuntimeException e) {
      outcome = "internal";
      LOG.log(Level.WARNING, "request " + action + " failed: " + e.getMessage(), e);
      send(Wire.error(id, "internal", "internal error: " + oneLine(e), Map.of()));
    } finally {
      server.metrics().request(label, outcome);
      server.metrics().requestSeconds(label, (System.nanoTime() - started) / 1e9);
    }
  }

  private void send(String text) {
    out.reply(text, -1);
  }

  private static String oneLine(Throwable e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return m.replaceAll("\\s*\\R\\s*", " ");
  }

  // ------------------------------------------------------------------ auth

  private void auth(String id, ObjectNode params) {
    JsonNode token = params.get("token");
    if (token == null || !token.isTextual()) {
      throw ApiError.badRequest("auth needs params {\"token\": \"...\"}");
    }
    Optional<Role> r = server.tokens().role(token.asText());
    if (r.isEmpty()) {
      failedAuths++;
      send(Wire.error(id, "unauthorized", "invalid token", Map.of()));
      if (failedAuths >= MAX_FAILED_AUTH) {
        out.close(Outbound.POLICY_VIOLATION, "too many failed auth requests");
      }
      return;
    }
    role = r.get();
    ObjectNode data = Wire.mapper().createObjectNode();
    data.put("role", role.wireName());
    send(Wire.response(id, data));
  }

  // ------------------------------------------------------------------ subscriptions

  /** Whether this connection watches events. */
  boolean subscribed() {
    return subscribed;
  }

  /**
   * Takes the live events of one revision from the hub (never blocks). While the subscription
   * replays or catches up, live events are not queued: the replay reads them from the journal
   * before it switches to live (so a replay holds no growing list of live events, and is never cut
   * off for them).
   */
  void deliver(Hub.Pushed p) {
    synchronized (subLock) {
      if (!subscribed) {
        return;
      }
      if (replaying) {
        liveSeen = Math.max(liveSeen, p.revision());
        return;
      }
      push(p);
    }
  }

  /**
   * Queues the live events of a revision as one message, those the filter leaves, unless the
   * revision was already sent; when the queue has no room for it, the watcher catches up from the
   * journal instead. Called with subLock held.
   */
  private void push(Hub.Pushed p) {
    if (p.revision() <= lastDelivered) {
      return;
    }
    lastDelivered = p.revision();
    byte[] frame = p.frame(filter);
    if (frame != null && !out.offer(frame, p.revision())) {
      fallBehind(p.revision());
    }
  }

  /**
   * The queue had no room for live revision {@code revision}. A full queue alone is no reason to
   * cut the watcher off: on a busy machine its writer may just not have run for a while, or a burst
   * came. It catches up from that event on, reading the journal on a thread of its own, paced by
   * what the watcher reads, like a replay; it is cut off only when it reads nothing for the replay
   * timeout (or falls behind the journal). Called with subLock held, on the hub's thread, which
   * must not wait.
   */
  private void fallBehind(long revision) {
    if (out.closing()) {
      return;
    }
    replaying = true;
    liveSeen = revision;
    long gen = generation;
    Set<String> names = filter;
    // every revision after revision - 1 is this one or a later one, even where revisions skip
    catchingUp =
        Thread.ofVirtual()
            .name("svcreg-ws-catch-up")
            .start(() -> catchUpLive(gen, revision - 1, names));
  }

  private void catchUpLive(long gen, long after, Set<String> names) {
    try {
      catchUp(gen, List.of(), after, names);
    } catch (InterruptedException e) {
      // a new subscribe or an unsubscribe took over; it waits for this thread to end
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "cannot catch a watcher up: " + e.getMessage(), e);
      out.close(1011, "internal error");
    }
  }

  private void subscribe(String id, ObjectNode params) throws InterruptedException {
    Set<String> names = Actions.eventNames(params.get("events"));
    JsonNode sinceNode = params.get("since");
    Long since = null;
    if (sinceNode != null && !sinceNode.isNull()) {
      if (!sinceNode.canConvertToExactIntegral() || !sinceNode.canConvertToLong()) {
        throw ApiError.badRequest("\"since\" must be a revision (an integer)");
      }
      since = sinceNode.asLong();
      server.actions().checkSince(since);
    }
    long gen;
    Thread previous;
    synchronized (subLock) {
      gen = ++generation;
      previous = catchingUp;
      catchingUp = null;
      subscribed = true;
      replaying = true;
      liveSeen = -1;
      filter = names;
    }
    stop(previous);
    long startAfter;
    List<Event> replay = List.of();
    ObjectNode snapshot = null;
    if (since != null) {
      EventsSince r = server.store().eventsSince(since);
      if (r instanceof EventsSince.Expired x) {
        unsubscribeQuietly();
        throw server.actions().expired(since, x);
      }
      replay = ((EventsSince.Events) r).events();
      startAfter = since;
    } else {
      var observed = server.store().observed();
      startAfter = observed.revision();
      snapshot = Wire.mapper().createObjectNode();
      snapshot.put("type", "event");
      snapshot.put("event", Event.REGISTRY_LOADED);
      snapshot.put("revision", startAfter);
      snapshot.put("time", Wire.time(server.clock().instant()));
      snapshot.put("key", "");
      ObjectNode data = snapshot.putObject("data");
      data.set("services", Wire.mapper().valueToTree(observed.services()));
      data.set("networks", Wire.mapper().valueToTree(observed.networks()));
      var published = data.putArray("published");
      for (var e : server.registry().entries()) {
        published.add(Wire.mapper().valueToTree(Registry.describe(e)));
      }
    }
    ObjectNode data = Wire.mapper().createObjectNode();
    data.put("revision", startAfter);
    var list = data.putArray("subscribed");
    (names.isEmpty() ? Actions.EVENT_NAMES : names).stream().sorted().forEach(list::add);
    if (!out.reply(Wire.response(id, data), startAfter)) {
      return;
    }
    if (snapshot != null) {
      if (!out.put(Frames.text(Wire.write(snapshot)), startAfter, options.replayTimeout())) {
        return;
      }
    }
    catchUp(gen, replay, startAfter, names);
  }

  /**
   * Replays {@code events} (the journal after {@code after}), then whatever the journal gained
   * meanwhile, until the replay has reached every live event the hub offered since the replay
   * began; then switches to live events. Each revision is one message (as live), of the events
   * {@code names} leaves. Paced by the writer: each frame waits for room in the bounded queue (at
   * most the replay timeout; a watcher that reads nothing is cut off). Ends without a word when
   * subscription {@code gen} has been replaced or ended.
   */
  private void catchUp(long gen, List<Event> events, long after, Set<String> names)
      throws InterruptedException {
    long reached = after;
    List<Event> next = events;
    while (true) {
      // the journal holds whole revisions: a revision is never split between two readings
      for (List<Event> revision : Hub.byRevision(next)) {
        long r = revision.getFirst().revision();
        if (r <= reached) {
          continue;
        }
        reached = r;
        byte[] frame = server.hub().pushed(revision).frame(names);
        if (frame != null && !out.put(frame, r, options.replayTimeout())) {
          return;
        }
      }
      synchronized (subLock) {
        if (gen != generation || !subscribed || !replaying) {
          return;
        }
        if (liveSeen <= reached) {
          // every later event comes from the hub, in order; earlier ones are dropped by revision
          lastDelivered = reached;
          replaying = false;
          return;
        }
      }
      EventsSince r = server.store().eventsSince(reached);
      if (r instanceof EventsSince.Events more) {
        next = more.events();
      } else {
        // fell further behind than the journal retains: cut off; resuming gets revision_expired
        if (end(gen)) {
          out.cutOff();
        }
        return;
      }
    }
  }

  private void unsubscribe(String id) throws InterruptedException {
    stop(unsubscribeQuietly());
    ObjectNode data = Wire.mapper().createObjectNode();
    data.putArray("subscribed");
    send(Wire.response(id, data));
  }

  /** Ends the subscription; returns the thread that may still be catching it up (or null). */
  private Thread unsubscribeQuietly() {
    synchronized (subLock) {
      end(generation);
      Thread t = catchingUp;
      catchingUp = null;
      return t;
    }
  }

  /** Ends subscription {@code gen} unless another one replaced it; returns whether it did. */
  private boolean end(long gen) {
    synchronized (subLock) {
      if (gen != generation) {
        return false;
      }
      generation++;
      subscribed = false;
      replaying = false;
      return true;
    }
  }

  /**
   * Stops the catch-up thread {@code t} (null: none) and waits for it to end, so that nothing it
   * queues comes after what the caller queues next.
   */
  private static void stop(Thread t) throws InterruptedException {
    if (t != null) {
      t.interrupt();
      t.join();
    }
  }

  /** Whether this connection is being closed (nothing more is queued for it). */
  boolean cutOff() {
    Outbound o = out;
    return o != null && o.closing();
  }

  /** Messages waiting in this connection's outbound queue. */
  int queued() {
    Outbound o = out;
    return o == null ? 0 : o.depth();
  }

  /** Writes through a Helidon session; used by the connection's writer thread only. */
  private static final class SessionSink implements Outbound.Sink {
    private final WsSession session;

    SessionSink(WsSession session) {
      this.session = session;
    }

    /**
     * Writes whole frames straight to the connection: Helidon's session writes (and flushes through
     * TLS) each message on its own, while a batch of frames here is one socket write.
     */
    @Override
    public void write(byte[] frames, int length) {
      if (!(session.socketContext() instanceof ConnectionContext ctx)) {
        throw new IllegalStateException("not a server WebSocket session: " + session);
      }
      ctx.dataWriter().writeNow(BufferData.createReadOnly(frames, 0, length));
    }

    @Override
    public void ping() {
      session.ping(BufferData.empty());
    }

    @Override
    public void pong(byte[] payload) {
      session.pong(BufferData.create(payload));
    }

    @Override
    public void close(int code, String reason) {
      session.close(code, reason);
    }

    @Override
    public void abort() {
      if (session.socketContext() instanceof ConnectionContext ctx) {
        try {
          ctx.serverSocket().close();
        } catch (RuntimeException e) {
          LOG.log(Level.DEBUG, "cannot close a socket: " + e);
        }
      }
    }
  }
}
