package io.svcreg.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.svcreg.core.SvcregException;
import io.svcreg.schema.Json;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpTimeoutException;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * A client of the svcreg WebSocket API (protocol v1) over {@code wss://}: requests answered by
 * futures (correlated by {@code id}), and one event subscription that survives dropped connections
 * by resubscribing with {@code since} = the last revision delivered (no gap, no duplicate). The
 * events of one revision come in one message ({@code event}, or {@code events} when several share
 * it) and are delivered whole before the revision counts as delivered.
 *
 * <p>One connection at a time; it is opened by {@link #connect} and re-opened on demand after a
 * drop. Requests in flight when a connection drops fail with a {@link ConnectionException} (they
 * are not retried: a mutation may have been done).
 *
 * <p>With several servers (the members of a high-availability group, {@link ClientConfig#servers}),
 * a connection goes to the first of them that answers, in order; after a drop, the next connection
 * tries the server after the one that dropped first, in turn, so a subscription resumes on another
 * member when its member goes away. A request answered {@code not_leader} (a write on a standby;
 * nothing was written) is sent again once on the leader that the answer names: the client connects
 * there (a member of the same group: same CA, same token), keeps that connection for what follows,
 * and closes the one before once its requests are answered (a subscription on it resumes on the
 * leader). Answered {@code not_leader} while no member leads, the request is sent again after a
 * short backoff for at most {@link ClientConfig#failoverWait}, then fails with that error.
 */
public final class SvcregClient implements RegistryClient {

  private static final System.Logger LOG = System.getLogger(SvcregClient.class.getName());
  private static final ObjectMapper MAPPER = Json.mapper();

  /** The error code of a write sent to a standby member of a high-availability group. */
  public static final String NOT_LEADER = "not_leader";

  /** The first delay before sending a request again while no member leads (doubles up to 1 s). */
  private static final long LEADERLESS_RETRY_MILLIS = 100;

  private static final long LEADERLESS_RETRY_CAP_MILLIS = 1000;

  private final ClientConfig config;
  private final HttpClient http;
  private final ScheduledExecutorService scheduler;
  private final AtomicLong ids = new AtomicLong();
  private final ReentrantLock connectLock = new ReentrantLock();
  private final AtomicReference<Watch> watch = new AtomicReference<>();

  /** Where connections go: the configuration's servers, then each leader a not_leader named. */
  private final CopyOnWriteArrayList<URI> servers;

  /** Connections replaced by one to the leader, open until their requests are answered. */
  private final Set<Session> retiring = ConcurrentHashMap.newKeySet();

  /** The index in {@link #servers} of the server the next connection tries first. */
  private volatile int next;

  private volatile Session session;
  private volatile boolean closed;

  private SvcregClient(ClientConfig config) {
    this.config = config;
    this.servers = new CopyOnWriteArrayList<>(config.servers());
    this.http =
        HttpClient.newBuilder()
            .sslContext(config.ssl())
            .connectTimeout(config.connectTimeout())
            .build();
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "svcreg-client-reconnect");
              t.setDaemon(true);
              return t;
            });
  }

  /** Opens a connection; fails with a one-line {@link ConnectionException}. */
  public static SvcregClient connect(ClientConfig config) {
    SvcregClient c = new SvcregClient(config);
    try {
      c.session();
    } catch (RuntimeException e) {
      c.close();
      throw e;
    }
    return c;
  }

  /** How this client connects. */
  public ClientConfig config() {
    return config;
  }

  /**
   * The server of the open connection, else the one the next connection tries first: one of the
   * configured servers, or a leader that a {@code not_leader} answer named.
   */
  public URI server() {
    Session s = session;
    if (s != null && s.open()) {
      return s.server;
    }
    return servers.get(next % servers.size());
  }

  /**
   * Sends a request; the future completes with the response's {@code data}, or exceptionally with
   * an {@link ApiException} (an error response) or a {@link ConnectionException}. A request
   * answered {@code not_leader} is sent again as the class comment says.
   */
  public CompletableFuture<JsonNode> request(String action, ObjectNode params) {
    CompletableFuture<JsonNode> result = new CompletableFuture<>();
    new Outgoing(action, params, result).send();
    return result;
  }

  /** Sends a request whose params are a map (converted to JSON); see {@link #request}. */
  public CompletableFuture<JsonNode> request(String action, Map<String, ?> params) {
    return request(action, (ObjectNode) MAPPER.valueToTree(params));
  }

  /**
   * Sends a request and waits for its response's data (at most the configured request timeout);
   * throws {@link ApiException} or {@link ConnectionException}.
   */
  public JsonNode call(String action, Map<String, ?> params) {
    return call(action, (ObjectNode) MAPPER.valueToTree(params));
  }

  /** Sends a request whose params are a JSON object and waits for its data; see {@link #call}. */
  @Override
  public JsonNode call(String action, ObjectNode params) {
    CompletableFuture<JsonNode> f = request(action, params);
    try {
      return f.get(config.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (Failures.unwrap(e) instanceof SvcregException s) {
        throw s;
      }
      throw new SvcregException(action + ": " + Failures.deepest(e), e);
    } catch (TimeoutException e) {
      f.cancel(false);
      throw new ConnectionException(
          server()
              + ": no response to "
              + action
              + " within "
              + config.requestTimeout().toSeconds()
              + " s",
          false,
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ConnectionException("interrupted while waiting for " + action, true, e);
    }
  }

  /** An API a module publishes: its name, the address and port it listens on, its protocol. */
  public record PublishedApi(String name, String address, int port, String protocol) {}

  /**
   * Subscribes to {@code events} (all when empty). Without {@code since} the stream starts with a
   * {@code registry_loaded} snapshot, else with every retained event after {@code since}. The
   * future completes once the server accepted the subscription, or fails with its error (e.g.
   * {@code revision_expired}). One subscription per client at a time.
   */
  public CompletableFuture<Subscription> subscribe(
      List<String> events, OptionalLong since, SubscriptionListener listener) {
    Watch w = new Watch(List.copyOf(events), listener);
    Watch before = watch.get();
    if (before != null && !before.done.isDone()) {
      throw new IllegalStateException("this client already has a subscription; close it first");
    }
    watch.set(w);
    CompletableFuture<Subscription> started = new CompletableFuture<>();
    try {
      w.attach(since, () -> {})
          .whenComplete(
              (r, e) -> {
                if (e == null) {
                  started.complete(w);
                } else {
                  watch.compareAndSet(w, null);
                  w.done.complete(null);
                  started.completeExceptionally(Failures.unwrap(e));
                }
              });
    } catch (SvcregException e) {
      watch.compareAndSet(w, null);
      w.done.complete(null);
      started.completeExceptionally(e);
    }
    return started;
  }

  /** Drops the TCP connection abruptly, as a network failure would (for tests). */
  void abortConnection() {
    Session s = session;
    if (s != null && s.ws != null) {
      s.ws.abort();
      s.end("connection aborted by the client");
    }
  }

  /**
   * Handles {@code text} as if the server had sent it on the current connection (for tests: a
   * message the server in this version never sends, such as a revision again).
   */
  void received(String text) {
    Session s = session;
    if (s != null) {
      s.dispatch(text);
    }
  }

  /** Closes the connection (normal closure) and stops any subscription. */
  @Override
  public void close() {
    closed = true;
    Watch w = watch.getAndSet(null);
    if (w != null) {
      w.done.complete(null);
    }
    for (Session r : List.copyOf(retiring)) {
      if (r.ws != null) {
        r.ws.abort();
      }
      r.end("client closed");
    }
    Session s = session;
    if (s != null && s.ws != null && !s.closed.isDone()) {
      try {
        s.ws.sendClose(WebSocket.NORMAL_CLOSURE, "").get(1, TimeUnit.SECONDS);
      } catch (ExecutionException | TimeoutException e) {
        LOG.log(System.Logger.Level.DEBUG, "close of " + s.server + ": " + e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      s.ws.abort();
      s.end("client closed");
    }
    scheduler.shutdownNow();
    http.shutdownNow();
  }

  private String nextId() {
    return "c" + ids.incrementAndGet();
  }

  /**
   * The open connection, else a new one to the first server that answers, trying each in turn from
   * {@link #next}; fails naming each server and why when none does.
   */
  private Session session() {
    Session s = session;
    if (s != null && s.open()) {
      return s;
    }
    connectLock.lock();
    try {
      checkOpen();
      s = session;
      if (s != null && s.open()) {
        return s;
      }
      List<URI> all = List.copyOf(servers);
      int first = next % all.size();
      List<ConnectionException> failures = new ArrayList<>();
      for (int i = 0; i < all.size(); i++) {
        int index = (first + i) % all.size();
        try {
          Session fresh = open(all.get(index));
          session = fresh;
          next = index;
          return fresh;
        } catch (ConnectionException e) {
          if (Thread.currentThread().isInterrupted()) {
            throw e;
          }
          failures.add(e);
        }
      }
      throw Failures.noneAnswered(failures, config);
    } finally {
      connectLock.unlock();
    }
  }

  /**
   * Makes a connection to {@code leader}, which a {@code not_leader} answer named, the client's
   * connection (unless it is already): the leader becomes one more server of the group, and the
   * connection before closes once its requests are answered.
   */
  private Session switchTo(URI leader) {
    connectLock.lock();
    try {
      checkOpen();
      Session before = session;
      if (before != null && before.open() && before.server.equals(leader)) {
        return before;
      }
      servers.addIfAbsent(leader);
      Session fresh = open(leader);
      session = fresh;
      next = servers.indexOf(leader);
      if (before != null) {
        before.retire("moved to the leader " + leader);
      }
      return fresh;
    } finally {
      connectLock.unlock();
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new ConnectionException("the client is closed", true, null);
    }
  }

  /** Opens a connection to {@code server}; fails with a one-line {@link ConnectionException}. */
  private Session open(URI server) {
    Session fresh = new Session(server);
    WebSocket.Builder b = http.newWebSocketBuilder().connectTimeout(config.connectTimeout());
    if (!config.token().isEmpty()) {
      b.header("Authorization", "Bearer " + config.token());
    }
    try {
      fresh.ws =
          b.buildAsync(server, fresh)
              .get(config.connectTimeout().toMillis() + 5000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw Failures.connect(e, server, config);
    } catch (TimeoutException e) {
      throw Failures.connect(new HttpTimeoutException("timed out"), server, config);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ConnectionException("interrupted while connecting to " + server, true, e);
    }
    return fresh;
  }

  /** Runs {@code step} on the client's thread after {@code millis}; false once it is closed. */
  private boolean later(long millis, Runnable step) {
    try {
      scheduler.schedule(step, millis, TimeUnit.MILLISECONDS);
      return true;
    } catch (RejectedExecutionException e) {
      return false;
    }
  }

  private void ended(Session s, String why) {
    Watch w = watch.get();
    if (w != null && w.on == s && !closed && s.dropHandled.compareAndSet(false, true)) {
      w.dropped(why);
    }
  }

  /**
   * One request until its final answer. Its steps run one after the other (each hands over to the
   * next through a future or the client's thread).
   */
  private final class Outgoing {

    private final String action;
    private final ObjectNode params;
    private final CompletableFuture<JsonNode> result;
    private boolean redirected;
    private int leaderless;
    private long leaderlessSince;

    Outgoing(String action, ObjectNode params, CompletableFuture<JsonNode> result) {
      this.action = action;
      this.params = params;
      this.result = result;
    }

    /** Sends the request on the client's connection (opened now if there is none). */
    void send() {
      Session s;
      try {
        s = session();
      } catch (SvcregException e) {
        result.completeExceptionally(e);
        return;
      }
      sendOn(s);
    }

    private void sendOn(Session s) {
      CompletableFuture<JsonNode> answer = new CompletableFuture<>();
      answer.whenComplete(
          (data, error) -> {
            if (error == null) {
              result.complete(data);
            } else if (error instanceof ApiException api && api.code().equals(NOT_LEADER)) {
              notLeader(s.server, api);
            } else {
              result.completeExceptionally(error);
            }
          });
      s.request(nextId(), action, params, answer);
    }

    /**
     * {@code server} is a standby and wrote nothing: sends the request again once on the leader it
     * names, or, while no member leads, after a backoff until the failover wait is over.
     */
    private void notLeader(URI server, ApiException refusal) {
      String named = refusal.details().path("leader").asText("");
      if (!named.isEmpty()) {
        URI leader = leaderUrl(named);
        if (redirected || leader == null) {
          result.completeExceptionally(refusal);
          return;
        }
        redirected = true;
        retry(0, () -> sendOn(switchTo(leader)));
        return;
      }
      long now = System.nanoTime();
      if (leaderless++ == 0) {
        leaderlessSince = now;
      }
      long leftMillis = (config.failoverWait().toNanos() - (now - leaderlessSince)) / 1_000_000;
      if (leftMillis <= 0) {
        result.completeExceptionally(
            new ApiException(
                NOT_LEADER,
                action
                    + " refused: "
                    + server
                    + " is a standby and no member of its group took the lead within "
                    + seconds(config.failoverWait())
                    + "; nothing was written, try again later",
                refusal.details()));
        return;
      }
      long backoff =
          Math.min(
              LEADERLESS_RETRY_CAP_MILLIS, LEADERLESS_RETRY_MILLIS << Math.min(leaderless - 1, 10));
      retry(Math.min(backoff, leftMillis), this::send);
    }

    /**
     * Runs {@code step} after {@code millis} on the client's thread, unless the caller stopped
     * waiting meanwhile; its failure is the result.
     */
    private void retry(long millis, Runnable step) {
      Runnable guarded =
          () -> {
            if (result.isDone()) {
              return;
            }
            try {
              step.run();
            } catch (SvcregException e) {
              result.completeExceptionally(e);
            }
          };
      if (!later(millis, guarded)) {
        result.completeExceptionally(new ConnectionException("the client is closed", true, null));
      }
    }
  }

  /** The leader's URL of a {@code not_leader} answer, or null when it is not a wss:// URL. */
  private static URI leaderUrl(String text) {
    try {
      return ClientConfig.checkUrl(new URI(text));
    } catch (URISyntaxException | SvcregException e) {
      return null;
    }
  }

  /** A duration as {@code 10 s} or {@code 1500 ms}. */
  private static String seconds(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }

  /** One WebSocket connection: its pending requests, partial message and serialized sends. */
  private final class Session implements WebSocket.Listener {

    /** The server it is connected to. */
    final URI server;

    volatile WebSocket ws;
    final Map<String, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    final StringBuilder partial = new StringBuilder();
    final CompletableFuture<String> closed = new CompletableFuture<>();
    final Object sendLock = new Object();
    CompletableFuture<?> sendTail = CompletableFuture.completedFuture(null);

    /** Takes the events of one revision: an {@code event} message, or an {@code events} one. */
    volatile Consumer<List<Event>> events = e -> {};

    final AtomicBoolean dropHandled = new AtomicBoolean();

    /** Why it closes once no request waits on it; null while it is the client's connection. */
    private volatile String retiredWhy;

    private final AtomicBoolean shutting = new AtomicBoolean();

    Session(URI server) {
      this.server = server;
    }

    boolean open() {
      WebSocket w = ws;
      return w != null && !closed.isDone() && !w.isOutputClosed() && !w.isInputClosed();
    }

    /** Registers {@code f} under {@code id}, then sends the request. */
    void request(String id, String action, ObjectNode params, CompletableFuture<JsonNode> f) {
      ObjectNode msg = MAPPER.createObjectNode();
      msg.put("id", id).put("type", "request").put("action", action);
      msg.set("params", params == null ? MAPPER.createObjectNode() : params);
      pending.put(id, f);
      if (closed.isDone()) {
        fail(id, closed.getNow("closed"));
        return;
      }
      String text;
      try {
        text = MAPPER.writeValueAsString(msg);
      } catch (JsonProcessingException e) {
        pending.remove(id);
        f.completeExceptionally(new SvcregException(action + ": cannot encode params", e));
        return;
      }
      send(text)
          .whenComplete(
              (x, e) -> {
                if (e != null) {
                  fail(id, "cannot send: " + Failures.deepest(e));
                }
              });
    }

    private void fail(String id, String why) {
      CompletableFuture<JsonNode> f = pending.remove(id);
      if (f != null) {
        f.completeExceptionally(lost(why));
      }
    }

    private ConnectionException lost(String why) {
      return new ConnectionException("lost the connection to " + server + ": " + why, false, null);
    }

    /**
     * No longer the client's connection: it closes once no request waits on it, at the latest after
     * the request timeout.
     */
    void retire(String why) {
      retiredWhy = why;
      retiring.add(this);
      closeIfIdle();
      if (!later(config.requestTimeout().toMillis(), () -> shut(why))) {
        shut(why);
      }
    }

    /** Closes a retired connection on which no request waits any more. */
    void closeIfIdle() {
      String why = retiredWhy;
      if (why != null && pending.isEmpty()) {
        shut(why);
      }
    }

    /** Closes the connection (normal closure); it ends with {@code why}. */
    private void shut(String why) {
      WebSocket w = ws;
      if (!shutting.compareAndSet(false, true)) {
        return;
      }
      if (w == null || closed.isDone()) {
        end(why);
        return;
      }
      w.sendClose(WebSocket.NORMAL_CLOSURE, "")
          .whenComplete(
              (x, e) -> {
                w.abort();
                end(why);
              });
    }

    /** Sends one text message after the previous send completed (the JDK allows one at a time). */
    CompletableFuture<?> send(String text) {
      synchronized (sendLock) {
        CompletableFuture<?> next =
            sendTail.handle((x, e) -> null).thenCompose(x -> ws.sendText(text, true));
        sendTail = next;
        return next;
      }
    }

    /** The connection is gone: fails what waits on it, and lets a subscription resume. */
    void end(String why) {
      if (!closed.complete(why)) {
        return;
      }
      retiring.remove(this);
      if (session == this) {
        // the next connection tries the next server first
        next = (servers.indexOf(server) + 1) % servers.size();
      }
      for (String id : List.copyOf(pending.keySet())) {
        fail(id, why);
      }
      ended(this, why);
    }

    @Override
    public void onOpen(WebSocket webSocket) {
      ws = webSocket;
      webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        String text = partial.toString();
        partial.setLength(0);
        dispatch(text);
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      end(
          "closed by the server (code "
              + statusCode
              + (reason == null || reason.isEmpty() ? "" : ": " + reason)
              + ")");
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      end(Failures.deepest(error));
    }

    private void dispatch(String text) {
      JsonNode n;
      try {
        n = MAPPER.readTree(text);
      } catch (JsonProcessingException e) {
        LOG.log(System.Logger.Level.WARNING, server + ": ignored a message that is not JSON");
        return;
      }
      switch (n.path("type").asText("")) {
        case "response" -> {
          CompletableFuture<JsonNode> f = pending.remove(n.path("id").asText(""));
          if (f == null) {
            if (n.has("error")) {
              LOG.log(
                  System.Logger.Level.WARNING,
                  server + ": error without a request: " + n.get("error"));
            }
          } else if (n.hasNonNull("error")) {
            f.completeExceptionally(ApiException.of(n.get("error")));
          } else {
            f.complete(n.path("data"));
          }
          closeIfIdle();
        }
        case "event" -> {
          if (n instanceof ObjectNode o) {
            events.accept(List.of(new Event(o)));
          }
        }
        case "events" -> events.accept(Event.of(n));
        default -> LOG.log(System.Logger.Level.DEBUG, "ignored message of type " + n.get("type"));
      }
    }
  }

  /** The one subscription: what it asked for and the last revision it delivered all of. */
  private final class Watch implements Subscription {

    final List<String> filter;
    final SubscriptionListener listener;
    final CompletableFuture<Void> done = new CompletableFuture<>();
    volatile Session on;
    volatile long last = -1;
    volatile boolean snapshotExpected;
    int failures;

    /** When a member first answered that it has not reached the stream's revision; 0: none did. */
    long behindSince;

    Watch(List<String> filter, SubscriptionListener listener) {
      this.filter = filter;
      this.listener = listener;
    }

    /**
     * Subscribes on the current connection (opening one); the future is the response data. {@code
     * answered} runs when the response comes, before any event of the subscription.
     */
    CompletableFuture<JsonNode> attach(OptionalLong since, Runnable answered) {
      Session s = session();
      ObjectNode params = MAPPER.createObjectNode();
      if (!filter.isEmpty()) {
        filter.forEach(params.putArray("events")::add);
      }
      since.ifPresent(n -> params.put("since", n));
      snapshotExpected = since.isEmpty();
      on = s;
      s.events = this::deliver;
      CompletableFuture<JsonNode> f = new CompletableFuture<>();
      // Runs on the reading thread before any event of this subscription (sent after the response).
      f.thenAccept(
          data -> {
            last = Math.max(last, data.path("revision").asLong(-1));
            answered.run();
          });
      s.request(nextId(), "subscribe", params, f);
      if (s.closed.isDone()) {
        ended(s, s.closed.getNow("closed")); // it ended before this subscription was attached
      }
      return f;
    }

    /**
     * Delivers the events of one revision, in order, then records the revision as reached: a
     * revision comes whole in one message, so one at or before the last is already delivered (the
     * server resent it after a reconnect) and is dropped whole.
     */
    private void deliver(List<Event> revision) {
      if (done.isDone() || revision.isEmpty()) {
        return;
      }
      Event first = revision.getFirst();
      if (first.event().equals("registry_loaded")) {
        if (snapshotExpected) {
          snapshotExpected = false;
          last = Math.max(last, first.revision());
          tell(first);
        }
        return;
      }
      if (first.revision() <= last) {
        return; // already delivered before a reconnect
      }
      for (Event e : revision) {
        if (done.isDone()) {
          return; // closed meanwhile: nothing more is delivered
        }
        tell(e);
      }
      last = first.revision();
    }

    /** Hands one event to the listener; its failure does not keep the next events from it. */
    private void tell(Event e) {
      try {
        listener.onEvent(e);
      } catch (RuntimeException failure) {
        LOG.log(System.Logger.Level.WARNING, "event listener failed", failure);
      }
    }

    /** The connection dropped: reconnect after a backoff. */
    void dropped(String why) {
      if (done.isDone()) {
        return;
      }
      failures++;
      long cap = ClientConfig.RECONNECT_CAP.toMillis();
      long base = config.reconnectBase().toMillis();
      long full = Math.min(cap, base << Math.min(failures - 1, 20));
      long delay = full / 2 + (long) (config.random().nextDouble() * (full / 2 + 1));
      listener.onDisconnected(why, Duration.ofMillis(delay));
      try {
        scheduler.schedule(this::resume, delay, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException e) {
        done.complete(null); // the client is closing
      }
    }

    private void resume() {
      if (done.isDone() || closed) {
        return;
      }
      long after = last;
      CompletableFuture<JsonNode> f;
      try {
        // said before the events that follow the response, on the thread that delivers them
        f =
            attach(
                OptionalLong.of(after),
                () -> {
                  failures = 0;
                  behindSince = 0;
                  listener.onResumed(after);
                });
      } catch (ConnectionException e) {
        if (e.permanent()) {
          finish(e);
        } else {
          on = null;
          dropped(e.getMessage());
        }
        return;
      }
      Session s = on;
      f.whenComplete(
          (data, error) -> {
            if (error != null && Failures.unwrap(error) instanceof ApiException api) {
              if (catchingUp(api, after)) {
                on = null;
                dropped(s.server + " has not reached revision " + after + " yet");
              } else {
                finish(api);
              }
            }
            // a ConnectionException: the session's end already scheduled the next attempt
          });
    }

    /**
     * Whether {@code refusal} of a resumption after {@code after} comes from a member of a group
     * that has not applied that revision yet (standbys follow the leader's log a little behind),
     * and the failover wait for it to catch up is not over: the resumption is tried again.
     */
    private boolean catchingUp(ApiException refusal, long after) {
      if (servers.size() < 2
          || !refusal.code().equals(ApiException.REVISION_EXPIRED)
          || refusal.details().path("revision").asLong(Long.MAX_VALUE) >= after) {
        return false;
      }
      long now = System.nanoTime();
      if (behindSince == 0) {
        behindSince = now;
      }
      return now - behindSince < config.failoverWait().toNanos();
    }

    private void finish(SvcregException e) {
      watch.compareAndSet(this, null);
      done.completeExceptionally(e);
    }

    @Override
    public long lastRevision() {
      return last;
    }

    @Override
    public CompletableFuture<Void> done() {
      return done;
    }

    @Override
    public void close() {
      if (done.complete(null)) {
        watch.compareAndSet(this, null);
        Session s = on;
        if (s != null && s.open()) {
          s.request(nextId(), "unsubscribe", MAPPER.createObjectNode(), new CompletableFuture<>());
        }
      }
    }
  }
}
