package io.svcreg.bench;

import io.svcreg.client.ClientConfig;
import io.svcreg.client.Event;
import io.svcreg.client.Subscription;
import io.svcreg.client.SvcregClient;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The watchers of {@code tools/bench api}, in a JVM of their own (so that the server's heap holds
 * only the server): {@code N} {@link SvcregClient} subscriptions to {@code reconcile_diff} from a
 * revision, and {@code SLOW} raw connections that subscribe and then never read. Prints {@code
 * READY}; on {@code REPORT LAST} (stdin) waits until every healthy watcher has seen revision LAST
 * and prints one line of figures; exits when stdin closes.
 */
final class ApiBenchWatchers {

  private ApiBenchWatchers() {}

  /** One healthy watcher's counts. */
  static final class Watcher {
    final AtomicLong received = new AtomicLong();
    final AtomicLong outOfOrder = new AtomicLong();
    volatile long last;
    final long[] latencyMicros;
    final AtomicInteger samples = new AtomicInteger();

    Watcher(long since, int maxSamples) {
      this.last = since;
      this.latencyMicros = new long[maxSamples];
    }

    void on(Event e) {
      long now = micros(Instant.now());
      if (e.revision() != last + 1) {
        outOfOrder.incrementAndGet();
      }
      last = e.revision();
      received.incrementAndGet();
      long sent = e.data().path("sentMicros").asLong(0);
      int i = samples.getAndIncrement();
      if (sent > 0 && i < latencyMicros.length) {
        latencyMicros[i] = now - sent;
      }
    }
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
    ClientConfig config =
        ClientConfig.of(url, ClientConfig.trusting(ca), "the bench CA", token)
            .withRequestTimeout(Duration.ofSeconds(60));
    List<Watcher> watchers = new ArrayList<>();
    List<SvcregClient> clients = new ArrayList<>();
    List<CompletableFuture<Subscription>> subs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Watcher w = new Watcher(since, maxSamples);
      SvcregClient c = SvcregClient.connect(config);
      clients.add(c);
      watchers.add(w);
      subs.add(c.subscribe(List.of("reconcile_diff"), OptionalLong.of(since), w::on));
    }
    for (CompletableFuture<Subscription> s : subs) {
      s.get(60, TimeUnit.SECONDS);
    }
    // slow watchers: subscribe, then read nothing more (the server's queue for them fills up)
    HttpClient http = HttpClient.newBuilder().sslContext(config.ssl()).build();
    List<Slow> slows = new ArrayList<>();
    for (int i = 0; i < slow; i++) {
      Slow s = new Slow();
      WebSocket ws =
          http.newWebSocketBuilder()
              .header("Authorization", "Bearer " + token)
              .buildAsync(url, s)
              .get(30, TimeUnit.SECONDS);
      ws.sendText(
              "{\"id\":\"s\",\"type\":\"request\",\"action\":\"subscribe\",\"params\":{\"since\":"
                  + since
                  + ",\"events\":[\"reconcile_diff\"]}}",
              true)
          .get(10, TimeUnit.SECONDS);
      slows.add(s);
    }
    System.out.println("READY");
    System.out.flush();
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      if (!line.startsWith("REPORT ")) {
        continue;
      }
      long target = Long.parseLong(line.substring(7).strip());
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (System.nanoTime() < deadline && watchers.stream().anyMatch(w -> w.last < target)) {
        Thread.sleep(20);
      }
      long doneAt = System.nanoTime();
      // let the slow ones read now: a cut-off one finds the close frame (or the end of the stream)
      for (Slow s : slows) {
        s.drain();
      }
      long cutOff = 0;
      for (Slow s : slows) {
        if (s.closed.completeOnTimeout(null, 5, TimeUnit.SECONDS).get() != null) {
          cutOff++;
        }
      }
      long total = 0;
      long behind = 0;
      long disorder = 0;
      List<Long> lat = new ArrayList<>();
      for (Watcher w : watchers) {
        total += w.received.get();
        behind += Math.max(0, target - w.last);
        disorder += w.outOfOrder.get();
        int k = Math.min(w.samples.get(), w.latencyMicros.length);
        for (int i = 0; i < k; i++) {
          lat.add(w.latencyMicros[i]);
        }
      }
      long[] sorted = lat.stream().mapToLong(Long::longValue).sorted().toArray();
      System.out.printf(
          Locale.ROOT,
          "RESULT received=%d behind=%d disorder=%d p50us=%d p99us=%d maxus=%d cutoff=%d/%d"
              + " waitedms=%d%n",
          total,
          behind,
          disorder,
          pct(sorted, 0.50),
          pct(sorted, 0.99),
          sorted.length == 0 ? 0 : sorted[sorted.length - 1],
          cutOff,
          slows.size(),
          TimeUnit.NANOSECONDS.toMillis(doneAt - (deadline - TimeUnit.SECONDS.toNanos(120))));
      System.out.flush();
    }
    for (SvcregClient c : clients) {
      c.close();
    }
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
