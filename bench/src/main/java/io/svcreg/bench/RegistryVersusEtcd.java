package io.svcreg.bench;

import static io.svcreg.bench.LoopbackServers.sleep;
import static io.svcreg.bench.RegistryBench.ms;
import static io.svcreg.bench.RegistryBench.pct;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code tools/bench registry --vs-etcd}: svcreg's registry against Debian's {@code etcd-server} on
 * its own ground, both on loopback, from this one JVM with the same client style (one connection
 * per client, one request at a time; svcreg's {@code SvcregClient}, a jetcd {@code Client} per
 * connection), alternating rounds, medians: publish with one client and with several connections,
 * the server's CPU while it fans events out to watchers, the highest event rate many watchers keep
 * up with, the RSS idle and with many entries, and the start-up with them until the first read.
 * svcreg runs as {@code tools/svcreg serve} (the launcher: its JVM options and AOT cache), with
 * TLS; etcd in plain http, as on loopback it usually is. Prints each figure of both, the ratio and
 * PASS or FAIL against the targets; exits 1 on a miss.
 */
public final class RegistryVersusEtcd {

  /** svcreg's throughput with 16 connections, at least this times etcd's; p99 at most etcd's. */
  static final double TARGET_MANY_THROUGHPUT = 2.0;

  /** A lone client's publish throughput, at least this times etcd's. */
  static final double TARGET_ONE_THROUGHPUT = 1.0;

  /** RSS, idle and with the entries: at most this times etcd's. */
  static final double TARGET_RSS = 2.0;

  /** Start-up with the entries until the first read: at most this times etcd's. */
  static final double TARGET_START = 1.0;

  /** The server's CPU in the fan-out: at most this times etcd's. */
  static final double TARGET_FANOUT_CPU = 1.0;

  /** The rate many watchers sustain, nothing lost: at least this times etcd's. */
  static final double TARGET_MANY_RATE = 2.5;

  /** A step of the many watchers fails when one is still missing events this long after it. */
  static final Duration BEHIND = Duration.ofSeconds(2);

  static final String USAGE =
      "usage: tools/bench registry --vs-etcd [--rounds 3] [--publishes 2000] [--connections 16]"
          + " [--watchers 100] [--rate 100] [--many 1000] [--entries 10000] [--dir TMP]";

  private final PrintStream out = System.out;
  private final List<String> results = new ArrayList<>();
  private boolean failed;

  private int rounds = 3;
  private int publishes = 2000;
  private int connections = 16;
  private int watchers = 100;
  private int rate = 100;
  private int many = 1000;
  private int entries = 10_000;
  private Path dir;
  private final long began = System.nanoTime();

  private VersusSide svcreg;
  private VersusSide etcd;

