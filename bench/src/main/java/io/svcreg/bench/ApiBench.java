package io.svcreg.bench;

import io.svcreg.ControllerApp;
import io.svcreg.api.ApiServer;
import io.svcreg.client.ClientConfig;
import io.svcreg.client.SvcregClient;
import io.svcreg.registry.Registry;
import io.svcreg.schema.Phase;
import io.svcreg.store.Transaction;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code tools/bench api}: the WebSocket API over {@code wss://127.0.0.1}. Request/response round
 * trips ({@code get_service}) at 1 and 16 connections; fan-out of 100 events/s to 100 watchers
 * (delivery latency, nothing lost); 1,000 watchers: the event rate they are sustained at with
 * nothing lost and nobody cut off, then an overload and how long until every watcher has caught up
 * (cut off, resumed with since), the server heap per watcher, and slow watchers that read nothing
 * (cut off, not buffered). Events are journaled by committing {@code reconcile_diff} events to the
 * controller's store directly (the API serves the journal whatever writes it), each carrying its
 * wall-clock time of commit start.
 */
public final class ApiBench {

  static final long TARGET_FANOUT_P99_MICROS = 20_000;
  static final long TARGET_BYTES_PER_WATCHER = 64 * 1024;

  private static final String USAGE =
      "usage: tools/bench api [--round-trips 5000] [--seconds 10] [--watchers 100] [--rate 100]"
          + " [--many 1000] [--slow 20] [--step 5] [--burst 6000] [--dir TMP]";

  private final PrintStream out;

  private ApiBench(PrintStream out) {
    this.out = out;
  }

  /** Runs the benchmark; exits 1 when a target is missed. */
  public static void main(String[] args) throws Exception {
    int roundTrips = 5000;
    int seconds = 10;
    int watchers = 100;
    int rate = 100;
    int many = 1000;
    int slow = 20;
    int step = 5;
    int burst = 6000;
    Path dir = BenchFiles.defaultDir();
    for (int i = 0; i < args.length; i++) {
      try {
        switch (args[i]) {
          case "--round-trips" -> roundTrips = Integer.parseInt(value(args, ++i));
          case "--seconds" -> seconds = Integer.parseInt(value(args, ++i));
          case "--watchers" -> watchers = Integer.parseInt(value(args, ++i));
          case "--rate" -> rate = Integer.parseInt(value(args, ++i));
          case "--many" -> many = Integer.parseInt(value(args, ++i));
          case "--slow" -> slow = Integer.parseInt(value(args, ++i));
          case "--step" -> step = Integer.parseInt(value(args, ++i));
          case "--burst" -> burst = Integer.parseInt(value(args, ++i));
          case "--dir" -> dir = Path.of(value(args, ++i));
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
    Logger.getLogger("").setLevel(Level.WARNING);
    boolean passed =
        new ApiBench(System.out)
            .run(dir, roundTrips, seconds, watchers, rate, many, slow, step, burst);
    System.exit(passed ? 0 : 1);
  }

  private static String value(String[] args, int i) {
    if (i >= args.length) {
      usageError(args[i - 1] + " needs a value");
    }
    return args[i];
  }

  private static void usageError(String message) {
    System.err.println("tools/bench api: " + message);
    System.err.println(USAGE);
    System.exit(2);
  }

  boolean run(
      Path parent,
      int roundTrips,
      int seconds,
      int watchers,
      int rate,
      int many,
      int slow,
      int step,
      int burst)
      throws Exception {
    out.printf(
        Locale.ROOT,
        "svcreg api benchmark: Java %s, max heap %d MiB, %d CPUs (load average %.1f)%n",
        Runtime.version(),
        Runtime.getRuntime().maxMemory() >> 20,
        Runtime.getRuntime().availableProcessors(),
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    Path tmp = Files.createTempDirectory(parent, "svcreg-api-bench");
    Path specs = Files.createDirectories(tmp.resolve("specs"));
    TinyPackage.write(tmp.resolve("packages/web"), "web");
    int net = 100 + new java.util.Random().nextInt(100);
    Files.writeString(
        specs.resolve("all.yaml"),
        """
        apiVersion: svcreg.io/v1
        kind: Network
        metadata: {name: bench}
        spec: {type: local, subnet: 127.%d.0.0/24}
        ---
        apiVersion: svcreg.io/v1
        kind: Service
        metadata: {name: web}
        spec: {version: "1.0.0", package: ../packages/web, network: bench}
        """
            .formatted(net));
    out.println("events: reconcile_diff committed to the store directly (store under " + tmp + ")");
    boolean ok = true;
    try (ControllerApp app =
        ControllerApp.start(ControllerApp.Config.of(specs, tmp.resolve("data")))) {
      // the round trips measure the server, not the rate limiter: the limits are raised
      ApiServer.Options options =
          ApiServer.Options.defaults("bench")
              .withListen("127.0.0.1", 0)
              .withLimits(1 << 20, 4096, 1_000_000, 1_000_000, 1024, 4L << 20);
      try (ApiServer server = app.startApi(options, Registry.Options.DEFAULTS)) {
        waitRunning(app);
        URI url = URI.create(server.url());
        Path ca = tmp.resolve("data/tls/ca.crt");
        String token = Files.readString(tmp.resolve("data/tokens/read.token")).strip();
        ClientConfig config =
            ClientConfig.of(url, ClientConfig.trusting(ca), "the bench CA", token)
                .withRequestTimeout(Duration.ofSeconds(60));
        out.println("server " + url + "; limits raised for the benchmark: " + options);
        roundTrips(config, 1, roundTrips);
        roundTrips(config, 16, roundTrips / 4);
        ok &= fanOut(app, url, ca, token, watchers, rate, seconds);
        if (many > 0) {
          ok &= saturation(app, url, ca, token, many, slow, step, burst, options.replayTimeout());
        }
      }
    } finally {
      TinyPackage.killAll(tmp.resolve("data/opt"));
      BenchFiles.delete(tmp);
    }
    out.println(ok ? "all targets met" : "a target was missed");
    return ok;
  }

  private static void waitRunning(ControllerApp app) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (app.store().service("web").map(s -> s.status().phase() == Phase.RUNNING).orElse(false)) {
        return;
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("service web did not start within 60 s");
  }

  /** {@code perConnection} sequential get_service calls on each of {@code connections}. */
  private void roundTrips(ClientConfig config, int connections, int perConnection)
      throws Exception {
    List<SvcregClient> clients = new ArrayList<>();
    try {
      for (int i = 0; i < connections; i++) {
        clients.add(SvcregClient.connect(config));
      }
      for (SvcregClient c : clients) {
        for (int i = 0; i < 200; i++) {
          c.call("get_service", Map.of("name", "web")); // warm-up
        }
      }
      long[][] lat = new long[connections][perConnection];
      List<CompletableFuture<Void>> runs = new ArrayList<>();
      long t0 = System.nanoTime();
      for (int k = 0; k < connections; k++) {
        int index = k;
        runs.add(
            CompletableFuture.runAsync(
                () -> {
                  for (int i = 0; i < perConnection; i++) {
                    long s = System.nanoTime();
                    clients.get(index).call("get_service", Map.of("name", "web"));
                    lat[index][i] = System.nanoTime() - s;
                  }
                },
                r -> Thread.ofPlatform().start(r)));
      }
      CompletableFuture.allOf(runs.toArray(CompletableFuture[]::new)).join();
      long elapsed = System.nanoTime() - t0;
      long[] all =
          java.util.Arrays.stream(lat).flatMapToLong(java.util.Arrays::stream).sorted().toArray();
      out.printf(
          Locale.ROOT,
          "round trip get_service, %2d connection(s): p50 %.2f ms, p99 %.2f ms, %,.0f requests/s"
              + " (%d requests)%n",
          connections,
          ApiBenchWatchers.pct(all, 0.5) / 1e6,
          ApiBenchWatchers.pct(all, 0.99) / 1e6,
          all.length / (elapsed / 1e9),
          all.length);
    } finally {
      clients.forEach(SvcregClient::close);
    }
  }

  /** {@code watchers} watchers, {@code rate} events/s for {@code seconds}. */
  private boolean fanOut(
      ControllerApp app, URI url, Path ca, String token, int watchers, int rate, int seconds)
      throws Exception {
    long since = app.store().lastRevision();
    int events = rate * seconds;
    try (Child child = Child.start(url, ca, token, watchers, 0, since, events)) {
      long periodNanos = 1_000_000_000L / rate;
      long next = System.nanoTime();
      long last = since;
      long[] commitNanos = new long[events];
      StringBuilder committed = new StringBuilder("COMMITTED " + (since + 1));
      for (int i = 0; i < events; i++) {
        next += periodNanos;
        long wait = next - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait);
        }
        long c0 = System.nanoTime();
        last = commit(app, 1);
        commitNanos[i] = System.nanoTime() - c0;
        committed.append(' ').append(ApiBenchWatchers.micros(Instant.now()));
      }
      if (last != since + events) {
        throw new IllegalStateException("another writer committed events during the fan-out");
      }
      child.command(committed.toString());
      Map<String, Long> r = child.waitFor(last, 120);
      java.util.Arrays.sort(commitNanos);
      long expected = (long) watchers * events;
      boolean met =
          r.get("p99us") < TARGET_FANOUT_P99_MICROS
              && r.get("received") == expected
              && r.get("disorder") == 0
              && r.get("cutoffs") == 0;
      out.printf(
          Locale.ROOT,
          "fan-out %d watchers x %d events/s for %d s: delivered %,d of %,d (lost %d, out of order"
              + " %d, cut off %d), latency p50 %.2f ms, p99 %.2f ms, max %.2f ms (target p99 < 20"
              + " ms): %s%n",
          watchers,
          rate,
          seconds,
          r.get("received"),
          expected,
          expected - r.get("received"),
          r.get("disorder"),
          r.get("cutoffs"),
          r.get("p50us") / 1e3,
          r.get("p99us") / 1e3,
          r.get("maxus") / 1e3,
          met ? "PASS" : "FAIL");
      out.printf(
          Locale.ROOT,
          "  the latency is from before the store commit (the event's own time) to the watcher's"
              + " callback; the commit itself took p50 %.2f ms, p99 %.2f ms; from the commit's"
              + " return: p50 %.2f ms, p99 %.2f ms; load average %.1f%n",
          ApiBenchWatchers.pct(commitNanos, 0.5) / 1e6,
          ApiBenchWatchers.pct(commitNanos, 0.99) / 1e6,
          r.get("p50committedus") / 1e3,
          r.get("p99committedus") / 1e3,
          loadAverage());
      return met;
    }
  }

  /**
   * {@code many} watchers and {@code slow} that never read. First the rate the server sustains:
   * steps of {@code stepSeconds} at rising event rates until one where a watcher is cut off or
   * falls more than a second behind; the last step before it is the sustained rate (deliveries/s =
   * rate x watchers, nothing lost, nobody cut off). Then overload: {@code burst} events committed
   * as fast as the store takes them (batches of 10), far beyond what the watchers' queues hold, and
   * the time until every watcher has every event, counting the cut-offs and the resumes with {@code
   * since} it took. Also the server heap per watcher, and the never-reading watchers cut off (once
   * they have read nothing for {@code replayTimeout}).
   */
  private boolean saturation(
      ControllerApp app,
      URI url,
      Path ca,
      String token,
      int many,
      int slow,
      int stepSeconds,
      int burst,
      Duration replayTimeout)
      throws Exception {
    long heapBefore = usedHeapAfterGc();
    long since = app.store().lastRevision();
    try (Child child = Child.start(url, ca, token, many, slow, since, 0)) {
      long heapWatching = usedHeapAfterGc();
      long perWatcher = (heapWatching - heapBefore) / (many + slow);
      long last = since;
      Map<String, Long> before = child.waitFor(last, 10);
      int sustained = 0;
      for (int rate = 25; rate <= 3200; rate *= 2) {
        int batch = Math.max(1, rate / 100);
        long periodNanos = 1_000_000_000L * batch / rate;
        long t0 = System.nanoTime();
        long next = t0;
        long end = t0 + TimeUnit.SECONDS.toNanos(stepSeconds);
        long committed = 0;
        while (next < end) {
          next += periodNanos;
          long wait = next - System.nanoTime();
          if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
          }
          last = commit(app, batch);
          committed += batch;
        }
        double load = loadAverage();
        Map<String, Long> r = child.waitFor(last, 60);
        long cutOffs = r.get("cutoffs") - before.get("cutoffs");
        long received = r.get("received") - before.get("received");
        double lag = r.get("waitedus") / 1e6;
        boolean keptUp = cutOffs == 0 && r.get("behind") == 0 && lag < 1.0;
        out.printf(
            Locale.ROOT,
            "  %d watchers, %,d events/s for %d s (%,d deliveries/s): delivered %,d of %,d, cut"
                + " off %d times, all had the last event %.2f s after its commit (load average"
                + " %.1f): %s%n",
            many,
            committed / stepSeconds,
            stepSeconds,
            committed * many / stepSeconds,
            received,
            committed * many,
            cutOffs,
            lag,
            load,
            keptUp ? "kept up" : "did not keep up");
        before = r;
        if (!keptUp) {
          break;
        }
        sustained = rate;
      }
      out.printf(
          Locale.ROOT,
          "%d watchers: sustained %,d events/s = %,d deliveries/s with nothing lost and no"
              + " watcher cut off%n",
          many,
          sustained,
          (long) sustained * many);
      long b0 = System.nanoTime();
      for (int i = 0; i < burst; i += 10) {
        last = commit(app, 10);
      }
      double commitSeconds = (System.nanoTime() - b0) / 1e9;
      Map<String, Long> r = child.waitFor(last, 180);
      double allSeconds = (System.nanoTime() - b0) / 1e9;
      long received = r.get("received") - before.get("received");
      boolean complete = r.get("behind") == 0 && r.get("disorder") == 0;
      out.printf(
          Locale.ROOT,
          "%d watchers, overload: %,d events committed in %.2f s (%,.0f/s); every watcher had"
              + " every event after %.1f s (%,d of %,d deliveries, %,.0f/s), cut off %d times and"
              + " resumed with since, out of order %d, behind %d (load average %.1f): %s%n",
          many,
          burst,
          commitSeconds,
          burst / commitSeconds,
          allSeconds,
          received,
          (long) burst * many,
          received / allSeconds,
          r.get("cutoffs") - before.get("cutoffs"),
          r.get("disorder"),
          r.get("behind"),
          loadAverage(),
          complete ? "PASS" : "FAIL");
      boolean memoryMet = perWatcher <= TARGET_BYTES_PER_WATCHER;
      out.printf(
          Locale.ROOT,
          "server heap per watcher: %,d bytes (%,d watchers incl. %d slow; target <= 64 KB): %s%n",
          perWatcher,
          many + slow,
          slow,
          memoryMet ? "PASS" : "FAIL");
      // events only the slow watchers watch, 8 MiB of them: more than their queues and the
      // sockets' buffers hold, so that a watcher that never reads must be cut off; a full queue
      // alone does not do it, reading nothing for the replay timeout does
      for (int i = 0; i < 20; i++) {
        Transaction tx = new Transaction();
        for (int k = 0; k < 100; k++) {
          tx.event("service_updated", "Service/web", Map.of("pad", "x".repeat(4096)));
        }
        app.store().commit(tx);
      }
      long heapLoaded = usedHeapAfterGc();
      TimeUnit.MILLISECONDS.sleep(replayTimeout.plusSeconds(1).toMillis());
      long slowCut = child.slow();
      boolean cutOff = slowCut == slow;
      out.printf(
          Locale.ROOT,
          "slow watchers (never read; then 2,000 events of 4 KB that only they watch): %d of %d cut"
              + " off; server heap after it all %+,d bytes against before it: %s%n",
          slowCut,
          slow,
          heapLoaded - heapWatching,
          cutOff ? "PASS" : "FAIL");
      return memoryMet && cutOff && complete;
    }
  }

  private static double loadAverage() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  private static long commit(ControllerApp app, int n) {
    Transaction tx = new Transaction();
    for (int i = 0; i < n; i++) {
      tx.event(
          "reconcile_diff",
          "Service/web",
          Map.of(
              "change",
              "update",
              "fields",
              List.of(),
              "sentMicros",
              ApiBenchWatchers.micros(Instant.now())));
    }
    var events = app.store().commit(tx);
    return events.get(events.size() - 1).revision();
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** The watcher JVM. */
  private record Child(Process process, BufferedReader in, PrintWriter cmd)
      implements AutoCloseable {

    static Child start(URI url, Path ca, String token, int n, int slow, long since, int samples)
        throws IOException {
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      List<String> command =
          List.of(
              java,
              // a fixed young generation large enough that the watchers' own collections (a JDK
              // WebSocket allocates per message) come every ~10 s, not every 2 s: their pauses
              // on two busy CPUs (50-100 ms) are not the server's latency
              "-Xms2g",
              "-Xmx2g",
              "-Xmn1g",
              "-Xss256k",
              "-cp",
              System.getProperty("java.class.path"),
              ApiBenchWatchers.class.getName(),
              url.toString(),
              ca.toString(),
              token,
              Integer.toString(n),
              Integer.toString(slow),
              Long.toString(since),
              Integer.toString(samples));
      Process p =
          new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      Child c =
          new Child(
              p,
              new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)),
              new PrintWriter(p.getOutputStream(), true, StandardCharsets.UTF_8));
      String line = c.in.readLine();
      if (!"READY".equals(line)) {
        p.destroyForcibly();
        throw new IllegalStateException("the watcher process did not start: " + line);
      }
      return c;
    }

    Map<String, Long> waitFor(long last, int seconds) throws IOException {
      cmd.println("WAIT " + last + " " + seconds);
      String line = in.readLine();
      if (line == null || !line.startsWith("RESULT ")) {
        throw new IllegalStateException("the watcher process failed: " + line);
      }
      Map<String, Long> r = new HashMap<>();
      for (String kv : line.substring(7).split(" ")) {
        String[] p = kv.split("=");
        r.put(p[0], Long.parseLong(p[1]));
      }
      return r;
    }

    void command(String line) throws IOException {
      cmd.println(line);
      String answer = in.readLine();
      if (!"OK".equals(answer)) {
        throw new IllegalStateException("the watcher process failed: " + answer);
      }
    }

    long slow() throws IOException {
      cmd.println("SLOW");
      String line = in.readLine();
      if (line == null || !line.startsWith("SLOW cutoff=")) {
        throw new IllegalStateException("the watcher process failed: " + line);
      }
      return Long.parseLong(line.substring(12).split("/")[0]);
    }

    @Override
    public void close() throws InterruptedException {
      cmd.close();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }
}
