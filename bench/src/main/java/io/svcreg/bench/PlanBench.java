package io.svcreg.bench;

import com.sun.management.OperatingSystemMXBean;
import io.svcreg.core.ObservedState;
import io.svcreg.core.Plan;
import io.svcreg.core.Planner;
import io.svcreg.schema.SpecLoader;
import io.svcreg.schema.SpecSet;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@code tools/bench plan}: how fast the controller reads and plans large spec directories, how
 * much heap a planned service keeps, and how fast one changed file is re-planned against a
 * converged controller. Prints a table of the figures and the targets, PASS or FAIL; exits 1 when a
 * target is missed.
 */
public final class PlanBench {

  static final long TARGET_10K_NANOS = 1_000_000_000L;
  static final long TARGET_100K_NANOS = 10_000_000_000L;
  static final long TARGET_INCREMENTAL_NANOS = 5_000_000L;
  static final long TARGET_HEAP_BYTES = 1024;

  private static final OperatingSystemMXBean OS =
      ManagementFactory.getPlatformMXBean(OperatingSystemMXBean.class);
  private static final String USAGE =
      "usage: tools/bench plan [--sizes 1000,10000,100000] [--seed 42] [--reps 200] [--dir TMP]";
  private static final int MAX_RUNS = 5;
  private static final int MIN_RUNS = 3;
  private static final int MAX_SETTLING_LOADS = 3;
  private static final int WARM_UP_SERVICES = 4000;
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
  private static final int MIN_WARM_UP = 8;
  private static final int MAX_WARM_UP = 40;
  private static final long RUN_BUDGET_NANOS = 15_000_000_000L;
  private static final long INCREMENTAL_BUDGET_NANOS = 60_000_000_000L;

  private final PrintStream out;
  private final long seed;
  private final int incrementalReps;

  private PlanBench(PrintStream out, long seed, int incrementalReps) {
    this.out = out;
    this.seed = seed;
    this.incrementalReps = incrementalReps;
  }

