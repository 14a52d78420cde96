package io.svcreg.bench;

import static io.svcreg.bench.LoopbackServers.await;
import static io.svcreg.bench.LoopbackServers.sleep;
import static java.nio.charset.StandardCharsets.UTF_8;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.PutOption;
import io.svcreg.client.ClientConfig;
import io.svcreg.client.SvcregClient;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code tools/bench ha}: a high-availability group of two controllers ({@code serve --etcd}, each
 * its own JVM) on one etcd member from Debian's {@code etcd-server}, all on loopback. Measures,
 * side by side in the same run with what a user of etcd alone would do for registration (a lease
 * grant and a put on it, with jetcd, one client, one request at a time): a durable {@code publish}
 * through the leader (alternating rounds, medians); how long a standby takes to show a publish; and
 * how long the standby takes to lead after the leader is stopped (SIGTERM: it resigns) and after it
 * is killed (SIGKILL: the lease must run out). Prints the figures with PASS or FAIL against the
 * targets; exits 1 on a miss.
 */
public final class HaBench {

  /** A publish through the group's leader: within this factor of etcd's grant + put. */
  static final double TARGET_PUBLISH_RATIO = 3.0;

  /** A stopped leader (it resigns): the standby leads within this. */
  static final Duration TARGET_RESIGN_FAILOVER = Duration.ofSeconds(1);

  /** A killed leader: the standby leads within the lease TTL and this. */
  static final Duration TARGET_KILL_SLACK = Duration.ofMillis(1500);

  /**
   * Requests are paced at this interval (80 a second), on both sides: latency, not throughput, is
   * measured here (`tools/bench registry --vs-etcd` measures throughput). The pace once also kept
   * under a limit of 100 requests a second per connection, which `serve` no longer has.
   */
  static final long PACE_NANOS = 12_500_000L;

  private static final String USAGE =
      "usage: tools/bench ha [--publishes 300] [--rounds 3] [--failovers 3] [--leader-ttl 2]"
          + " [--dir TMP]";

  private final PrintStream out = System.out;
  private final List<String> results = new ArrayList<>();
  private boolean failed;

  private int publishes = 300;
  private int rounds = 3;
  private int failovers = 3;
  private int ttlSeconds = 2;
  private Path dir;

  private LoopbackServers.Etcd etcd;
  private String endpoint;
  private final Member[] members = new Member[2];

  /** One controller of the group. */
  private final class Member {
    final String name;
    final Path data;
    Process process;

    Member(String name) {
      this.name = name;
      this.data = dir.resolve(name);
    }

    void start() throws Exception {
      Files.deleteIfExists(data.resolve("api.url"));
      List<String> cmd = new ArrayList<>(javaCommand());
      cmd.addAll(
          List.of(
              "io.svcreg.Main",
              "serve",
              "--specs",
              dir.resolve("specs").toString(),
              "--data",
              data.toString(),
              "--listen",
              "127.0.0.1:0",
              "--etcd",
              endpoint,
              "--leader-ttl",
              ttlSeconds + "s"));
      process =
          new ProcessBuilder(cmd)
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve(name + ".log").toFile())
              .start();
      await(
          name + " serves its API",
          Duration.ofSeconds(60),
          () -> Files.exists(data.resolve("api.url")));
    }

    URI url() throws IOException {
      return URI.create(Files.readString(data.resolve("api.url")).strip());
    }

    String role() {
      try (SvcregClient c = SvcregClient.connect(config(List.of(url())))) {
        return c.call("server_info", Map.of()).path("cluster").path("role").asText();
      } catch (IOException | RuntimeException e) {
        return "";
      }
    }

    void signal(String signal) throws Exception {
      new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
          .inheritIO()
          .start()
          .waitFor();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }

