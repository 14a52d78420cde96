package io.svcreg.bench;

import com.sun.management.OperatingSystemMXBean;
import io.svcreg.ControllerApp;
import io.svcreg.core.ObservedService;
import io.svcreg.schema.Phase;
import io.svcreg.source.SpecSource;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code tools/bench converge}: how fast the loop converges a fleet of tiny local services ({@code
 * exec sleep}, no health check, a {@code stop.sh} that stops them), in process with a store on
 * disk: 1,000 and 10,000 services from nothing to all running, one commit that changes the env of
 * all 1,000 until every one runs again with a new process, and the controller's CPU per service at
 * both sizes. Specs, packages and install directories go to {@code --dir} ({@code /dev/shm} when
 * writable), the store to {@code --data-dir} (a disk: every commit syncs). Beside each cold start,
 * a plain shell loop does the same work (copy each package, start it detached) as the peer a user
 * would otherwise write. Prints the figures against the targets; exits 1 when one is missed. Kills
 * every service it started.
 */
public final class ConvergeBench {

  static final Duration TARGET_1K = Duration.ofSeconds(15);
  static final Duration TARGET_10K = Duration.ofSeconds(150);
  static final Duration TARGET_RESTART_1K = Duration.ofSeconds(20);
  static final double TARGET_CPU_RATIO = 1.5;

  private static final String USAGE =
      "usage: tools/bench converge [--sizes 1000,10000] [--restart 1000] [--dir TMP]"
          + " [--data-dir TMP] [--workers 64] [--keep]";
  private static final Duration WAIT = Duration.ofMinutes(10);

  private final PrintStream out;
  private final Path dir;
  private final Path dataDir;
  private final int workers;
  private final boolean keep;
  private Process shell;

  private ConvergeBench(PrintStream out, Path dir, Path dataDir, int workers, boolean keep) {
    this.out = out;
    this.dir = dir;
    this.dataDir = dataDir;
    this.workers = workers;
    this.keep = keep;
  }

