package io.svcreg.bench;

import io.svcreg.client.ClientConfig;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The watchers of {@code tools/bench api}, in a JVM of their own (so that the server's heap holds
 * only the server): {@code N} watchers subscribed to {@code reconcile_diff} from a revision, and
 * {@code SLOW} connections that subscribe to every event and then never read. A watcher is a JDK
 * WebSocket on one of a few shared {@link HttpClient}s that reads every message as it comes and
 * finds the revision and the commit time in the text (no JSON tree: the watchers share the server's
 * two CPUs, and the figure is the server's); when the server cuts it off (close 1008) or the
 * connection drops, it reconnects at once and subscribes with {@code since} = the last revision it
 * received, as a client must. Prints {@code READY}; reads commands from stdin and answers each with
 * one line:
 *
 * <ul>
 *   <li>{@code COMMITTED FIRST T1 T2 ...}: the wall-clock times (µs) at which the commits of
 *       revisions FIRST, FIRST+1, ... returned, so that latencies are also given from there;
 *   <li>{@code WAIT LAST SECONDS}: waits at most SECONDS until every watcher has revision LAST;
 *       {@code RESULT} with the counts since the start (received, out of order, cut-offs,
 *       reconnects, how far behind, latency percentiles of the samples) and the time waited;
 *   <li>{@code SLOW}: lets the never-reading connections read; {@code SLOW cutoff=K/SLOW}: how many
 *       found that the server had closed them.
 * </ul>
 *
 * Exits when stdin closes.
 */
final class ApiBenchWatchers {

  private static final int CLIENTS = 4;

  private ApiBenchWatchers() {}

  /** Where the watchers connect. */
  record Target(URI url, HttpClient[] http, String token, ScheduledExecutorService retry) {}

  /** One healthy watcher: counts, latency samples, and its reconnects with {@code since}. */
  static final class Watcher implements WebSocket.Listener {
    private final Target target;
    private final int index;
    final AtomicLong received = new AtomicLong();
    final AtomicLong outOfOrder = new AtomicLong();
    final AtomicLong cutOffs = new AtomicLong();
    final AtomicLong reconnects = new AtomicLong();
    final CompletableFuture<Void> subscribed = new CompletableFuture<>();
    volatile long last;
    private final long[] latencyMicros;
    private final long[] sampleRevision;
    private final long[] sampleMicros;
    private volatile int samples;
    private StringBuilder partial;

    Watcher(Target target, int index, long since, int maxSamples) {
      this.target = target;
      this.index = index;
      this.last = since;
      this.latencyMicros = new long[maxSamples];
      this.sampleRevision = new long[maxSamples];
      this.sampleMicros = new long[maxSamples];
    }

    CompletableFuture<WebSocket> connect() {
      return target
          .http()[index % target.http().length]
          .newWebSocketBuilder()
          .header("Authorization", "Bearer " + target.token())
          .buildAsync(target.url(), this);
    }

    @Override
    public void onOpen(WebSocket ws) {
      ws.request(Long.MAX_VALUE);
      ws.sendText(
          "{\"id\":\"s\",\"type\":\"request\",\"action\":\"subscribe\",\"params\":{\"since\":"
              + last
              + ",\"events\":[\"reconcile_diff\"]}}",
          true);
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean lastPart) {
      if (!lastPart || partial != null) {
        if (partial == null) {
          partial = new StringBuilder();
        }
        partial.append(data);
        if (!lastPart) {
          return null;
        }
        data = partial;
        partial = null;
      }
      on(data.toString());
      return null;
    }

    private void on(String m) {
      if (!m.startsWith("{\"type\":\"event\"")) {
        if (m.contains("\"type\":\"response\"")) {
          subscribed.complete(null);
        }
        return;
      }
      long now = micros(Instant.now());
      long revision = number(m, "\"revision\":");
      if (revision != last + 1) {
        outOfOrder.incrementAndGet();
      }
      last = Math.max(last, revision);
      received.incrementAndGet();
      long sent = number(m, "\"sentMicros\":");
      int i = samples;
      if (sent > 0 && i < latencyMicros.length) {
        latencyMicros[i] = now - sent;
        sampleRevision[i] = revision;
        sampleMicros[i] = now;
        samples = i + 1;
      }
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
      if (code == 1008) {
        cutOffs.incrementAndGet();
      }
      resume();
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      resume();
    }

    private void resume() {
      partial = null;
      reconnects.incrementAndGet();
      // a little jitter, as a client's backoff has, so that a thousand do not land in one instant
      target
          .retry()
          .schedule(
              () ->
                  connect()
                      .whenComplete(
                          (ws, e) -> {
                            if (e != null) {
                              resume();
                            }
                          }),
              ThreadLocalRandom.current().nextInt(1, 50),
              TimeUnit.MILLISECONDS);
    }

    void samples(List<Long> into, List<Long> fromCommitted, long first, long[] committed) {
      int k = samples;
      for (int i = 0; i < k; i++) {
        into.add(latencyMicros[i]);
        int at = (int) (sampleRevision[i] - first);
        if (committed != null && at >= 0 && at < committed.length) {
          fromCommitted.add(sampleMicros[i] - committed[at]);
        }
      }
    }
  }

  static long number(String m, String key) {
    int i = m.indexOf(key);
    if (i < 0) {
      return -1;
    }
    long v = 0;
    for (int k = i + key.length(); k < m.length(); k++) {
      char c = m.charAt(k);
      if (c < '0' || c > '9') {
        break;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }

  static long micros(Instant t) {
    return t.getEpochSecond() * 1_000_000L + t.getNano() / 1000;
  }

  /** {@code URL CA TOKEN N SLOW SINCE MAX_SAMPLES}. */
  public static void main(String[] args) throws Exception {
    URI url = URI.create(args[0]);
    Path ca = Path.of(args[1]);
    String token = args[2];
    int n = Integer.parseInt(args[3]);
    int slow = Integer.parseInt(args[4]);
    long since = Long.parseLong(args[5]);
    int maxSamples = Integer.parseInt(args[6]);
    ClientConfig config = ClientConfig.of(url, ClientConfig.trusting(ca), "the bench CA", token);
    HttpClient[] http = new HttpClient[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) {
      http[i] = HttpClient.newBuilder().sslContext(config.ssl()).build();
    }
    ScheduledExecutorService retry =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "bench-watcher-retry");
              t.setDaemon(true);
              return t;
            });
    Target target = new Target(url, http, token, retry);
    List<Watcher> watchers = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Watcher w = new Watcher(target, i, since, maxSamples);
      w.connect().get(60, TimeUnit.SECONDS);
      w.subscribed.get(60, TimeUnit.SECONDS);
      watchers.add(w);
    }
    // slow watchers: subscribe, then read nothing more (the server's queue for them fills up)
    List<Slow> slows = new ArrayList<>();
    for (int i = 0; i < slow; i++) {
      Slow s = new Slow();
      WebSocket ws =
          http[i % CLIENTS]
              .newWebSocketBuilder()
              .header("Authorization", "Bearer " + token)
              .buildAsync(url, s)
              .get(30, TimeUnit.SECONDS);
      ws.sendText(
              "{\"id\":\"s\",\"type\":\"request\",\"action\":\"subscribe\",\"params\":{\"since\":"
                  + since
                  + "}}",
              true)
          .get(10, TimeUnit.SECONDS);
      slows.add(s);
    }
    System.out.println("READY");
    System.out.flush();
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    long first = 0;
    long[] committed = null;
    while ((line = in.readLine()) != null) {
      String[] cmd = line.strip().split(" ");
      if (cmd[0].equals("COMMITTED")) {
        first = Long.parseLong(cmd[1]);
        committed = new long[cmd.length - 2];
        for (int i = 2; i < cmd.length; i++) {
          committed[i - 2] = Long.parseLong(cmd[i]);
        }
        System.out.println("OK");
      } else if (cmd[0].equals("WAIT")) {
        System.out.println(
            waitFor(watchers, Long.parseLong(cmd[1]), Integer.parseInt(cmd[2]), first, committed));
      } else if (cmd[0].equals("SLOW")) {
        // let the slow ones read now: a cut-off one finds the close frame (or the end of the
        // stream)
        for (Slow s : slows) {
          s.drain();
        }
        long cutOff = 0;
        for (Slow s : slows) {
          if (s.closed.completeOnTimeout(null, 5, TimeUnit.SECONDS).get() != null) {
            cutOff++;
          }
        }
        System.out.println("SLOW cutoff=" + cutOff + "/" + slows.size());
      }
      System.out.flush();
    }
  }

  private static String waitFor(
      List<Watcher> watchers, long target, int seconds, long first, long[] committed)
      throws InterruptedException {
    long t0 = System.nanoTime();
    long deadline = t0 + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline && watchers.stream().anyMatch(w -> w.last < target)) {
      Thread.sleep(5);
    }
    long waited = System.nanoTime() - t0;
    long total = 0;
    long behind = 0;
    long disorder = 0;
    long cutOffs = 0;
    long reconnects = 0;
    List<Long> lat = new ArrayList<>();
    List<Long> fromCommitted = new ArrayList<>();
    for (Watcher w : watchers) {
      total += w.received.get();
      behind += Math.max(0, target - w.last);
      disorder += w.outOfOrder.get();
      cutOffs += w.cutOffs.get();
      reconnects += w.reconnects.get();
      w.samples(lat, fromCommitted, first, committed);
    }
    long[] sorted = lat.stream().mapToLong(Long::longValue).sorted().toArray();
    long[] after = fromCommitted.stream().mapToLong(Long::longValue).sorted().toArray();
    return String.format(
        Locale.ROOT,
        "RESULT received=%d behind=%d disorder=%d p50us=%d p99us=%d maxus=%d cutoffs=%d"
            + " reconnects=%d waitedus=%d p50committedus=%d p99committedus=%d",
        total,
        behind,
        disorder,
        pct(sorted, 0.50),
        pct(sorted, 0.99),
        sorted.length == 0 ? 0 : sorted[sorted.length - 1],
        cutOffs,
        reconnects,
        TimeUnit.NANOSECONDS.toMicros(waited),
        pct(after, 0.50),
        pct(after, 0.99));
  }

  static long pct(long[] sorted, double q) {
    if (sorted.length == 0) {
      return 0;
    }
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
  }

  /** A connection that reads nothing after the upgrade until {@link #drain}. */
  static final class Slow implements WebSocket.Listener {
    final CompletableFuture<String> closed = new CompletableFuture<>();
    volatile WebSocket ws;

    @Override
    public void onOpen(WebSocket webSocket) {
      ws = webSocket; // no request(n): nothing is read
    }

    void drain() {
      if (ws != null) {
        ws.request(Long.MAX_VALUE);
      }
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      closed.complete(statusCode + " " + reason);
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      closed.complete("error " + error);
    }
  }
}