  /** Runs the benchmark; see {@code tools/bench plan --help}. */
  public static void main(String[] args) throws IOException {
    List<Integer> sizes = List.of(1000, 10_000, 100_000);
    long seed = 42;
    int reps = 200;
    Path dir = BenchFiles.defaultDir();
    for (int i = 0; i < args.length; i++) {
      try {
        switch (args[i]) {
          case "--sizes" -> sizes = parseSizes(value(args, ++i, "--sizes"));
          case "--seed" -> seed = Long.parseLong(value(args, ++i, "--seed"));
          case "--reps" -> reps = Integer.parseInt(value(args, ++i, "--reps"));
          case "--dir" -> dir = Path.of(value(args, ++i, "--dir"));
          case "-h", "--help" -> {
            System.out.println(USAGE);
            return;
          }
          default -> {
            System.err.println("tools/bench plan: unknown argument '" + args[i] + "'");
            System.err.println(USAGE);
            System.exit(2);
          }
        }
      } catch (NumberFormatException e) {
        System.err.println("tools/bench plan: " + args[i - 1] + " needs numbers: " + args[i]);
        System.exit(2);
      }
    }
    if (sizes.stream().anyMatch(n -> n < 100)) {
      System.err.println("tools/bench plan: sizes must be at least 100");
      System.exit(2);
    }
    boolean passed = new PlanBench(System.out, seed, reps).run(sizes, dir);
    System.exit(passed ? 0 : 1);
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length) {
      System.err.println("tools/bench plan: " + option + " needs a value");
      System.exit(2);
    }
    return args[i];
  }

  private static List<Integer> parseSizes(String text) {
    return Arrays.stream(text.split(",")).map(String::strip).map(Integer::parseInt).toList();
  }

  /** One size's figures. */
  record Figures(
      int services,
      int files,
      Cold cold,
      int settlingLoads,
      int runs,
      long jitMillis,
      long parseNanos,
      long planNanos,
      long totalNanos,
      long cpuNanos,
      long heapBytes) {}

  /** The first load and plan in a fresh JVM (as {@code svcreg plan} runs): wall and CPU time. */
  record Cold(long parseNanos, long planNanos, long cpuNanos) {
    long totalNanos() {
      return parseNanos + planNanos;
    }
  }

  /**
   * The incremental figures: median and p99 of re-load + re-plan after one changed file, the
   * medians of the two parts, and the median CPU time of the re-planning thread.
   */
  record Incremental(
      int services,
      int reps,
      long medianNanos,
      long p99Nanos,
      long reloadMedianNanos,
      long planMedianNanos,
      long cpuMedianNanos) {}

  private boolean run(List<Integer> sizes, Path parent) throws IOException {
    out.printf(
        Locale.ROOT,
        "svcreg plan benchmark: Java %s, max heap %d MiB, %d CPUs (load average %.1f), seed %d%n",
        Runtime.version(),
        Runtime.getRuntime().maxMemory() >> 20,
        Runtime.getRuntime().availableProcessors(),
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
        seed);
    Path tmp = Files.createTempDirectory(parent, "svcreg-bench");
    out.println("  spec directories are generated under " + tmp);
    try {
      warmUp(tmp.resolve("warm-up"));
      List<Figures> figures = new ArrayList<>();
      Incremental incremental = null;
      for (int n : sizes) {
        Path dir = tmp.resolve("n" + n);
        long t0 = System.nanoTime();
        BenchSpecs specs = BenchSpecs.write(dir, n, seed);
        out.printf(
            Locale.ROOT,
            "  %,d services in %,d files written in %s%n",
            n,
            specs.files() + 1,
            ms(System.nanoTime() - t0));
        Figures f = measure(specs);
        figures.add(f);
        out.printf(
            Locale.ROOT,
            "  %,d services: cold (fresh JVM) %s (cpu %s); warm median of %d after %d untimed: "
                + "parse+validate %s, plan %s, total %s (JIT busy %d ms during those runs), %,d B"
                + " heap per service%n",
            n,
            ms(f.cold().totalNanos()),
            ms(f.cold().cpuNanos()),
            f.runs(),
            f.settlingLoads(),
            ms(f.parseNanos()),
            ms(f.planNanos()),
            ms(f.totalNanos()),
            f.jitMillis(),
            f.heapBytes());
        if (n == 10_000 || (incremental == null && n == sizes.get(sizes.size() - 1))) {
          incremental = incremental(specs);
        }
        delete(dir);
      }
      return report(figures, incremental);
    } finally {
      delete(tmp);
    }
  }

  /**
   * Loads and plans a directory of {@value #WARM_UP_SERVICES} services (more files than are read in
   * parallel at least, as the measured directories are) until the JIT has compiled the hot paths:
   * at least {@value #MIN_WARM_UP} times, then until a load leaves the JIT compiling for less than
   * 2% of its time (at most {@value #MAX_WARM_UP} times).
   */
  private void warmUp(Path dir) throws IOException {
    BenchSpecs specs = BenchSpecs.write(dir, WARM_UP_SERVICES, seed + 1);
    int loads = 0;
    long jit;
    long wall;
    do {
      long j0 = jitMillis();
      long t0 = System.nanoTime();
      SpecSet set = SpecLoader.load(List.of(specs.root()));
      Planner.plan(set, ObservedState.EMPTY);
      wall = System.nanoTime() - t0;
      jit = jitMillis() - j0;
      loads++;
    } while (loads < MIN_WARM_UP || (loads < MAX_WARM_UP && jit * 1_000_000 * 50 > wall));
    out.printf(
        Locale.ROOT,
        "  warm-up: %d loads of %,d services (the last %s, JIT busy %d ms during it)%n",
        loads,
        WARM_UP_SERVICES,
        ms(wall),
        jit);
    delete(dir);
  }

  /** Milliseconds the JIT compilers have worked so far (all compiler threads). */
  private static long jitMillis() {
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    return jit != null && jit.isCompilationTimeMonitoringSupported()
        ? jit.getTotalCompilationTime()
        : 0;
  }

  /**
   * The first load and plan of {@code specs} in a new JVM started with the options {@code
   * tools/svcreg plan} uses (passed by {@code tools/bench}; else like this one), as a {@code svcreg
   * plan} run reads it.
   */
  private static Cold cold(BenchSpecs specs) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(
        ProcessHandle.current()
            .info()
            .command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    // tools/bench passes the options tools/svcreg runs `plan` with; else this JVM's own
    String launcher = System.getProperty("svcreg.bench.coldOptions", "").strip();
    if (!launcher.isEmpty()) {
      cmd.addAll(List.of(launcher.split("\\s+")));
    } else {
      for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
        if (!arg.startsWith("-XX:StartFlightRecording") && !arg.startsWith("-agentlib")) {
          cmd.add(arg);
        }
      }
    }
    cmd.addAll(
        List.of(
            "-cp",
            System.getProperty("java.class.path"),
            ColdPlan.class.getName(),
            specs.root().toString()));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    // The figures are the last line (JVM logging options may print before it).
    String line = output.substring(output.lastIndexOf('\n') + 1);
    try {
      if (p.waitFor() != 0) {
        throw new IllegalStateException("the cold run failed: " + line);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
    String[] f = line.split(" ");
    return new Cold(Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]));
  }

  private Figures measure(BenchSpecs specs) throws IOException {
    Cold cold = cold(specs);
    // Untimed loads of this directory while the JIT is still compiling for it (at most three,
    // within the budget): the timed runs are meant to show the steady state.
    int settling = 0;
    long settled = 0;
    while (settling < MAX_SETTLING_LOADS && settled < RUN_BUDGET_NANOS) {
      long j0 = jitMillis();
      long t0 = System.nanoTime();
      Planner.plan(SpecLoader.load(List.of(specs.root())), ObservedState.EMPTY);
      long wall = System.nanoTime() - t0;
      settling++;
      settled += wall;
      if ((jitMillis() - j0) * 1_000_000 * 50 <= wall) {
        break;
      }
    }
    long jit0 = jitMillis();
    long[] parse = new long[MAX_RUNS];
    long[] plan = new long[MAX_RUNS];
    long[] total = new long[MAX_RUNS];
    long[] cpu = new long[MAX_RUNS];
    int runs = 0;
    long spent = 0;
    // Three to five runs (the median is reported), more while they fit in the budget.
    while (runs < MAX_RUNS && (runs < MIN_RUNS || spent + spent / runs < RUN_BUDGET_NANOS)) {
      long c0 = cpuNow();
      long t0 = System.nanoTime();
      SpecSet set = SpecLoader.load(List.of(specs.root()));
      long t1 = System.nanoTime();
      Plan p = Planner.plan(set, ObservedState.EMPTY);
      long t2 = System.nanoTime();
      cpu[runs] = cpuNow() - c0;
      check(set, p, specs.services());
      parse[runs] = t1 - t0;
      plan[runs] = t2 - t1;
      total[runs] = t2 - t0;
      spent += t2 - t0;
      runs++;
    }
    long jit = jitMillis() - jit0;
    return new Figures(
        specs.services(),
        specs.files() + 1,
        cold,
        settling,
        runs,
        jit,
        median(parse, runs),
        median(plan, runs),
        median(total, runs),
        median(cpu, runs),
        retainedPerService(specs));
  }

  /** Heap kept reachable by the loaded specs and their plan, per service. */
  private static long retainedPerService(BenchSpecs specs) {
    long before = usedAfterGc();
    SpecSet set = SpecLoader.load(List.of(specs.root()));
    Plan plan = Planner.plan(set, ObservedState.EMPTY);
    long after = usedAfterGc();
    Reference.reachabilityFence(set);
    Reference.reachabilityFence(plan);
    return Math.max(0, after - before) / specs.services();
  }

  private static long usedAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /**
   * Changes one service's file and re-plans, then changes it back and re-plans again: both are one
   * changed file re-read and re-planned against the converged state (one update, then none).
   */
  private Incremental incremental(BenchSpecs specs) throws IOException {
    ReplanSession session = ReplanSession.open(specs);
    int warmUp = 20;
    long[] total = new long[incrementalReps];
    long[] reload = new long[incrementalReps];
    long[] plan = new long[incrementalReps];
    long[] cpu = new long[incrementalReps];
    int done = 0;
    long started = System.nanoTime();
    for (int r = 0; done < incrementalReps; r++) {
      int service = (r / 2 * 7919) % specs.services();
      boolean changing = r % 2 == 0;
      specs.rewrite(service, changing ? r + 1 : 0);
      long c0 = THREADS.getCurrentThreadCpuTime();
      ReplanSession.Timed t = session.replan(specs.fileOf(service));
      long c1 = THREADS.getCurrentThreadCpuTime();
      if (changing) {
        checkOneUpdate(t.plan(), BenchSpecs.name(service));
      } else {
        checkNoChanges(t.plan());
      }
      if (r >= warmUp) {
        reload[done] = t.reloadNanos();
        plan[done] = t.planNanos();
        total[done] = t.reloadNanos() + t.planNanos();
        cpu[done] = c1 - c0;
        done++;
        if (!changing && System.nanoTime() - started > INCREMENTAL_BUDGET_NANOS) {
          break;
        }
      }
    }
    long[] sorted = Arrays.copyOf(total, done);
    Arrays.sort(sorted);
    return new Incremental(
        specs.services(),
        done,
        sorted[done / 2],
        sorted[Math.min(done - 1, (int) Math.ceil(done * 0.99) - 1)],
        median(reload, done),
        median(plan, done),
        median(cpu, done));
  }

  private boolean report(List<Figures> figures, Incremental incremental) {
    out.println();
    out.printf(
        Locale.ROOT,
        "%10s %7s %15s %10s %5s %15s %10s %10s %10s %13s%n",
        "services",
        "files",
        "cold (new JVM)",
        "cold cpu",
        "runs",
        "parse+validate",
        "plan",
        "total",
        "cpu",
        "heap/service");
    for (Figures f : figures) {
      out.printf(
          Locale.ROOT,
          "%,10d %,7d %15s %10s %5d %15s %10s %10s %10s %11d B%n",
          f.services(),
          f.files(),
          ms(f.cold().totalNanos()),
          ms(f.cold().cpuNanos()),
          f.runs(),
          ms(f.parseNanos()),
          ms(f.planNanos()),
          ms(f.totalNanos()),
          ms(f.cpuNanos()),
          f.heapBytes());
    }
    if (incremental != null) {
      out.printf(
          Locale.ROOT,
          "one changed file re-read and re-planned against %,d converged services:"
              + " median %s (re-read %s + plan %s; thread cpu %s), p99 %s, %d repetitions%n",
          incremental.services(),
          ms(incremental.medianNanos()),
          ms(incremental.reloadMedianNanos()),
          ms(incremental.planMedianNanos()),
          ms(incremental.cpuMedianNanos()),
          ms(incremental.p99Nanos()),
          incremental.reps());
    }
    out.println();
    out.println(
        "(parse+validate, plan, total: wall-clock medians of the timed runs after the warm-up and"
            + " up to three untimed loads of the same directory while the JIT still compiled;"
            + " cold: the first load and plan in a new JVM, as `svcreg plan` runs; cpu is the"
            + " process's CPU time over the same span, all threads, which other load on the"
            + " machine inflates less)");
    out.println("target                                              measured     result");
    boolean ok = true;
    for (Figures f : figures) {
      if (f.services() == 10_000) {
        ok &=
            target(
                "10k services read and planned < 1 s (warm)",
                ms(f.totalNanos()),
                f.totalNanos() < TARGET_10K_NANOS);
        out.printf(
            Locale.ROOT,
            "%-51s %-12s %s%n",
            "  the same, first load in a fresh JVM",
            ms(f.cold().totalNanos()),
            f.cold().totalNanos() < TARGET_10K_NANOS ? "(under 1 s)" : "(over 1 s)");
      }
      if (f.services() == 100_000) {
        ok &=
            target(
                "100k services read and planned < 10 s (warm)",
                ms(f.totalNanos()),
                f.totalNanos() < TARGET_100K_NANOS);
        out.printf(
            Locale.ROOT,
            "%-51s %-12s %s%n",
            "  the same, first load in a fresh JVM",
            ms(f.cold().totalNanos()),
            f.cold().totalNanos() < TARGET_100K_NANOS ? "(under 10 s)" : "(over 10 s)");
      }
    }
    if (incremental != null) {
      ok &=
          target(
              "one changed file re-planned (" + incremental.services() / 1000 + "k) < 5 ms, median",
              ms(incremental.medianNanos()),
              incremental.medianNanos() < TARGET_INCREMENTAL_NANOS);
    }
    Figures largest = figures.get(figures.size() - 1);
    ok &=
        target(
            "heap per planned service < 1 KB (" + largest.services() / 1000 + "k)",
            largest.heapBytes() + " B",
            largest.heapBytes() < TARGET_HEAP_BYTES);
    return ok;
  }

  private boolean target(String what, String measured, boolean pass) {
    out.printf(Locale.ROOT, "%-51s %-12s %s%n", what, measured, pass ? "PASS" : "FAIL");
    return pass;
  }

  private static void check(SpecSet set, Plan plan, int services) {
    if (!set.problems().isEmpty() || !plan.problems().isEmpty()) {
      throw new IllegalStateException(
          "generated specs have problems: "
              + (set.problems().isEmpty() ? plan.problems() : set.problems()).get(0));
    }
    long created = plan.changes().size();
    if (created != services + BenchSpecs.NETWORKS) {
      throw new IllegalStateException(
          "expected " + (services + BenchSpecs.NETWORKS) + " creations, got " + created);
    }
  }

  private static void checkOneUpdate(Plan plan, String service) {
    if (plan.changes().size() != 1
        || !plan.changes().get(0).key().name().equals(service)
        || !plan.problems().isEmpty()) {
      throw new IllegalStateException(
          "expected one update of " + service + ", got " + plan.changes() + plan.problems());
    }
  }

  private static void checkNoChanges(Plan plan) {
    if (plan.hasChanges() || !plan.problems().isEmpty()) {
      throw new IllegalStateException(
          "expected no changes, got " + plan.changes() + plan.problems());
    }
  }

  /** CPU time of the whole process (all threads: parsing in parallel, GC, JIT). */
  private static long cpuNow() {
    return OS.getProcessCpuTime();
  }

  private static long median(long[] values, int count) {
    long[] sorted = Arrays.copyOf(values, count);
    Arrays.sort(sorted);
    return sorted[count / 2];
  }

  static String ms(long nanos) {
    double millis = nanos / 1e6;
    if (millis >= 1000) {
      return String.format(Locale.ROOT, "%.2f s", millis / 1000);
    }
    return String.format(Locale.ROOT, millis >= 10 ? "%.0f ms" : "%.2f ms", millis);
  }

  private static void delete(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try {
      Files.walkFileTree(
          dir,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
              Files.delete(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
              Files.delete(d);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