  public static void main(String[] args) throws Exception {
    HaBench b = new HaBench();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--publishes" -> b.publishes = Integer.parseInt(value(args, ++i));
        case "--rounds" -> b.rounds = Integer.parseInt(value(args, ++i));
        case "--failovers" -> b.failovers = Integer.parseInt(value(args, ++i));
        case "--leader-ttl" -> b.ttlSeconds = Integer.parseInt(value(args, ++i));
        case "--dir" -> b.dir = Path.of(value(args, ++i));
        default -> {
          System.err.println("tools/bench ha: unknown option " + args[i]);
          System.err.println(USAGE);
          System.exit(2);
        }
      }
    }
    if (!Files.isExecutable(Path.of("/usr/bin/etcd"))) {
      System.err.println(
          "tools/bench ha: /usr/bin/etcd is missing: install Debian's etcd-server"
              + " (apt-get install etcd-server etcd-client)");
      System.exit(2);
    }
    if (b.dir == null) {
      b.dir = Files.createTempDirectory("svcreg-ha-bench");
    }
    try {
      b.run();
    } finally {
      b.stop();
    }
    b.results.forEach(b.out::println);
    System.exit(b.failed ? 1 : 0);
  }

  private void run() throws Exception {
    Files.createDirectories(dir.resolve("specs"));
    startEtcd();
    members[0] = new Member("a");
    members[1] = new Member("b");
    members[0].start();
    await("a leads", Duration.ofSeconds(60), () -> members[0].role().equals("leader"));
    shareSecrets(members[0], members[1]);
    members[1].start();
    await("b stands by", Duration.ofSeconds(60), () -> members[1].role().equals("standby"));
    out.printf(
        Locale.ROOT,
        "group: 2 controllers, leader TTL %d s, on etcd %s (one member); %d publishes per round,"
            + " %d rounds%n",
        ttlSeconds,
        endpoint,
        publishes,
        rounds);
    publishes();
    replicationLag();
    failovers();
  }

  /** Alternating rounds: svcreg's durable publish through the leader, etcd's grant + put. */
  private void publishes() throws Exception {
    List<long[]> svcreg = new ArrayList<>();
    List<long[]> plain = new ArrayList<>();
    try (SvcregClient c = SvcregClient.connect(config(List.of(leader().url())));
        Client e = Client.builder().endpoints(endpoint).build()) {
      // warm-up of both paths (JIT, connections)
      publishRound(c, "warm", Math.min(200, publishes));
      etcdRound(e, "warm", Math.min(200, publishes));
      for (int r = 0; r < rounds; r++) {
        svcreg.add(publishRound(c, "r" + r, publishes));
        plain.add(etcdRound(e, "r" + r, publishes));
      }
    }
    long s50 = median(svcreg, 50);
    long s99 = median(svcreg, 99);
    long e50 = median(plain, 50);
    long e99 = median(plain, 99);
    double ratio = (double) s50 / e50;
    out.printf(
        Locale.ROOT,
        "publish, 1 client: svcreg (leader, durable in etcd and its store) p50 %s p99 %s;"
            + " etcd grant + put p50 %s p99 %s; ratio %.2fx%n",
        RegistryBench.ms(s50),
        RegistryBench.ms(s99),
        RegistryBench.ms(e50),
        RegistryBench.ms(e99),
        ratio);
    check(
        ratio <= TARGET_PUBLISH_RATIO,
        "publish p50 within " + TARGET_PUBLISH_RATIO + "x of etcd's grant + put",
        String.format(
            Locale.ROOT, "%.2fx (%s vs %s)", ratio, RegistryBench.ms(s50), RegistryBench.ms(e50)));
  }

  private long[] publishRound(SvcregClient c, String tag, int n) {
    long[] t = new long[n];
    long start = System.nanoTime();
    for (int i = 0; i < n; i++) {
      pace(start, i);
      long t0 = System.nanoTime();
      c.publish(
          "m-" + tag + "-" + i,
          Optional.empty(),
          List.of(new SvcregClient.PublishedApi("http", "127.0.0.1", 8000 + i % 1000, "http")),
          Optional.of(Duration.ofMinutes(5)));
      t[i] = System.nanoTime() - t0;
    }
    return t;
  }

  private long[] etcdRound(Client e, String tag, int n) throws Exception {
    long[] t = new long[n];
    long start = System.nanoTime();
    for (int i = 0; i < n; i++) {
      pace(start, i);
      String value =
          "{\"module\":\"m-"
              + tag
              + "-"
              + i
              + "\",\"apis\":[{\"name\":\"http\",\"address\":\"127.0.0.1\",\"port\":"
              + (8000 + i % 1000)
              + ",\"protocol\":\"http\"}],\"ttlMillis\":300000}";
      long t0 = System.nanoTime();
      long lease = e.getLeaseClient().grant(300).get(10, TimeUnit.SECONDS).getID();
      e.getKVClient()
          .put(
              ByteSequence.from("/peer/registry/m-" + tag + "-" + i, UTF_8),
              ByteSequence.from(value, UTF_8),
              PutOption.builder().withLeaseId(lease).build())
          .get(10, TimeUnit.SECONDS);
      t[i] = System.nanoTime() - t0;
    }
    return t;
  }

  /**
   * How long after the leader answered a publish a watcher of the standby gets its event (negative
   * when the event came first).
   */
  private void replicationLag() throws Exception {
    Member leader = leader();
    Member standby = leader == members[0] ? members[1] : members[0];
    int n = 50;
    Map<String, Long> arrived = new java.util.concurrent.ConcurrentHashMap<>();
    long[] answered = new long[n];
    try (SvcregClient l = SvcregClient.connect(config(List.of(leader.url())));
        SvcregClient s = SvcregClient.connect(config(List.of(standby.url())))) {
      long since = s.call("server_info", Map.of()).path("revision").asLong();
      s.subscribe(
              List.of("service_registered"),
              java.util.OptionalLong.of(since),
              e -> arrived.put(e.key(), System.nanoTime()))
          .get(30, TimeUnit.SECONDS);
      for (int i = 0; i < n; i++) {
        sleep(50);
        l.publish(
            "lag-" + i,
            Optional.empty(),
            List.of(new SvcregClient.PublishedApi("http", "127.0.0.1", 9000, "http")),
            Optional.of(Duration.ofMinutes(5)));
        answered[i] = System.nanoTime();
      }
      await(
          "the standby's watcher has every publish",
          Duration.ofSeconds(30),
          () -> arrived.size() >= n);
    }
    long[] lag = new long[n];
    for (int i = 0; i < n; i++) {
      lag[i] = arrived.get("Published/lag-" + i) - answered[i];
    }
    out.printf(
        Locale.ROOT,
        "a publish reaches a watcher of the standby: p50 %s, p99 %s after the leader answered%n",
        RegistryBench.ms(RegistryBench.pct(lag, 50)),
        RegistryBench.ms(RegistryBench.pct(lag, 99)));
  }

  /** The leader stopped (SIGTERM) or killed (SIGKILL), by turns: until the other one leads. */
  private void failovers() throws Exception {
    List<Long> resign = new ArrayList<>();
    List<Long> kill = new ArrayList<>();
    for (int i = 0; i < failovers * 2; i++) {
      boolean term = i % 2 == 0;
      Member leader = leader();
      Member standby = leader == members[0] ? members[1] : members[0];
      long t0 = System.nanoTime();
      leader.signal(term ? "TERM" : "KILL");
      await("the standby leads", Duration.ofSeconds(60), () -> standby.role().equals("leader"));
      long took = System.nanoTime() - t0;
      (term ? resign : kill).add(took);
      leader.start();
      await(
          leader.name + " stands by",
          Duration.ofSeconds(60),
          () -> leader.role().equals("standby"));
    }
    long r = medianOf(resign);
    long k = medianOf(kill);
    Duration ttl = Duration.ofSeconds(ttlSeconds);
    out.printf(
        Locale.ROOT,
        "failover, median of %d: leader stopped (resigns) %s; leader killed %s (lease TTL %d s)%n",
        failovers,
        RegistryBench.ms(r),
        RegistryBench.ms(k),
        ttlSeconds);
    check(
        r <= TARGET_RESIGN_FAILOVER.toNanos(),
        "a stopped leader's standby leads within " + TARGET_RESIGN_FAILOVER.toMillis() + " ms",
        RegistryBench.ms(r));
    check(
        k <= ttl.plus(TARGET_KILL_SLACK).toNanos(),
        "a killed leader's standby leads within the TTL + " + TARGET_KILL_SLACK.toMillis() + " ms",
        RegistryBench.ms(k));
  }

  private Member leader() {
    for (int i = 0; i < 200; i++) {
      for (Member m : members) {
        if (m.role().equals("leader")) {
          return m;
        }
      }
      sleep(100);
    }
    throw new IllegalStateException("no member leads");
  }

  private ClientConfig config(List<URI> servers) throws IOException {
    return LoopbackServers.adminConfig(members[0].data, servers);
  }

  /** The first member's CA and tokens, for the other, as an operator copies them. */
  private static void shareSecrets(Member from, Member to) throws IOException {
    Files.createDirectories(to.data.resolve("tls"));
    Files.createDirectories(to.data.resolve("tokens"));
    for (String f : List.of("tls/ca.crt", "tls/ca.key")) {
      Files.copy(from.data.resolve(f), to.data.resolve(f), StandardCopyOption.COPY_ATTRIBUTES);
    }
    try (Stream<Path> tokens = Files.list(from.data.resolve("tokens"))) {
      for (Path t : tokens.toList()) {
        Files.copy(
            t,
            to.data.resolve("tokens").resolve(t.getFileName()),
            StandardCopyOption.COPY_ATTRIBUTES);
      }
    }
  }

  private void startEtcd() throws Exception {
    etcd = new LoopbackServers.Etcd(dir.resolve("etcd"), dir.resolve("etcd.log")).start();
    endpoint = etcd.endpoint;
  }

  private void stop() {
    for (Member m : members) {
      if (m != null && m.process != null) {
        m.process.destroyForcibly();
      }
    }
    if (etcd != null) {
      etcd.kill();
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      out.println("cannot delete " + dir + ": " + e.getMessage());
    }
  }

  private void check(boolean pass, String target, String measured) {
    failed |= !pass;
    results.add(
        String.format(Locale.ROOT, "%-4s %s: %s", pass ? "PASS" : "FAIL", target, measured));
  }

  /** The median over rounds of each round's {@code p}th percentile. */
  private static long median(List<long[]> rounds, int p) {
    return medianOf(rounds.stream().map(r -> RegistryBench.pct(r, p)).toList());
  }

  private static long medianOf(List<Long> values) {
    long[] v = values.stream().mapToLong(Long::longValue).toArray();
    Arrays.sort(v);
    return v.length == 0 ? 0 : v[(v.length - 1) / 2];
  }

  private static List<String> javaCommand() {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("--add-exports");
    cmd.add("java.base/jdk.internal.misc=ALL-UNNAMED");
    cmd.add("--add-exports");
    cmd.add("java.base/sun.nio.ch=ALL-UNNAMED");
    cmd.add("--enable-native-access=ALL-UNNAMED");
    if (Runtime.version().feature() >= 23) {
      cmd.add("--sun-misc-unsafe-memory-access=allow");
    }
    // the options `svcreg serve` runs with (tools/bench passes them)
    String serve = System.getProperty("svcreg.bench.jvmOptions", "").strip();
    if (!serve.isEmpty()) {
      cmd.addAll(List.of(serve.split("\\s+")));
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    return cmd;
  }

  /** Waits until the {@code i}th request of a round that began at {@code start} is due. */
  private static void pace(long start, int i) {
    long due = start + i * PACE_NANOS;
    long left;
    while ((left = due - System.nanoTime()) > 0) {
      java.util.concurrent.locks.LockSupport.parkNanos(left);
    }
  }

  private static String value(String[] args, int i) {
    if (i >= args.length) {
      System.err.println(USAGE);
      System.exit(2);
    }
    return args[i];
  }
}
