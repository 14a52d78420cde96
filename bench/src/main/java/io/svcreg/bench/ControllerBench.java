package io.svcreg.bench;

import io.svcreg.ControllerApp;
import io.svcreg.api.ApiServer;
import io.svcreg.client.ClientConfig;
import io.svcreg.client.SvcregClient;
import io.svcreg.core.ObservedService;
import io.svcreg.core.ObservedState;
import io.svcreg.loop.Controller;
import io.svcreg.schema.HealthState;
import io.svcreg.schema.Phase;
import io.svcreg.schema.SpecLoader;
import io.svcreg.source.SpecSource;
import io.svcreg.store.Event;
import io.svcreg.store.Store;
import io.svcreg.store.StoreOptions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * {@code tools/bench controller}: the reconcile loop end to end, in process, with a real store,
 * spec directory watcher and installer. Measures how long a spec-only change takes to be recorded,
 * how long a new service takes to run and pass its health check, how long a controller with 10,000
 * services in its store takes to start until serving (in a fresh JVM: the store open and the TLS
 * API answering a client's first request, as {@code serve} starts, while the spec directory is
 * still read; in this JVM: the store open and the specs handed to the loop) and until converged
 * (and the heap it keeps per service), and how long a resync of 1,000 converged services takes (and
 * that it records nothing). Prints a table of the figures and the targets, PASS or FAIL; exits 1
 * when a target is missed.
 */
public final class ControllerBench {

  static final Duration DEBOUNCE = Duration.ofMillis(100);
  static final long TARGET_CHANGE_P99_NANOS = DEBOUNCE.toNanos() + 25_000_000L;
  static final long TARGET_START_NANOS = 2_000_000_000L;
  static final long TARGET_RESYNC_NANOS = 1_000_000_000L;

  private static final String USAGE =
      "usage: tools/bench controller [--services 10000] [--resync-services 1000] [--changes 200]"
          + " [--adds 10] [--dir TMP] [--data-dir TMP] [--keep] [--start-only]";
  private static final int LIVE_SERVICES = 3;
  private static final int WARM_UP_CHANGES = 10;
  private static final int RESYNCS = 5;
  private static final Duration WAIT = Duration.ofSeconds(60);

  private final PrintStream out;
  private final long began = System.nanoTime();
  private final int services;
  private final int resyncServices;
  private final int changes;
  private final int adds;
  private final boolean keep;
  private final boolean startOnly;

  ControllerBench(
      PrintStream out,
      int services,
      int resyncServices,
      int changes,
      int adds,
      boolean keep,
      boolean startOnly) {
    this.out = out;
    this.services = services;
    this.resyncServices = resyncServices;
    this.changes = changes;
    this.adds = adds;
    this.keep = keep;
    this.startOnly = startOnly;
  }