  /** Runs the benchmark; see {@code tools/bench converge --help}. */
  public static void main(String[] args) throws Exception {
    List<Integer> sizes = List.of(1000, 10_000);
    int restart = 1000;
    Path dir = BenchFiles.defaultDir();
    Path dataDir = Path.of(System.getProperty("java.io.tmpdir"));
    int workers = io.svcreg.loop.Controller.Options.DEFAULTS.workers();
    boolean keep = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--sizes" -> {
          List<Integer> s = new ArrayList<>();
          for (String v : value(args, ++i, "--sizes").split(",")) {
            s.add(Integer.parseInt(v.trim()));
          }
          sizes = s;
        }
        case "--restart" -> restart = Integer.parseInt(value(args, ++i, "--restart"));
        case "--dir" -> dir = Path.of(value(args, ++i, "--dir"));
        case "--data-dir" -> dataDir = Path.of(value(args, ++i, "--data-dir"));
        case "--workers" -> workers = Integer.parseInt(value(args, ++i, "--workers"));
        case "--keep" -> keep = true;
        case "-h", "--help" -> {
          System.out.println(USAGE);
          return;
        }
        default -> usageError("unknown option " + args[i]);
      }
    }
    Logger.getLogger("").setLevel(Level.WARNING);
    boolean ok = new ConvergeBench(System.out, dir, dataDir, workers, keep).run(sizes, restart);
    System.exit(ok ? 0 : 1);
  }

  /** One cold start: how long until all ran, the controller's CPU, and the shell loop's time. */
  private record Cold(int size, Duration wall, Duration cpu, Duration shell) {
    double cpuPerServiceMillis() {
      return cpu.toNanos() / 1e6 / size;
    }
  }

  private boolean run(List<Integer> sizes, int restart) throws Exception {
    out.printf(
        Locale.ROOT,
        "svcreg converge benchmark: %s services, %d cores, %s, %d reconciles at once%n",
        sizes,
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.vm.name") + " " + Runtime.version(),
        workers);
    List<Cold> colds = new ArrayList<>();
    Duration restarted = null;
    for (int size : sizes) {
      Path root = Files.createTempDirectory(dir, "svcreg-converge-");
      Path data = Files.createTempDirectory(dataDir, "svcreg-converge-data-");
      try {
        Duration peer = shellLoop(root.resolve("shell"), size);
        stopShell(root);
        Result r = converge(root, data, size, size == restart);
        colds.add(new Cold(size, r.wall(), r.cpu(), peer));
        if (r.restart() != null) {
          restarted = r.restart();
        }
      } finally {
        stopShell(root);
        TinyPackage.killAll(root.resolve("opt"));
        if (!keep) {
          BenchFiles.delete(root);
          BenchFiles.delete(data);
        }
      }
    }
    return report(colds, restarted, restart);
  }

  private boolean report(List<Cold> colds, Duration restarted, int restart) {
    boolean ok = true;
    out.println();
    out.println(
        "figure                                   measured     target      peer (shell loop)  result");
    for (Cold c : colds) {
      Duration target = c.size() <= 1000 ? TARGET_1K : c.size() <= 10_000 ? TARGET_10K : null;
      boolean pass = target == null || c.wall().compareTo(target) <= 0;
      ok &= pass;
      out.printf(
          Locale.ROOT,
          "%-40s %9.2f s  %10s  %7.2f s (%.2fx)    %s%n",
          "%,d services: nothing → all running".formatted(c.size()),
          seconds(c.wall()),
          target == null ? "-" : "≤ " + target.toSeconds() + " s",
          seconds(c.shell()),
          seconds(c.wall()) / Math.max(1e-9, seconds(c.shell())),
          target == null ? "" : pass ? "PASS" : "FAIL");
      out.printf(
          Locale.ROOT, "%-40s %9.2f ms%n", "  controller CPU per service", c.cpuPerServiceMillis());
    }
    if (restarted != null) {
      boolean pass = restarted.compareTo(TARGET_RESTART_1K) <= 0;
      ok &= pass;
      out.printf(
          Locale.ROOT,
          "%-40s %9.2f s  %10s  %18s  %s%n",
          "env of all %,d changed → all restarted".formatted(restart),
          seconds(restarted),
          "≤ " + TARGET_RESTART_1K.toSeconds() + " s",
          "",
          pass ? "PASS" : "FAIL");
    }
    if (colds.size() >= 2) {
      Cold small = colds.getFirst();
      Cold large = colds.getLast();
      double ratio = large.cpuPerServiceMillis() / small.cpuPerServiceMillis();
      boolean pass = ratio <= TARGET_CPU_RATIO;
      ok &= pass;
      out.printf(
          Locale.ROOT,
          "%-40s %9.2f x  %10s  %18s  %s%n",
          "CPU per service, %,d vs %,d".formatted(large.size(), small.size()),
          ratio,
          "≤ " + TARGET_CPU_RATIO + " x",
          "",
          pass ? "PASS" : "FAIL");
    }
    return ok;
  }

  private record Result(Duration wall, Duration cpu, Duration restart) {}

  /** Starts a controller on {@code size} new services and waits until all run. */
  private Result converge(Path root, Path data, int size, boolean restart) throws Exception {
    Fleet fleet = Fleet.write(root, size, "127.77.0.0/16");
    Path specs = running(fleet.specs(size));
    OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    System.gc();
    long cpu0 = os.getProcessCpuTime();
    long t0 = System.nanoTime();
    ControllerApp.Config config =
        new ControllerApp.Config(
            specs,
            data,
            root.resolve("opt"),
            Duration.ofMillis(100),
            SpecSource.Options.DEFAULTS.rescanInterval(),
            io.svcreg.loop.Controller.Options.DEFAULTS.withWorkers(workers));
    try (ControllerApp app = ControllerApp.start(config)) {
      Map<String, Long> pids = awaitRunning(app, size, Map.of(), t0, "cold start");
      Duration wall = Duration.ofNanos(System.nanoTime() - t0);
      Duration cpu = Duration.ofNanos(os.getProcessCpuTime() - cpu0);
      Duration restarted = null;
      if (restart) {
        long r0 = System.nanoTime();
        changeEnv(specs);
        awaitRunning(app, size, pids, r0, "env change");
        restarted = Duration.ofNanos(System.nanoTime() - r0);
      }
      return new Result(wall, cpu, restarted);
    }
  }

  /**
   * Waits until {@code size} services run, each with a pid other than the one in {@code before};
   * their pids.
   */
  private Map<String, Long> awaitRunning(
      ControllerApp app, int size, Map<String, Long> before, long t0, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    long nextReport = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (true) {
      Map<String, Long> pids = new HashMap<>();
      for (ObservedService o : app.store().observed().services()) {
        String name = o.metadata().name();
        if (o.status().phase() == Phase.RUNNING
            && o.status().pid().isPresent()
            && !o.status().pid().equals(java.util.Optional.ofNullable(before.get(name)))) {
          pids.put(name, o.status().pid().get());
        }
      }
      if (pids.size() == size) {
        return pids;
      }
      long now = System.nanoTime();
      if (now > deadline) {
        throw new IllegalStateException(
            what + ": only " + pids.size() + " of " + size + " services run after " + WAIT);
      }
      if (now > nextReport) {
        out.printf(
            Locale.ROOT,
            "  %s: %,d of %,d running after %.1f s%n",
            what,
            pids.size(),
            size,
            (now - t0) / 1e9);
        nextReport = now + TimeUnit.SECONDS.toNanos(5);
      }
      Thread.sleep(100);
    }
  }

  /** The fleet's spec directory with every service to run (the fleet's specs are stopped ones). */
  private static Path running(Path specs) throws IOException {
    try (var files = Files.walk(specs)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).toList()) {
        Files.writeString(f, Files.readString(f).replace("state: stopped", "state: running"));
      }
    }
    return specs;
  }

  /** Changes the env of every service, one file after the other as one commit would. */
  private static void changeEnv(Path specs) throws IOException {
    try (var files = Files.walk(specs.resolve("services"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        BenchFiles.writeAtomically(
            f,
            Files.readString(f).replace("state: running", "state: running\n  env: {GEN: \"2\"}"));
      }
    }
  }

  /**
   * The peer: a plain shell loop that copies each of {@code size} packages into an install root and
   * starts it detached, as a user without svcreg would; the time until every one runs. The shell
   * stays the parent of what it started (and reaps it once {@link #stopShell} killed it).
   */
  private Duration shellLoop(Path root, int size) throws IOException, InterruptedException {
    Fleet fleet = Fleet.write(root, size, "127.78.0.0/16");
    Path opt = root.resolve("opt");
    Files.createDirectories(opt);
    String script =
        """
        cd "$1"
        for pkg in packages/*; do
          name=${pkg#packages/}
          home="$PWD/opt/$name-1.0.0"
          cp -r "$pkg" "$home"
          mkdir -p "$home/logs"
          (cd "$home" && SERVICE_NAME=$name SERVICE_HOME=$home \
            exec setsid ./scripts/start.sh </dev/null >>logs/service.log 2>&1) &
        done
        wait
        """;
    if (fleet.size() != size) {
      throw new IllegalStateException("fleet of " + fleet.size());
    }
    long t0 = System.nanoTime();
    shell =
        new ProcessBuilder("bash", "-c", script, "bash", root.toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    // started detached: wait until each has written its pid file (it runs then)
    long deadline = System.nanoTime() + WAIT.toNanos();
    for (int i = 0; i < size; i++) {
      Path pid = opt.resolve(Fleet.name(i) + "-1.0.0/run/service.pid");
      while (!Files.exists(pid)) {
        if (System.nanoTime() > deadline || !shell.isAlive()) {
          throw new IllegalStateException("the shell loop's " + Fleet.name(i) + " did not start");
        }
        Thread.sleep(5);
      }
    }
    return Duration.ofNanos(System.nanoTime() - t0);
  }

  /** Kills what the shell loop started; the shell reaps it and ends. */
  private void stopShell(Path root) throws InterruptedException {
    if (shell == null) {
      return;
    }
    TinyPackage.killAll(root.resolve("shell/opt"));
    if (!shell.waitFor(30, TimeUnit.SECONDS)) {
      shell.destroyForcibly();
    }
    shell = null;
  }

  private static double seconds(Duration d) {
    return d.toNanos() / 1e9;
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length) {
      usageError(option + " needs a value");
    }
    return args[i];
  }

  private static void usageError(String message) {
    System.err.println("tools/bench converge: " + message);
    System.err.println(USAGE);
    System.exit(2);
  }
}