  /** Runs the comparison; see {@link #USAGE}. */
  public static void main(String[] args) throws Exception {
    RegistryVersusEtcd b = new RegistryVersusEtcd();
    Path parent = Path.of(System.getProperty("java.io.tmpdir"));
    for (int i = 0; i < args.length; i++) {
      String option = args[i];
      if (option.equals("--vs-etcd")) {
        continue;
      }
      if (option.equals("-h") || option.equals("--help")) {
        System.out.println(USAGE);
        return;
      }
      if (i + 1 >= args.length) {
        usageError(option + " needs a value (or is unknown)");
      }
      String v = args[++i];
      switch (option) {
        case "--rounds" -> b.rounds = number(option, v);
        case "--publishes" -> b.publishes = number(option, v);
        case "--connections" -> b.connections = number(option, v);
        case "--watchers" -> b.watchers = number(option, v);
        case "--rate" -> b.rate = number(option, v);
        case "--many" -> b.many = number(option, v);
        case "--entries" -> b.entries = number(option, v);
        case "--dir" -> parent = Path.of(v);
        default -> usageError("unknown argument '" + option + "'");
      }
    }
    if (b.rounds < 1
        || b.publishes < 100
        || b.connections < 1
        || b.watchers < 1
        || b.rate < 1
        || b.many < 0
        || b.entries < 1) {
      usageError(
          "need --rounds >= 1, --publishes >= 100, --connections, --watchers, --rate, --entries"
              + " >= 1, --many >= 0");
    }
    if (!Files.isExecutable(Path.of("/usr/bin/etcd"))) {
      usageError("/usr/bin/etcd is missing: install Debian's etcd-server");
    }
    String root = System.getProperty("svcreg.bench.root");
    if (root == null) {
      usageError("run it with tools/bench (it passes -Dsvcreg.bench.root)");
    }
    Logger.getLogger("").setLevel(Level.WARNING);
    b.dir = Files.createTempDirectory(Files.createDirectories(parent), "svcreg-vs-etcd");
    b.svcreg = new VersusSide.Svcreg(Path.of(root), b.dir);
    b.etcd = new VersusSide.Etcd(b.dir);
    // also when this JVM is stopped (Ctrl-C, SIGTERM): no server outlives it
    Thread cleanUp = new Thread(b::cleanUp);
    Runtime.getRuntime().addShutdownHook(cleanUp);
    boolean ok = false;
    try {
      b.run();
      ok = true;
    } finally {
      b.cleanUp();
      Runtime.getRuntime().removeShutdownHook(cleanUp);
    }
    b.out.println();
    b.results.forEach(b.out::println);
    b.out.printf(Locale.ROOT, "(%.0f s in all)%n", (System.nanoTime() - b.began) / 1e9);
    System.exit(ok && !b.failed ? 0 : 1);
  }

  /** Kills both servers and deletes their data. */
  private synchronized void cleanUp() {
    svcreg.kill();
    etcd.kill();
    try {
      BenchFiles.delete(dir);
    } catch (IOException e) {
      System.err.println("cannot delete " + dir + ": " + e.getMessage());
    }
  }