  /** Runs the benchmark; see {@code tools/bench controller --help}. */
  public static void main(String[] args) throws IOException {
    int services = 10_000;
    int resyncServices = 1000;
    int changes = 200;
    int adds = 10;
    Path dir = BenchFiles.defaultDir();
    Path dataDir = Path.of(System.getProperty("java.io.tmpdir"));
    boolean keep = false;
    boolean startOnly = false;
    for (int i = 0; i < args.length; i++) {
      try {
        switch (args[i]) {
          case "--services" -> services = Integer.parseInt(value(args, ++i, "--services"));
          case "--resync-services" ->
              resyncServices = Integer.parseInt(value(args, ++i, "--resync-services"));
          case "--changes" -> changes = Integer.parseInt(value(args, ++i, "--changes"));
          case "--adds" -> adds = Integer.parseInt(value(args, ++i, "--adds"));
          case "--dir" -> dir = Path.of(value(args, ++i, "--dir"));
          case "--data-dir" -> dataDir = Path.of(value(args, ++i, "--data-dir"));
          case "--keep" -> keep = true;
          case "--start-only" -> startOnly = true;
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
    if (services < 100 || resyncServices < 1 || resyncServices > services) {
      usageError("need --services >= 100 and 1 <= --resync-services <= --services");
    }
    if (changes < 1 || adds < 1) {
      usageError("need --changes >= 1 and --adds >= 1");
    }
    // the controller's INFO lines (one per state change) would drown the figures
    Logger.getLogger("").setLevel(Level.WARNING);
    boolean passed;
    try {
      passed =
          new ControllerBench(System.out, services, resyncServices, changes, adds, keep, startOnly)
              .run(dir, dataDir);
    } catch (IllegalStateException e) {
      System.err.println("tools/bench controller: " + e.getMessage());
      passed = false;
    }
    System.exit(passed ? 0 : 1);
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length) {
      usageError(option + " needs a value");
    }
    return args[i];
  }

  private static void usageError(String message) {
    System.err.println("tools/bench controller: " + message);
    System.err.println(USAGE);
    System.exit(2);
  }

  /** Start-up and resync figures (targets 3 and 4). */
  record Fleetwide(
      int services,
      long setupNanos,
      Fresh firstFresh,
      Fresh fresh,
      long startReturnedNanos,
      long convergedNanos,
      long storeOpenNanos,
      long specReadNanos,
      long heapPerService,
      long storeBytes,
      int resyncServices,
      long[] resyncNanos,
      long resyncReconciles,
      boolean resyncQuiet) {}

  /** Spec-change and add figures (targets 1 and 2). */
  record Live(
      long[] changeNanos,
      long[] addNanos,
      long registeredMedian,
      long installedMedian,
      long startedMedian) {}

  /**
   * Runs every measurement with temporary directories under {@code parent} and {@code dataParent},
   * deletes them and stops every service it started; returns whether every target was met.
   */
  boolean run(Path parent, Path dataParent) throws IOException {
    out.printf(
        Locale.ROOT,
        "svcreg controller benchmark: Java %s, max heap %d MiB, %d CPUs (load average %.1f)%n",
        Runtime.version(),
        Runtime.getRuntime().maxMemory() >> 20,
        Runtime.getRuntime().availableProcessors(),
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    Path tmp = Files.createTempDirectory(parent, "svcreg-controller-bench");
    Path data = Files.createTempDirectory(dataParent, "svcreg-controller-bench-data");
    line("specs, packages and install roots are under %s, the stores under %s%n", tmp, data);
    Path liveRoot = tmp.resolve("live").resolve("opt");
    Thread cleanup = new Thread(() -> TinyPackage.killAll(liveRoot), "svcreg-bench-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
    Fleetwide fleet;
    Live live;
    try {
      // subnets of their own inside 127.0.0.0/8, away from the quick start's 127.0.0.x
      ThreadLocalRandom random = ThreadLocalRandom.current();
      int a = random.nextInt(16, 250);
      fleet = fleet(tmp.resolve("fleet"), data, "127.%d.0.0/16".formatted(a));
      live =
          startOnly
              ? null
              : live(
                  tmp.resolve("live"),
                  data.resolve("live"),
                  "127.%d.%d.0/24".formatted(a + 1, random.nextInt(1, 255)));
    } finally {
      int killed = TinyPackage.killAll(liveRoot);
      if (killed > 0) {
        line("killed %d service processes left running%n", killed);
      }
      if (keep) {
        line("done; kept %s and %s (--keep)%n", tmp, data);
      } else {
        BenchFiles.delete(tmp);
        BenchFiles.delete(data);
        line("done, temporary files deleted%n");
      }
      Runtime.getRuntime().removeShutdownHook(cleanup);
    }
    return report(fleet, live);
  }

  static ControllerApp.Config config(Path specs, Path data, Path installRoot) {
    return new ControllerApp.Config(
        specs,
        data,
        installRoot,
        DEBOUNCE,
        SpecSource.Options.DEFAULTS.rescanInterval(),
        Controller.Options.DEFAULTS);
  }

  // ------------------------------------------------------------ start-up and resync

  private Fleetwide fleet(Path dir, Path data, String subnet) throws IOException {
    long t0 = System.nanoTime();
    Fleet fleet = Fleet.write(dir, services, subnet);
    Path opt = dir.resolve("opt");
    fleet.install(opt);
    long t1 = System.nanoTime();
    Path big = fleet.specs(services);
    Path bigData = data.resolve("fleet-" + services);
    fleet.converge(big, services, bigData);
    Path small = fleet.specs(resyncServices);
    Path smallData = data.resolve("fleet-" + resyncServices);
    if (!startOnly) {
      fleet.converge(small, resyncServices, smallData);
    }
    long t2 = System.nanoTime();
    line(
        "fleet of %,d stopped services: packages written and installed in %s, stores of %,d and"
            + " %,d converged services written in %s%n",
        services, ms(t1 - t0), services, resyncServices, ms(t2 - t1));

    // 3. start-up with `services` services in the store: in a fresh JVM, as `svcreg serve`
    // restarts, then in this one (its JIT already compiled the parser and the store's decoding)
    // with a class-data archive (as `svcreg serve` keeps one), the first start creates it and the
    // next ones use it: both are measured
    Path archive = data.resolve("serve.archive");
    List<String> cds = cdsOptions("svcreg.bench.cdsOptions", archive);
    List<String> cdsUse = cdsOptions("svcreg.bench.cdsUseOptions", archive);
    Fresh firstFresh = freshStart(big, bigData, opt, services + 1, cds);
    if (!cds.isEmpty()) {
      line(
          "start-up with %,d services in a fresh JVM, the first creating the class-data archive:"
              + " serving %s after the launch (process cpu %s), converged after %s%n",
          services,
          ms(firstFresh.launchedToServing()),
          ms(firstFresh.servingCpu()),
          ms(firstFresh.launchedToConverged()));
    }
    Fresh fresh =
        cds.isEmpty()
            ? firstFresh
            : freshStart(big, bigData, opt, services + 1, cdsUse.isEmpty() ? cds : cdsUse);
    line(
        "start-up with %,d services in a fresh JVM (%s): listening %s after the launch (process"
            + " cpu %s), first answer from the store %s, spec directory read and handed to the loop"
            + " %s, converged after %s (cpu %s); from the call of open(): listening %s, converged"
            + " %s%n",
        services,
        String.join(" ", jvmOptions())
            + (cds.isEmpty() ? "" : ", " + String.join(" ", cdsUse.isEmpty() ? cds : cdsUse)),
        ms(fresh.launchedToListening()),
        ms(fresh.servingCpu()),
        ms(fresh.launchedToServing()),
        ms(fresh.launchedToSpecsRead()),
        ms(fresh.launchedToConverged()),
        ms(fresh.cpu()),
        ms(fresh.started()),
        ms(fresh.converged()));
    long baseline = usedAfterGc();
    long c0 = processCpu();
    long s0 = System.nanoTime();
    ControllerApp app = ControllerApp.start(config(big, bigData, opt));
    long s1;
    long s2;
    long cpu;
    long heap;
    try {
      s1 = System.nanoTime();
      awaitIdle(app, services + 1);
      s2 = System.nanoTime();
      cpu = processCpu() - c0;
      checkConverged(app, services);
      heap = Math.max(0, steadyUsedHeap() - baseline) / services;
    } finally {
      app.close();
    }
    long storeBytes = size(bigData.resolve("store"));
    long o0 = System.nanoTime();
    try (Store s = Store.open(bigData.resolve("store"), StoreOptions.defaults(), clock())) {
      s.lastRevision();
    }
    long o1 = System.nanoTime();
    SpecLoader.load(List.of(big));
    long o2 = System.nanoTime();
    line(
        "start-up with %,d services in this JVM: serving (start() returned) after %s, converged"
            + " after %s (process cpu %s); on its own: store open %s, spec directory read %s; %,d B heap per"
            + " service, store %.1f MiB%n",
        services,
        ms(s1 - s0),
        ms(s2 - s0),
        ms(cpu),
        ms(o1 - o0),
        ms(o2 - o1),
        heap,
        storeBytes / 1048576.0);

    // 4. resyncs of `resyncServices` converged services
    long[] resync = new long[RESYNCS];
    long reconciles = 0;
    boolean quiet = true;
    if (!startOnly) {
      app = ControllerApp.start(config(small, smallData, opt));
      try {
        awaitIdle(app, resyncServices + 1);
        checkConverged(app, resyncServices);
        for (int r = 0; r < RESYNCS; r++) {
          long revision = app.store().lastRevision();
          ObservedState before = app.store().observed();
          long n0 = app.controller().queue().reconciles();
          long r0 = System.nanoTime();
          app.controller().resync();
          awaitIdle(app, n0 + resyncServices + 1);
          resync[r] = System.nanoTime() - r0;
          reconciles = app.controller().queue().reconciles() - n0;
          quiet &= app.store().lastRevision() == revision && app.store().observed().equals(before);
        }
      } finally {
        app.close();
      }
      line(
          "resync of %,d converged services: %s (median of %d; %s .. %s), %d reconciles each,"
              + " %s%n",
          resyncServices,
          ms(median(resync)),
          RESYNCS,
          ms(Arrays.stream(resync).min().orElseThrow()),
          ms(Arrays.stream(resync).max().orElseThrow()),
          reconciles,
          quiet ? "no event recorded, state unchanged" : "EVENTS RECORDED OR STATE CHANGED");
    }
    return new Fleetwide(
        services,
        t2 - t0,
        firstFresh,
        fresh,
        s1 - s0,
        s2 - s0,
        o1 - o0,
        o2 - o1,
        heap,
        storeBytes,
        resyncServices,
        resync,
        reconciles,
        quiet);
  }

  /**
   * A start in a JVM of its own: from the launch until the API listens, until it answered a
   * client's first request (from the store), until the spec directory is read and handed to the
   * loop, and until converged; from the call of {@code ControllerApp.open} until listening and
   * converged; the process's CPU time until listening and until converged.
   */
  record Fresh(
      long launchedToListening,
      long launchedToServing,
      long launchedToSpecsRead,
      long launchedToConverged,
      long started,
      long converged,
      long servingCpu,
      long cpu) {}

  /**
   * Connects to the fresh controller's API as a client does (TLS, its CA, the read token) and asks
   * for its networks from the store; returns {@code System.nanoTime()} when the answer arrived.
   */
  private static long firstAnswer(Path data, int port) {
    ClientConfig config =
        ClientConfig.of(
            URI.create("wss://127.0.0.1:" + port + ApiServer.PATH),
            ClientConfig.trusting(data.resolve("tls/ca.crt")),
            "the bench's CA",
            readString(data.resolve("tokens/read.token")).strip());
    try (SvcregClient client = SvcregClient.connect(config)) {
      client.call("list_networks", Map.of());
      return System.nanoTime();
    }
  }

  private static String readString(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs {@link FreshStart} in a new JVM with this one's class path. */
  private static Fresh freshStart(
      Path specs, Path data, Path installRoot, long reconciles, List<String> cds)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions());
    command.addAll(cds);
    command.addAll(
        List.of(
            "-cp",
            System.getProperty("java.class.path"),
            FreshStart.class.getName(),
            specs.toString(),
            data.toString(),
            installRoot.toString(),
            Long.toString(reconciles)));
    Path log = data.resolveSibling(data.getFileName() + "-fresh-start.log");
    long t0 = System.nanoTime();
    Process p = new ProcessBuilder(command).redirectError(log.toFile()).start();
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      long serving = -1;
      long answered = -1;
      long specsRead = -1;
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        if (line.startsWith("serving ")) {
          serving = System.nanoTime() - t0;
          answered = firstAnswer(data, Integer.parseInt(line.substring(8))) - t0;
        } else if (line.equals("specs")) {
          specsRead = System.nanoTime() - t0;
        } else if (line.startsWith("converged ") && serving >= 0) {
          long t1 = System.nanoTime();
          String[] f = line.split(" ");
          p.getOutputStream().close(); // it stops
          if (!p.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)) {
            throw new IllegalStateException("the controller in a fresh JVM did not stop");
          }
          return new Fresh(
              serving,
              answered,
              specsRead,
              t1 - t0,
              Long.parseLong(f[1]),
              Long.parseLong(f[2]),
              Long.parseLong(f[3]),
              Long.parseLong(f[4]));
        }
      }
      p.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS);
      throw new IllegalStateException(
          "the controller in a fresh JVM failed (exit "
              + (p.isAlive() ? "none" : p.exitValue())
              + "): "
              + Files.readString(log).strip());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted");
    } finally {
      p.destroyForcibly();
    }
  }

  /**
   * The JVM options of the fresh JVM: those {@code tools/bench} runs this one with, the options of
   * {@code svcreg serve} (property {@code svcreg.bench.jvmOptions}), else what the store needs.
   */
  private static List<String> jvmOptions() {
    String given = System.getProperty("svcreg.bench.jvmOptions", "").strip();
    if (!given.isEmpty()) {
      return List.of(given.split("\\s+"));
    }
    List<String> options = new ArrayList<>();
    options.add("--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED");
    options.add("--add-exports=java.base/sun.nio.ch=ALL-UNNAMED");
    options.add("--enable-native-access=ALL-UNNAMED");
    if (Runtime.version().feature() >= 23) {
      options.add("--sun-misc-unsafe-memory-access=allow");
    }
    return options;
  }

  /**
   * The class-data archive options of {@code svcreg serve} in the system property {@code property}
   * ({@code svcreg.bench.cdsOptions}: those of the first start, which creates the archive or AOT
   * cache; {@code svcreg.bench.cdsUseOptions}: those of later starts, when they differ), the
   * archive named {@code @ARCHIVE@}, for an archive at {@code archive}; none without the property.
   */
  private static List<String> cdsOptions(String property, Path archive) {
    String given = System.getProperty(property, "").strip();
    if (given.isEmpty()) {
      return List.of();
    }
    return Stream.of(given.split("\\s+"))
        .map(o -> o.replace("@ARCHIVE@", archive.toString()))
        .toList();
  }

  /** Waits until the loop read the specs, ran at least {@code reconciles} and is idle. */
  static void awaitIdle(ControllerApp app, long reconciles) {
    Controller c = app.controller();
    await(
        () -> !c.converging() && c.queue().reconciles() >= reconciles && c.queue().idle(),
        "the controller to be idle after " + reconciles + " reconciles");
  }

  private static void checkConverged(ControllerApp app, int count) {
    List<ObservedService> all = app.store().observed().services();
    long stopped = all.stream().filter(s -> s.status().phase() == Phase.STOPPED).count();
    if (all.size() != count || stopped != count) {
      throw new IllegalStateException(
          "expected " + count + " stopped services, the store has " + stopped + "/" + all.size());
    }
  }

  // ------------------------------------------------------------ spec changes and adds

  private Live live(Path dir, Path data, String subnet) throws IOException {
    Path specs = Files.createDirectories(dir.resolve("specs"));
    Path packages = dir.resolve("packages");
    Files.writeString(
        specs.resolve("network.yaml"),
        """
        apiVersion: svcreg.io/v1
        kind: Network
        metadata: {name: live}
        spec:
          type: local
          subnet: %s
        """
            .formatted(subnet));
    for (int k = 0; k < LIVE_SERVICES; k++) {
      TinyPackage.write(packages.resolve(liveName(k)), liveName(k));
      Files.writeString(specs.resolve(liveName(k) + ".yaml"), serviceYaml(liveName(k), 0));
    }
    for (int k = 0; k < adds; k++) {
      TinyPackage.write(packages.resolve(addName(k)), addName(k));
    }
    Tap tap = new Tap();
    ControllerApp app = ControllerApp.start(config(specs, data, dir.resolve("opt")));
    try {
      app.controller().addListener(tap);
      for (int k = 0; k < LIVE_SERVICES; k++) {
        String name = liveName(k);
        await(() -> runningAndHealthy(app, name), name + " to run and be healthy");
      }
      line("%d services running and healthy; changing labels%n", LIVE_SERVICES);

      long[] fsync = fsyncProbe(data);
      line(
          "the data directory's disk: fsync of a small file p50 %s, p99 %s (every commit syncs)%n",
          ms(median(fsync)), ms(percentile(fsync, 0.99)));

      // 1. a spec-only change (a label) until its events are committed
      long[] change = new long[changes];
      for (int i = 0; i < WARM_UP_CHANGES + changes; i++) {
        String name = liveName(i % LIVE_SERVICES);
        String key = "Service/" + name;
        tap.clear();
        long t0 = System.nanoTime();
        BenchFiles.writeAtomically(specs.resolve(name + ".yaml"), serviceYaml(name, i + 1));
        Tap.Seen seen =
            tap.await(e -> e.type().equals(Event.SERVICE_UPDATED) && e.key().equals(key));
        if (i >= WARM_UP_CHANGES) {
          change[i - WARM_UP_CHANGES] = seen.nanos() - t0;
        }
      }
      line(
          "spec-only change → service_updated committed: p50 %s, p99 %s, min %s, max %s"
              + " (%d changes after %d to warm up)%n",
          ms(percentile(change, 0.50)),
          ms(percentile(change, 0.99)),
          ms(Arrays.stream(change).min().orElseThrow()),
          ms(Arrays.stream(change).max().orElseThrow()),
          changes,
          WARM_UP_CHANGES);

      // 2. a new service whose package is local, until it runs and passes its health check
      long[] add = new long[adds];
      long[] registered = new long[adds];
      long[] installed = new long[adds];
      long[] started = new long[adds];
      for (int k = 0; k < adds; k++) {
        String name = addName(k);
        String key = "Service/" + name;
        tap.clear();
        long t0 = System.nanoTime();
        BenchFiles.writeAtomically(specs.resolve(name + ".yaml"), serviceYaml(name, 0));
        Tap.Seen running =
            tap.await(
                e ->
                    e.type().equals(Event.SERVICE_STATE_CHANGED)
                        && e.key().equals(key)
                        && e.dataJson().contains("\"to\":\"running\""));
        if (!runningAndHealthy(app, name)) {
          throw new IllegalStateException(name + " is running but not healthy");
        }
        add[k] = running.nanos() - t0;
        registered[k] = tap.first(e -> e.type().equals(Event.SERVICE_REGISTERED)) - t0;
        installed[k] =
            tap.first(
                    e ->
                        e.type().equals(Event.DEPLOYMENT_PROGRESS)
                            && e.dataJson().contains("\"installed\""))
                - t0;
        started[k] =
            tap.first(
                    e ->
                        e.type().equals(Event.ENDPOINT_UPDATED)
                            && e.dataJson().contains("\"endpoints\""))
                - t0;
      }
      line(
          "new service → running and healthy: p50 %s, max %s (%d adds); medians from the write:"
              + " registered %s, installed %s, started %s, healthy %s%n",
          ms(median(add)),
          ms(Arrays.stream(add).max().orElseThrow()),
          adds,
          ms(median(registered)),
          ms(median(installed)),
          ms(median(started)),
          ms(median(add)));
      return new Live(change, add, median(registered), median(installed), median(started));
    } finally {
      app.close();
      TinyPackage.killAll(dir.resolve("opt"));
    }
  }

  /** Times 50 small synced writes in {@code dir}: what each store commit waits for at least. */
  private static long[] fsyncProbe(Path dir) throws IOException {
    Path file = dir.resolve("fsync-probe");
    long[] nanos = new long[50];
    ByteBuffer data = ByteBuffer.allocate(512);
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      for (int i = 0; i < nanos.length; i++) {
        data.clear();
        long t0 = System.nanoTime();
        ch.write(data, (long) i * data.capacity());
        ch.force(false);
        nanos[i] = System.nanoTime() - t0;
      }
    } finally {
      Files.deleteIfExists(file);
    }
    return nanos;
  }

  private static String liveName(int k) {
    return "live-" + k;
  }

  private static String addName(int k) {
    return "add-" + k;
  }

  private static String serviceYaml(String name, int revision) {
    return """
        apiVersion: svcreg.io/v1
        kind: Service
        metadata:
          name: %s
          labels: {app: bench, rev: "%d"}
        spec:
          version: "1.0.0"
          package: ../packages/%s
          network: live
          endpoints: [{name: http, port: 8080, protocol: tcp}]
          health: {script: scripts/health.sh, interval: 10s, timeout: 2s}
        """
        .formatted(name, revision, name);
  }

  private static boolean runningAndHealthy(ControllerApp app, String name) {
    Optional<ObservedService> s = app.store().service(name);
    return s.isPresent()
        && s.get().status().phase() == Phase.RUNNING
        && s.get().status().health().state() == HealthState.PASSING;
  }

  // ------------------------------------------------------------ report

  private boolean report(Fleetwide f, Live l) {
    line(
        "load average now %.1f; %s%n",
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), cpuPressure());
    out.println();
    out.println("target                                                       measured     result");
    boolean ok = true;
    if (l != null) {
      ok &=
          target(
              "spec-only change → event committed, p99 ≤ debounce + 25 ms",
              ms(percentile(l.changeNanos(), 0.99)),
              percentile(l.changeNanos(), 0.99) <= TARGET_CHANGE_P99_NANOS);
      info("new local service → running and healthy, p50", ms(median(l.addNanos())));
    }
    ok &=
        target(
            "start-up with %,d services → serving < 2 s, fresh JVM".formatted(f.services()),
            ms(f.fresh().launchedToServing()),
            f.fresh().launchedToServing() < TARGET_START_NANOS);
    info(
        "start-up with %,d services → serving, this JVM".formatted(f.services()),
        ms(f.startReturnedNanos()));
    info(
        "start-up with %,d services → specs read, fresh JVM".formatted(f.services()),
        ms(f.fresh().launchedToSpecsRead()));
    info(
        "start-up with %,d services → converged, fresh JVM".formatted(f.services()),
        ms(f.fresh().launchedToConverged()));
    if (f.firstFresh() != f.fresh()) {
      info(
          "start-up with %,d services → serving, fresh JVM, new archive".formatted(f.services()),
          ms(f.firstFresh().launchedToServing()));
    }
    info(
        "heap per stored service (%,d services)".formatted(f.services()),
        f.heapPerService() + " B");
    if (startOnly) {
      return ok;
    }
    long resync = median(f.resyncNanos());
    ok &=
        target(
            "resync of %,d converged services < 1 s, median".formatted(f.resyncServices()),
            ms(resync),
            resync < TARGET_RESYNC_NANOS);
    ok &=
        target(
            "resync of %,d converged services: zero events".formatted(f.resyncServices()),
            f.resyncQuiet() ? "0 events" : "events",
            f.resyncQuiet());
    return ok;
  }

  /** A progress line, with the seconds since the benchmark began. */
  private void line(String format, Object... args) {
    out.printf(
        Locale.ROOT,
        "  [%3d s] %s",
        (System.nanoTime() - began) / 1_000_000_000L,
        String.format(Locale.ROOT, format, args));
  }

  private boolean target(String what, String measured, boolean pass) {
    out.printf(Locale.ROOT, "%-60s %-12s %s%n", what, measured, pass ? "PASS" : "FAIL");
    return pass;
  }

  private void info(String what, String measured) {
    out.printf(Locale.ROOT, "%-60s %-12s %s%n", what, measured, "(no target)");
  }

  // ------------------------------------------------------------ helpers

  /** Polls {@code condition} every 0.2 ms until it holds; fails after {@link #WAIT}. */
  private static void await(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("gave up waiting for " + what + " after " + WAIT);
      }
      LockSupport.parkNanos(200_000);
    }
  }

  private static InstantSource clock() {
    return InstantSource.system();
  }

  /**
   * The share of the last minute in which runnable threads waited for a CPU ({@code
   * /proc/pressure/cpu}), which inflates every wall-clock figure.
   */
  private static String cpuPressure() {
    try {
      String line = Files.readAllLines(Path.of("/proc/pressure/cpu")).get(0);
      for (String field : line.split(" ")) {
        if (field.startsWith("avg60=")) {
          return "threads waited for a CPU " + field.substring(6) + "% of the last minute";
        }
      }
    } catch (IOException | RuntimeException e) {
      // no pressure stall information on this kernel
    }
    return "CPU pressure unknown";
  }

  /** CPU time of the whole process (every thread, the JIT and the GC too). */
  static long processCpu() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /**
   * The least heap in use after a GC, over three GCs half a second apart: transient data (the
   * status snapshot being written 200 ms after a commit) is not counted.
   */
  private static long steadyUsedHeap() {
    long least = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      if (i > 0) {
        LockSupport.parkNanos(500_000_000L);
      }
      least = Math.min(least, usedAfterGc());
    }
    return least;
  }

  private static long usedAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static long size(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(ControllerBench::fileSize).sum();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static long fileSize(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static long median(long[] values) {
    return percentile(values, 0.5);
  }

  /** The nearest-rank percentile ({@code p} in 0..1). */
  static long percentile(long[] values, double p) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(p * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  static String ms(long nanos) {
    return PlanBench.ms(nanos);
  }

  /** Collects the events of the loop's commits with the time each commit returned. */
  static final class Tap implements Consumer<List<Event>> {

    /** An event and {@link System#nanoTime} when the listener received it. */
    record Seen(long nanos, Event event) {}

    private final List<Seen> seen = new ArrayList<>();

    @Override
    public synchronized void accept(List<Event> events) {
      long now = System.nanoTime();
      for (Event e : events) {
        seen.add(new Seen(now, e));
      }
      notifyAll();
    }

    synchronized void clear() {
      seen.clear();
    }

    /** Waits for the first event matching {@code test} since the last {@link #clear}. */
    synchronized Seen await(Predicate<Event> test) {
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (true) {
        for (Seen s : seen) {
          if (test.test(s.event())) {
            return s;
          }
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new IllegalStateException(
              "no matching event within "
                  + WAIT
                  + "; saw "
                  + seen.stream().map(Seen::event).toList());
        }
        try {
          wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted");
        }
      }
    }

    /** When the first event matching {@code test} was received (since the last clear). */
    synchronized long first(Predicate<Event> test) {
      return seen.stream()
          .filter(s -> test.test(s.event()))
          .mapToLong(Seen::nanos)
          .findFirst()
          .orElseThrow(() -> new IllegalStateException("an expected event was not recorded"));
    }
  }
}
