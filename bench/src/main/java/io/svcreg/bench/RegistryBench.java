package io.svcreg.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.svcreg.ControllerApp;
import io.svcreg.api.ApiServer;
import io.svcreg.registry.Registry;
import io.svcreg.store.RegistryEntry;
import io.svcreg.store.Transaction;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * {@code tools/bench registry}: the dynamic registry against the reference registry's promises, in
 * process on a real store (every commit synced) behind the real TLS server: publish p99 including
 * the durable write, discover p99 on the server side and its round trip over {@code wss}, the heap
 * that 1,000 published modules take (and the process's RSS), and how much 10,000 leases expiring in
 * the same second delay other requests. Prints the figures with PASS or FAIL; exits 1 on a miss.
 */
public final class RegistryBench {

  static final long TARGET_PUBLISH_P99_NANOS = 10_000_000L;
  static final long TARGET_DISCOVER_P99_NANOS = 1_000_000L;
  static final long TARGET_HEAP_BYTES = 1L << 20;
  static final long TARGET_EXPIRY_DELAY_NANOS = 10_000_000L;

  private static final String USAGE =
      "usage: tools/bench registry [--publishes 2000] [--discovers 20000] [--modules 1000]"
          + " [--expiring 10000] [--data-dir TMP]";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final PrintStream out;
  private final List<String> results = new ArrayList<>();
  private boolean failed;

  RegistryBench(PrintStream out) {
    this.out = out;
  }

  /** Runs the benchmark; see {@code tools/bench registry --help}. */
  public static void main(String[] args) throws Exception {
    int publishes = 2000;
    int discovers = 20_000;
    int modules = 1000;
    int expiring = 10_000;
    Path dataDir = Path.of(System.getProperty("java.io.tmpdir"));
    for (int i = 0; i < args.length; i++) {
      try {
        switch (args[i]) {
          case "--publishes" -> publishes = Integer.parseInt(value(args, ++i));
          case "--discovers" -> discovers = Integer.parseInt(value(args, ++i));
          case "--modules" -> modules = Integer.parseInt(value(args, ++i));
          case "--expiring" -> expiring = Integer.parseInt(value(args, ++i));
          case "--data-dir" -> dataDir = Path.of(value(args, ++i));
          case "-h", "--help" -> {
            System.out.println(USAGE);
            return;
          }
          default -> usageError("unknown argument '" + args[i] + "'");
        }
      } catch (NumberFormatException e) {
        usageError(args[i - 1] + " needs a number: " + args[i]);
      }
    }
    if (publishes < 100 || discovers < 100 || modules < 10 || expiring < 10) {
      usageError("need --publishes >= 100, --discovers >= 100, --modules >= 10, --expiring >= 10");
    }
    Logger.getLogger("").setLevel(Level.WARNING);
    boolean ok =
        new RegistryBench(System.out).run(dataDir, publishes, discovers, modules, expiring);
    System.exit(ok ? 0 : 1);
  }

  private static String value(String[] args, int i) {
    if (i >= args.length) {
      usageError(args[i - 1] + " needs a value");
    }
    return args[i];
  }

  private static void usageError(String message) {
    System.err.println("tools/bench registry: " + message);
    System.err.println(USAGE);
    System.exit(2);
  }

  /** Runs every measurement; whether every target was met. */
  boolean run(Path dataDir, int publishes, int discovers, int modules, int expiring)
      throws Exception {
    Path root = Files.createTempDirectory(dataDir, "svcreg-registry-bench");
    out.printf(
        Locale.ROOT,
        "svcreg registry benchmark: Java %s, max heap %d MiB, %d CPUs (load average %.1f), data in"
            + " %s%n",
        System.getProperty("java.version"),
        Runtime.getRuntime().maxMemory() >> 20,
        Runtime.getRuntime().availableProcessors(),
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
        root);
    Path specs = Files.createDirectories(root.resolve("specs"));
    ControllerApp app = ControllerApp.start(ControllerApp.Config.of(specs, root.resolve("data")));
    try (ApiServer server =
            app.startApi(
                ApiServer.Options.defaults("bench")
                    .withListen("127.0.0.1", 0)
                    .withLimits(1 << 20, 1024, 1e9, 1_000_000, 1024, 4L << 20),
                Registry.Options.DEFAULTS);
        Client client = Client.connect(server.url(), root.resolve("data"))) {
      Registry registry = server.registry();
      heap(app, registry, modules);
      publish(registry, publishes);
      discover(registry, client, discovers);
      expiry(app, registry, client, expiring);
    } finally {
      app.close();
      BenchFiles.delete(root);
    }
    out.println();
    results.forEach(out::println);
    return !failed;
  }

  private static Registry.Publish publishOf(String module, int port, Duration ttl) {
    return new Registry.Publish(
        module,
        Optional.of("4242"),
        List.of(new RegistryEntry.Api("grpc", List.of("service1"), "127.0.0.1", port, "grpc")),
        Optional.of(ttl));
  }

  private void heap(ControllerApp app, Registry registry, int modules) {
    // 10x the modules, written in commits of 100 without events (the journal's events are a
    // separate, bounded cost), so that the heap's noise is small against what is measured
    int n = modules * 10;
    long before = usedHeap();
    for (int done = 0; done < n; ) {
      Transaction tx = new Transaction();
      for (int i = 0; i < 100 && done < n; i++, done++) {
        tx.putRegistryEntry(
            new RegistryEntry(
                "heap-" + done,
                Integer.toString(100_000 + done),
                List.of(
                    new RegistryEntry.Api(
                        "grpc", List.of("service1"), "127.0.0.1", 20_000 + done % 40_000, "grpc")),
                3_600_000,
                Instant.now().plusSeconds(3600)));
      }
      app.store().commit(tx);
    }
    long per = Math.max(0, usedHeap() - before) / n;
    long rss = rss();
    out.printf(
        Locale.ROOT,
        "heap: %,d published modules (one API each) take %,d bytes each in the store's view and its"
            + " persisted entities; process RSS %d MiB%n",
        n,
        per,
        rss >> 20);
    result(
        "registry data for 1,000 published modules < 1 MB",
        fmtBytes(per * 1000) + " (measured over " + n + ")",
        per * 1000 < TARGET_HEAP_BYTES);
    results.add(
        String.format(
            Locale.ROOT,
            "     process RSS with %,d modules (whole controller, serve's JVM options): %d MiB",
            n,
            rss >> 20));
    Transaction tx = new Transaction();
    for (int i = 0; i < n; i++) {
      tx.removeRegistryEntry("heap-" + i);
    }
    app.store().commit(tx);
  }

  private void publish(Registry registry, int n) {
    // each publish changes the module's content (a new port), so each commits and journals
    long[] t = new long[n];
    for (int i = 0; i < n; i++) {
      Registry.Publish p = publishOf("pub-" + (i % 100), 30_000 + i, Duration.ofMinutes(10));
      long s = System.nanoTime();
      registry.publish(p);
      t[i] = System.nanoTime() - s;
    }
    long[] refresh = new long[n];
    for (int i = 0; i < n; i++) {
      Registry.Publish p =
          publishOf("pub-" + (i % 100), 30_000 + n - 100 + (i % 100), Duration.ofMinutes(10));
      long s = System.nanoTime();
      registry.publish(p);
      refresh[i] = System.nanoTime() - s;
    }
    out.printf(
        Locale.ROOT,
        "publish (changed content, commit + event, synced): p50 %s p99 %s; refresh (same content,"
            + " synced): p50 %s p99 %s%n",
        ms(pct(t, 50)),
        ms(pct(t, 99)),
        ms(pct(refresh, 50)),
        ms(pct(refresh, 99)));
    long p99 = Math.max(pct(t, 99), pct(refresh, 99));
    result("publish p99 < 10 ms incl. the durable write", ms(p99), p99 < TARGET_PUBLISH_P99_NANOS);
  }

  private void discover(Registry registry, Client client, int n) throws Exception {
    long[] server = new long[n];
    for (int i = 0; i < n; i++) {
      String m = "pub-" + (i % 100);
      long s = System.nanoTime();
      registry.discover(m);
      server[i] = System.nanoTime() - s;
    }
    int trips = Math.min(n, 5000);
    long[] rt = new long[trips];
    for (int i = 0; i < trips; i++) {
      long s = System.nanoTime();
      JsonNode r = client.request("discover", Map.of("module", "pub-" + (i % 100)));
      rt[i] = System.nanoTime() - s;
      if (!r.has("data")) {
        throw new IllegalStateException("discover failed: " + r);
      }
    }
    out.printf(
        Locale.ROOT,
        "discover: server side p50 %s p99 %s; round trip over wss p50 %s p99 %s%n",
        ms(pct(server, 50)),
        ms(pct(server, 99)),
        ms(pct(rt, 50)),
        ms(pct(rt, 99)));
    result(
        "discover server side p99 < 1 ms",
        ms(pct(server, 99)),
        pct(server, 99) < TARGET_DISCOVER_P99_NANOS);
    results.add(
        String.format(
            Locale.ROOT,
            "  discover round trip over wss: p50 %s, p99 %s",
            ms(pct(rt, 50)),
            ms(pct(rt, 99))));
  }

  private void expiry(ControllerApp app, Registry registry, Client client, int n) throws Exception {
    // leases written straight into the store (publishing 10k one by one would take a while), all
    // expiring within the same second, 3 s from now
    Instant at = Instant.now().plusSeconds(3);
    for (int done = 0; done < n; ) {
      Transaction tx = new Transaction();
      for (int i = 0; i < 500 && done < n; i++, done++) {
        tx.putRegistryEntry(
            new RegistryEntry(
                "exp-" + done,
                "",
                List.of(
                    new RegistryEntry.Api(
                        "a", List.of("a"), "127.0.0.1", 1000 + done % 60000, "tcp")),
                30_000,
                at.plusMillis(done % 1000)));
      }
      app.store().commit(tx);
    }
    // the timer wakes for the earliest expiry it knows of: the entries above are picked up by it
    registry.publish(publishOf("exp-wake", 1, Duration.ofSeconds(1)));
    // probes: discover round trips and publishes, during the expiry and (as a base line) before
    List<long[]> before = probe(registry, client, Instant.now().plusMillis(1500));
    long dueAt0 = System.nanoTime() + Duration.between(Instant.now(), at).toNanos();
    Instant until = at.plusMillis(1000);
    List<long[]> during = new ArrayList<>();
    AtomicLong removedAt = new AtomicLong();
    Thread watcher =
        Thread.ofPlatform()
            .start(
                () -> {
                  while (app.store().registryEntries().stream()
                      .anyMatch(e -> e.module().startsWith("exp-"))) {
                    try {
                      Thread.sleep(5);
                    } catch (InterruptedException e) {
                      return;
                    }
                  }
                  removedAt.set(System.nanoTime());
                });
    while (Instant.now().isBefore(until) || watcher.isAlive()) {
      List<long[]> d = probe(registry, client, Instant.now().plusMillis(200));
      during.add(d.get(0));
      during.add(d.get(1));
      if (Instant.now().isAfter(until.plusSeconds(60))) {
        break;
      }
    }
    watcher.join(60_000);
    long[] discBefore = before.get(0);
    long[] pubBefore = before.get(1);
    long[] disc = concat(during, 0);
    long[] pub = concat(during, 1);
    long left =
        app.store().registryEntries().stream().filter(e -> e.module().startsWith("exp-")).count();
    out.printf(
        Locale.ROOT,
        "expiry of %,d leases (due within one second): %d left, the last removed %.2f s after the"
            + " first was due; discover round trip before p50 %s p99 %s max %s, during p50 %s p99"
            + " %s max %s; publish before p50 %s p99 %s max %s, during p50 %s p99 %s max %s%n",
        n,
        left,
        (removedAt.get() - dueAt0) / 1e9,
        ms(pct(discBefore, 50)),
        ms(pct(discBefore, 99)),
        ms(pct(discBefore, 100)),
        ms(pct(disc, 50)),
        ms(pct(disc, 99)),
        ms(pct(disc, 100)),
        ms(pct(pubBefore, 50)),
        ms(pct(pubBefore, 99)),
        ms(pct(pubBefore, 100)),
        ms(pct(pub, 50)),
        ms(pct(pub, 99)),
        ms(pct(pub, 100)));
    long delay = Math.max(pct(disc, 99) - pct(discBefore, 99), pct(pub, 99) - pct(pubBefore, 99));
    result(
        "10,000 leases expiring in one second delay other requests by < 10 ms (p99 during the"
            + " expiry over p99 before; discover round trip, publish)",
        ms(Math.max(0, delay)),
        delay < TARGET_EXPIRY_DELAY_NANOS);
  }

  /** Discover round trips and publishes (a refresh) alternately until {@code until}. */
  private static List<long[]> probe(Registry registry, Client client, Instant until)
      throws Exception {
    List<Long> disc = new ArrayList<>();
    List<Long> pub = new ArrayList<>();
    int i = 0;
    while (Instant.now().isBefore(until)) {
      long s = System.nanoTime();
      client.request("discover", Map.of("module", "pub-" + (i % 100)));
      disc.add(System.nanoTime() - s);
      s = System.nanoTime();
      registry.publish(publishOf("probe", 40_000, Duration.ofMinutes(10)));
      pub.add(System.nanoTime() - s);
      i++;
      Thread.sleep(2);
    }
    return List.of(
        disc.stream().mapToLong(Long::longValue).toArray(),
        pub.stream().mapToLong(Long::longValue).toArray());
  }

  private static long[] concat(List<long[]> parts, int parity) {
    List<Long> all = new ArrayList<>();
    for (int i = parity; i < parts.size(); i += 2) {
      for (long v : parts.get(i)) {
        all.add(v);
      }
    }
    return all.stream().mapToLong(Long::longValue).toArray();
  }

  private void result(String target, String measured, boolean pass) {
    failed |= !pass;
    results.add(
        String.format(Locale.ROOT, "%-4s %s: %s", pass ? "PASS" : "FAIL", target, measured));
  }

  static long pct(long[] values, int p) {
    if (values.length == 0) {
      return 0;
    }
    long[] s = values.clone();
    Arrays.sort(s);
    int idx = (int) Math.ceil(p / 100.0 * s.length) - 1;
    return s[Math.max(0, Math.min(s.length - 1, idx))];
  }

  static String ms(long nanos) {
    return nanos < 100_000
        ? String.format(Locale.ROOT, "%.1f µs", nanos / 1e3)
        : String.format(Locale.ROOT, "%.3f ms", nanos / 1e6);
  }

  static String fmtBytes(long b) {
    return String.format(Locale.ROOT, "%,d bytes", b);
  }

  private static long usedHeap() {
    for (int i = 0; i < 4; i++) {
      System.gc();
    }
    Runtime r = Runtime.getRuntime();
    return r.totalMemory() - r.freeMemory();
  }

  private static long rss() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: reported as 0
    }
    return 0;
  }

  /** A minimal protocol v1 client over the JDK WebSocket: one request at a time. */
  static final class Client implements AutoCloseable {
    private final WebSocket ws;
    private final Map<String, CompletableFuture<JsonNode>> waiting;
    private final AtomicLong ids = new AtomicLong();

    private Client(WebSocket ws, Map<String, CompletableFuture<JsonNode>> waiting) {
      this.ws = ws;
      this.waiting = waiting;
    }

    static Client connect(String url, Path data) throws Exception {
      KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
      ks.load(null, null);
      try (InputStream in = Files.newInputStream(data.resolve("tls/ca.crt"))) {
        ks.setCertificateEntry(
            "ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, tmf.getTrustManagers(), null);
      String token = Files.readString(data.resolve("tokens/admin.token")).strip();
      Map<String, CompletableFuture<JsonNode>> waiting = new ConcurrentHashMap<>();
      StringBuilder buf = new StringBuilder();
      WebSocket.Listener l =
          new WebSocket.Listener() {
            @Override
            public CompletionStage<?> onText(WebSocket w, CharSequence text, boolean last) {
              buf.append(text);
              if (last) {
                try {
                  JsonNode n = JSON.readTree(buf.toString());
                  CompletableFuture<JsonNode> f = waiting.remove(n.path("id").asText());
                  if (f != null) {
                    f.complete(n);
                  }
                } catch (IOException e) {
                  // not a response of ours
                }
                buf.setLength(0);
              }
              w.request(1);
              return null;
            }
          };
      WebSocket ws =
          HttpClient.newBuilder()
              .sslContext(ssl)
              .build()
              .newWebSocketBuilder()
              .header("Authorization", "Bearer " + token)
              .buildAsync(URI.create(url), l)
              .get(30, TimeUnit.SECONDS);
      return new Client(ws, waiting);
    }

    /** Sends a request and waits for its response. */
    JsonNode request(String action, Map<String, ?> params) throws Exception {
      String id = "b" + ids.incrementAndGet();
      CompletableFuture<JsonNode> f = new CompletableFuture<>();
      waiting.put(id, f);
      Map<String, Object> m =
          Map.of("id", id, "type", "request", "action", action, "params", params);
      ws.sendText(JSON.writeValueAsString(m), true).join();
      return f.get(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
      ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
    }
  }
}