  private static int number(String option, String v) {
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      usageError(option + " needs a number: " + v);
      return 0;
    }
  }

  private static void usageError(String message) {
    System.err.println("tools/bench registry --vs-etcd: " + message);
    System.err.println(USAGE);
    System.exit(2);
  }

  private void run() throws Exception {
    out.printf(
        Locale.ROOT,
        "svcreg vs etcd: Java %s, %d CPUs (load average %.1f), data in %s; %d rounds, alternating%n",
        System.getProperty("java.version"),
        Runtime.getRuntime().availableProcessors(),
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
        dir,
        rounds);
    long t = System.nanoTime();
    String prepared = ((VersusSide.Svcreg) svcreg).prepare();
    out.printf(Locale.ROOT, "%s (%.0f s)%n", prepared, (System.nanoTime() - t) / 1e9);
    out.println(
        "svcreg: `tools/svcreg serve`, default options, wss (TLS) on 127.0.0.1; etcd: "
            + etcdVersion()
            + ", one member, plain http on 127.0.0.1 (so the comparison is conservative for"
            + " svcreg); both stores on the same disk, every write synced");
    svcreg.start();
    etcd.start();
    sleep(3000);
    long rssIdleS = LoopbackServers.rssBytes(svcreg.pid());
    long rssIdleE = LoopbackServers.rssBytes(etcd.pid());
    publishOne();
    publishMany();
    fanOut();
    if (many > 0) {
      manyWatchers();
    }
    // a fresh store for each, then the entries
    svcreg.stop();
    etcd.stop();
    svcreg.wipe();
    etcd.wipe();
    svcreg.start();
    etcd.start();
    for (VersusSide side : List.of(svcreg, etcd)) {
      long t0 = System.nanoTime();
      publishConcurrently(side, "e-", entries, connections);
      out.printf(
          Locale.ROOT,
          "%s: %,d entries published in %.1f s (%d connections)%n",
          side.name(),
          entries,
          (System.nanoTime() - t0) / 1e9,
          connections);
    }
    sleep(2000);
    long rssFullS = LoopbackServers.rssBytes(svcreg.pid());
    long rssFullE = LoopbackServers.rssBytes(etcd.pid());
    rss("idle", rssIdleS, rssIdleE);
    rss(String.format(Locale.ROOT, "with %,d entries", entries), rssFullS, rssFullE);
    startUp();
  }

  private static String etcdVersion() {
    try {
      Process p =
          new ProcessBuilder("/usr/bin/etcd", "--version").redirectErrorStream(true).start();
      String v = new String(p.getInputStream().readAllBytes()).lines().findFirst().orElse("");
      p.waitFor();
      return v.replace("etcd Version:", "etcd").strip();
    } catch (IOException | InterruptedException e) {
      return "etcd";
    }
  }

  // ---- 1. and 2.: publish

  /** What one round of publishes measured: the wall time and each publish's latency. */
  record Round(long nanos, long[] latencies) {
    double perSecond() {
      return latencies.length * 1e9 / nanos;
    }
  }

  private void publishOne() throws Exception {
    List<Round> s = new ArrayList<>();
    List<Round> e = new ArrayList<>();
    for (VersusSide side : List.of(svcreg, etcd)) {
      publishConcurrently(side, "warm1-", Math.min(200, publishes), 1);
    }
    for (int r = 0; r < rounds; r++) {
      s.add(publishConcurrently(svcreg, "one" + r + "-", publishes, 1));
      e.add(publishConcurrently(etcd, "one" + r + "-", publishes, 1));
    }
    compare("publish, 1 client", s, e);
    double ratio = medianRate(s) / medianRate(e);
    check(
        ratio >= TARGET_ONE_THROUGHPUT,
        "publish, 1 client: throughput >= " + TARGET_ONE_THROUGHPUT + "x etcd's",
        String.format(Locale.ROOT, "%.2fx", ratio));
  }

  private void publishMany() throws Exception {
    List<Round> s = new ArrayList<>();
    List<Round> e = new ArrayList<>();
    for (VersusSide side : List.of(svcreg, etcd)) {
      publishConcurrently(side, "warmN-", Math.min(200 * connections, publishes), connections);
    }
    for (int r = 0; r < rounds; r++) {
      s.add(publishConcurrently(svcreg, "many" + r + "-", publishes, connections));
      e.add(publishConcurrently(etcd, "many" + r + "-", publishes, connections));
    }
    compare("publish, " + connections + " connections", s, e);
    double ratio = medianRate(s) / medianRate(e);
    check(
        ratio >= TARGET_MANY_THROUGHPUT,
        "publish, "
            + connections
            + " connections: throughput >= "
            + TARGET_MANY_THROUGHPUT
            + "x"
            + " etcd's",
        String.format(Locale.ROOT, "%.2fx", ratio));
    long p99s = medianPct(s, 99);
    long p99e = medianPct(e, 99);
    check(
        p99s <= p99e,
        "publish, " + connections + " connections: p99 <= etcd's",
        String.format(Locale.ROOT, "%s vs %s (%.2fx)", ms(p99s), ms(p99e), (double) p99s / p99e));
  }

  private void compare(String what, List<Round> s, List<Round> e) {
    out.printf(
        Locale.ROOT,
        "%s, %,d publishes a round, medians of %d: svcreg %,.0f/s p50 %s p99 %s; etcd %,.0f/s p50 %s"
            + " p99 %s; throughput ratio %.2fx%n",
        what,
        publishes,
        rounds,
        medianRate(s),
        ms(medianPct(s, 50)),
        ms(medianPct(s, 99)),
        medianRate(e),
        ms(medianPct(e, 50)),
        ms(medianPct(e, 99)),
        medianRate(s) / medianRate(e));
    long limited = ((VersusSide.Svcreg) svcreg).rateLimited.getAndSet(0);
    if (limited > 0) {
      out.printf(
          Locale.ROOT,
          "  svcreg answered rate_limited %,d times (serve's limit per role, --requests-per-second);"
              + " each was sent again after 5 ms, its latency counts from the first send%n",
          limited);
    }
  }

  /**
   * {@code n} publishes of distinct names {@code prefix + i} over {@code conns} new connections,
   * each sending one at a time as fast as it is answered.
   */
  private static Round publishConcurrently(VersusSide side, String prefix, int n, int conns)
      throws Exception {
    long[] lat = new long[n];
    long took =
        overConnections(
            side,
            n,
            conns,
            () -> {},
            (p, i, t0) -> {
              long s = System.nanoTime();
              p.publish(prefix + i, 10_000 + i % 50_000);
              lat[i] = System.nanoTime() - s;
            });
    return new Round(took, lat);
  }

  /** One publish of {@link #overConnections}: the {@code i}th, the steps began at {@code t0}. */
  private interface Step {
    void run(VersusSide.Publisher p, int i, long t0) throws Exception;
  }

  /**
   * Opens {@code conns} connections, then runs steps 0 to {@code n - 1} on them, each connection a
   * thread taking every {@code conns}th step; {@code atStart} runs just before the first. The time
   * from then until the last step answered; the connections are closed.
   */
  private static long overConnections(
      VersusSide side, int n, int conns, Runnable atStart, Step step) throws Exception {
    List<VersusSide.Publisher> pubs = new ArrayList<>();
    try {
      for (int c = 0; c < conns; c++) {
        pubs.add(side.publisher());
      }
      ConcurrentLinkedQueue<Exception> errors = new ConcurrentLinkedQueue<>();
      List<Thread> threads = new ArrayList<>();
      atStart.run();
      long t0 = System.nanoTime();
      for (int c = 0; c < conns; c++) {
        int first = c;
        VersusSide.Publisher p = pubs.get(c);
        threads.add(
            Thread.ofPlatform()
                .start(
                    () -> {
                      try {
                        for (int i = first; i < n; i += conns) {
                          step.run(p, i, t0);
                        }
                      } catch (Exception e) {
                        errors.add(e);
                      }
                    }));
      }
      for (Thread t : threads) {
        t.join();
      }
      long took = System.nanoTime() - t0;
      if (!errors.isEmpty()) {
        throw new IllegalStateException(side.name() + ": a publish failed", errors.peek());
      }
      return took;
    } finally {
      for (VersusSide.Publisher p : pubs) {
        p.close();
      }
    }
  }

  private static double medianRate(List<Round> rounds) {
    double[] v = rounds.stream().mapToDouble(Round::perSecond).sorted().toArray();
    return v[(v.length - 1) / 2];
  }

  private static long medianPct(List<Round> rounds, int p) {
    return median(rounds.stream().mapToLong(r -> pct(r.latencies(), p)).toArray());
  }

  private static long median(long[] values) {
    long[] v = values.clone();
    Arrays.sort(v);
    return v[(v.length - 1) / 2];
  }

  // ---- 3. and 4.: watchers

  /**
   * The events of one round or step: names {@code tag + i}, when each publish was sent, and how
   * many each watcher has received (and, when asked, after how long).
   */
  static final class Fan {
    final String tag;
    final int n;
    final long[] sentAt;
    final AtomicInteger[] received;
    final long[][] latency;

    Fan(String tag, int n, int watchers, boolean latencies) {
      this.tag = tag;
      this.n = n;
      this.sentAt = new long[n];
      this.received = new AtomicInteger[watchers];
      this.latency = latencies ? new long[watchers][n] : null;
      for (int w = 0; w < watchers; w++) {
        received[w] = new AtomicInteger();
      }
    }

    /** Watcher {@code w} received the event of {@code name}. */
    void arrived(int w, String name) {
      if (!name.startsWith(tag)) {
        return;
      }
      long now = System.nanoTime();
      int i = Integer.parseInt(name, tag.length(), name.length(), 10);
      if (latency != null && i < n) {
        latency[w][i] = now - sentAt[i];
      }
      received[w].incrementAndGet();
    }

    boolean complete() {
      for (AtomicInteger r : received) {
        if (r.get() < n) {
          return false;
        }
      }
      return true;
    }

    /** How many watchers have not received every event. */
    int watchersShort() {
      int s = 0;
      for (AtomicInteger r : received) {
        s += r.get() < n ? 1 : 0;
      }
      return s;
    }

    long received() {
      long s = 0;
      for (AtomicInteger r : received) {
        s += Math.min(n, r.get());
      }
      return s;
    }

    long[] latencies() {
      long[] all = new long[latency.length * n];
      for (int w = 0; w < latency.length; w++) {
        System.arraycopy(latency[w], 0, all, w * n, n);
      }
      return all;
    }
  }

  /** Watchers of one side, each its own connection, feeding the current {@link Fan}. */
  private static final class Watchers implements AutoCloseable {
    final List<AutoCloseable> open = new ArrayList<>();
    volatile Fan fan;

    /** Opens {@code count} watchers, 16 connecting at a time. */
    Watchers(VersusSide side, int count) throws Exception {
      AutoCloseable[] made = new AutoCloseable[count];
      try (ExecutorService pool = Executors.newFixedThreadPool(16)) {
        List<Future<?>> done = new ArrayList<>();
        for (int w = 0; w < count; w++) {
          int index = w;
          done.add(
              pool.submit(
                  () -> {
                    made[index] =
                        side.watch(
                            name -> {
                              Fan f = fan;
                              if (f != null) {
                                f.arrived(index, name);
                              }
                            });
                    return null;
                  }));
        }
        for (Future<?> f : done) {
          f.get();
        }
      } catch (Exception e) {
        open.addAll(Arrays.stream(made).filter(Objects::nonNull).toList());
        close();
        throw e;
      }
      open.addAll(Arrays.asList(made));
    }

    @Override
    public void close() {
      for (AutoCloseable c : open) {
        try {
          c.close();
        } catch (Exception e) {
          // closing: nothing to do
        }
      }
    }
  }

  /** What publishing a {@link Fan} at a rate measured. */
  record Paced(long publishNanos, boolean complete, long cpuNanos, long wallNanos) {}

  /**
   * Publishes the fan's events at {@code perSecond} over up to 16 connections (10 a second each, on
   * both sides), then waits at most {@code grace} for every watcher to have every event; the
   * server's CPU over that window.
   */
  private static Paced paced(
      VersusSide side, Watchers w, Fan fan, int perSecond, Duration grace, LongSupplier cpu)
      throws Exception {
    // 10 a second per connection (each publish has 100 ms before the next is due, so that a
    // server slowed by its watchers still gets the rate), at most 16: svcreg takes 1,024
    // connections by default, and --many watchers hold 1,000 of them
    int conns = Math.min(16, Math.max(1, (perSecond + 9) / 10));
    long interval = 1_000_000_000L / perSecond;
    long[] cpu0 = new long[1];
    long[] t0 = new long[1];
    w.fan = fan;
    long published =
        overConnections(
            side,
            fan.n,
            conns,
            () -> {
              cpu0[0] = cpu.getAsLong();
              t0[0] = System.nanoTime();
            },
            (p, i, start) -> {
              long due = start + i * interval;
              long left;
              while ((left = due - System.nanoTime()) > 0) {
                LockSupport.parkNanos(left);
              }
              fan.sentAt[i] = System.nanoTime();
              p.publish(fan.tag + i, 20_000 + i % 40_000);
            });
    long deadline = System.nanoTime() + grace.toNanos();
    while (!fan.complete() && System.nanoTime() < deadline) {
      sleep(5);
    }
    boolean complete = fan.complete();
    return new Paced(published, complete, cpu.getAsLong() - cpu0[0], System.nanoTime() - t0[0]);
  }

  private void fanOut() throws Exception {
    int n = rate * 10;
    double[][] cpu = new double[2][rounds];
    long[][] p99 = new long[2][rounds];
    boolean[] complete = {true, true};
    List<VersusSide> sides = List.of(svcreg, etcd);
    List<Watchers> ws = new ArrayList<>();
    try {
      for (VersusSide side : sides) {
        ws.add(new Watchers(side, watchers));
      }
      for (int r = 0; r < rounds; r++) {
        for (int s = 0; s < 2; s++) {
          VersusSide side = sides.get(s);
          Fan fan = new Fan("fan" + r + "-", n, watchers, true);
          Paced p = paced(side, ws.get(s), fan, rate, Duration.ofSeconds(10), cpuOf(side));
          cpu[s][r] = 100.0 * p.cpuNanos() / p.wallNanos();
          p99[s][r] = pct(fan.latencies(), 99);
          if (!p.complete()) {
            complete[s] = false;
            out.printf(
                Locale.ROOT,
                "  %s round %d: %d of %d watchers missed events (%,d of %,d delivered)%n",
                side.name(),
                r,
                fan.watchersShort(),
                watchers,
                fan.received(),
                (long) n * watchers);
          }
        }
      }
    } finally {
      ws.forEach(Watchers::close);
    }
    double cs = medianOf(cpu[0]);
    double ce = medianOf(cpu[1]);
    out.printf(
        Locale.ROOT,
        "fan-out, %d watchers, %d events/s for %d s, medians of %d: server CPU svcreg %.1f%% of a"
            + " core, etcd %.1f%%; delivery p99 (publish sent to event received) svcreg %s, etcd"
            + " %s; every watcher got every event: svcreg %s, etcd %s; CPU ratio %.2fx%n",
        watchers,
        rate,
        n / rate,
        rounds,
        cs,
        ce,
        ms(median(p99[0])),
        ms(median(p99[1])),
        complete[0] ? "yes" : "NO",
        complete[1] ? "yes" : "NO",
        cs / ce);
    check(
        cs <= TARGET_FANOUT_CPU * ce && complete[0],
        "fan-out to "
            + watchers
            + " watchers: server CPU <= "
            + TARGET_FANOUT_CPU
            + "x etcd's,"
            + " nothing lost",
        String.format(
            Locale.ROOT,
            "%.2fx (%.1f%% vs %.1f%%)%s",
            cs / ce,
            cs,
            ce,
            complete[0] ? "" : ", svcreg's watchers missed events"));
  }

  private static LongSupplier cpuOf(VersusSide side) {
    long pid = side.pid();
    return () -> {
      try {
        return LoopbackServers.cpuNanos(pid);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    };
  }

  private static double medianOf(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    return v[(v.length - 1) / 2];
  }

  /**
   * Doubling rates, 5 s of events a step, until a step loses events (a watcher lacks one {@link
   * #BEHIND} after the last publish) or the publishers no longer reach the rate asked for (the
   * machine is saturated). A step's rate is the one reached: its events over the time publishing
   * took. The figure is the highest reached by a step with nothing lost.
   */
  private void manyWatchers() throws Exception {
    double[] best = new double[2];
    List<VersusSide> sides = List.of(svcreg, etcd);
    long budget = Duration.ofSeconds(50).toNanos();
    for (int s = 0; s < 2; s++) {
      VersusSide side = sides.get(s);
      long t0 = System.nanoTime();
      try (Watchers w = new Watchers(side, many)) {
        out.printf(
            Locale.ROOT,
            "%s: %,d watchers connected and subscribed in %.1f s%n",
            side.name(),
            many,
            (System.nanoTime() - t0) / 1e9);
        long start = System.nanoTime();
        StringBuilder steps = new StringBuilder();
        for (int r = 10, step = 0; ; r *= 2, step++) {
          int n = r * 5;
          Fan fan = new Fan("step" + step + "-", n, many, false);
          Paced p = paced(side, w, fan, r, BEHIND, () -> 0);
          double reached = n * 1e9 / p.publishNanos();
          steps.append(String.format(Locale.ROOT, " %d/s (reached %.0f/s) ", r, reached));
          if (!p.complete()) {
            steps.append(
                String.format(
                    Locale.ROOT,
                    "%d watchers short %s after (%,d of %,d delivered);",
                    fan.watchersShort(),
                    ms(BEHIND.toNanos()),
                    fan.received(),
                    (long) n * many));
            break;
          }
          steps.append("ok;");
          best[s] = Math.max(best[s], reached);
          if (reached < 0.8 * r) {
            steps.append(" (the rate asked for is no longer reached)");
            break;
          }
          if (System.nanoTime() - start > budget) {
            steps.append(" (time is up)");
            break;
          }
        }
        out.printf(Locale.ROOT, "  %s steps:%s%n", side.name(), steps);
      }
    }
    double ratio = best[1] == 0 ? Double.POSITIVE_INFINITY : best[0] / best[1];
    out.printf(
        Locale.ROOT,
        "%,d watchers, highest event rate with nothing lost (doubling from 10/s, 5 s of events a"
            + " step, every event within %d s of the last): svcreg %,.0f/s, etcd %,.0f/s; ratio"
            + " %.2fx%n",
        many,
        BEHIND.toSeconds(),
        best[0],
        best[1],
        ratio);
    check(
        ratio >= TARGET_MANY_RATE && best[0] > 0,
        String.format(
            Locale.ROOT,
            "%,d watchers: sustained event rate >= %sx etcd's, nothing lost",
            many,
            TARGET_MANY_RATE),
        String.format(Locale.ROOT, "%.2fx (%,.0f/s vs %,.0f/s)", ratio, best[0], best[1]));
  }

  // ---- 5. and 6.: RSS, start-up

  private void rss(String when, long s, long e) {
    double ratio = (double) s / e;
    out.printf(
        Locale.ROOT,
        "RSS %s: svcreg %d MiB, etcd %d MiB; ratio %.2fx%n",
        when,
        s >> 20,
        e >> 20,
        ratio);
    check(
        ratio <= TARGET_RSS,
        "RSS " + when + " <= " + TARGET_RSS + "x etcd's",
        String.format(Locale.ROOT, "%.2fx (%d MiB vs %d MiB)", ratio, s >> 20, e >> 20));
  }

  private void startUp() throws Exception {
    long[] s = new long[rounds];
    long[] e = new long[rounds];
    for (int r = 0; r < rounds; r++) {
      s[r] = restart(svcreg);
      e[r] = restart(etcd);
    }
    double ratio = (double) median(s) / median(e);
    out.printf(
        Locale.ROOT,
        "start-up with %,d entries until the first read (SIGTERM, wait, start; a new client"
            + " retries until a read of an entry answers), medians of %d: svcreg %s, etcd %s;"
            + " ratio %.2fx%n",
        entries,
        rounds,
        ms(median(s)),
        ms(median(e)),
        ratio);
    check(
        ratio <= TARGET_START,
        String.format(
            Locale.ROOT, "start-up with %,d entries <= %sx etcd's", entries, TARGET_START),
        String.format(Locale.ROOT, "%.2fx (%s vs %s)", ratio, ms(median(s)), ms(median(e))));
  }

  private long restart(VersusSide side) throws Exception {
    side.stop();
    sleep(500);
    long t0 = System.nanoTime();
    side.spawn();
    long deadline = t0 + Duration.ofSeconds(120).toNanos();
    while (!side.firstRead("e-0")) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(side.name() + " answers no read 120 s after its start");
      }
      sleep(5);
    }
    long took = System.nanoTime() - t0;
    side.awaitServing();
    return took;
  }

  private void check(boolean pass, String target, String measured) {
    failed |= !pass;
    results.add(
        String.format(Locale.ROOT, "%-4s %s: %s", pass ? "PASS" : "FAIL", target, measured));
  }
}
