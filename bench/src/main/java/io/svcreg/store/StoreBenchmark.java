package io.svcreg.store;

import io.svcreg.core.Lease;
import io.svcreg.core.ObservedService;
import io.svcreg.core.ObservedState;
import io.svcreg.schema.Condition;
import io.svcreg.schema.ConditionStatus;
import io.svcreg.schema.Endpoint;
import io.svcreg.schema.ExecutionType;
import io.svcreg.schema.Health;
import io.svcreg.schema.HealthCheck;
import io.svcreg.schema.HealthState;
import io.svcreg.schema.Ipv4;
import io.svcreg.schema.Metadata;
import io.svcreg.schema.Phase;
import io.svcreg.schema.Protocol;
import io.svcreg.schema.Rollout;
import io.svcreg.schema.RunState;
import io.svcreg.schema.ServiceSpec;
import io.svcreg.schema.ServiceStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Measures a store of many services: how long creating, opening (with loading) and one commit take,
 * how big it is on disk and how much heap each stored service costs.
 */
public final class StoreBenchmark {

  /** The figures of one run. */
  public record Result(
      int services,
      long createMillis,
      long openMillis,
      long observedMillis,
      long commitMicros,
      long diskBytes,
      long heapBytesOpen,
      long heapBytesPerService) {

    @Override
    public String toString() {
      return String.format(
          "%d services: create %d ms, open+load %d ms, observed() %d ms, one-service commit %d µs,"
              + " %.1f MB on disk, %.1f MB heap used while open, %d bytes of heap per service",
          services,
          createMillis,
          openMillis,
          observedMillis,
          commitMicros,
          diskBytes / 1e6,
          heapBytesOpen / 1e6,
          heapBytesPerService);
    }
  }

  private StoreBenchmark() {}

  /** Runs the benchmark with a store of {@code args[0]} (default 10,000) services in a temp dir. */
  public static void main(String[] args) throws IOException {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    Path dir = Files.createTempDirectory("svcreg-bench");
    try {
      System.out.println(run(dir.resolve("store"), n));
    } finally {
      try (Stream<Path> s = Files.list(dir)) {
        for (Path p : s.toList()) {
          StoreFiles.deleteTree(p);
        }
      }
      Files.delete(dir);
    }
  }

  /**
   * Creates a store with {@code services} services (and a lease and an event each) in {@code dir}
   * (which must not exist), reopens it and measures. The heap per service is an upper bound: the
   * growth of the used heap from before the store existed to the open store.
   */
  public static Result run(Path dir, int services) {
    InstantSource clock = InstantSource.system();
    StoreOptions options = StoreOptions.defaults();
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    // the heap baseline is taken with every class loaded, before any service exists
    Path warmUp = dir.resolveSibling(dir.getFileName() + "-warmup");
    Store.open(warmUp, options, clock).close();
    try {
      StoreFiles.deleteTree(warmUp);
      Files.deleteIfExists(StoreFiles.lockFile(warmUp));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    long before = usedHeapAfterGc(memory);
    long t0 = System.nanoTime();
    try (Store store = Store.open(dir, options, clock)) {
      int batch = 500;
      for (int from = 0; from < services; from += batch) {
        Transaction tx = new Transaction();
        for (int i = from; i < Math.min(services, from + batch); i++) {
          ObservedService s = service(i);
          tx.putService(s)
              .addLease(new Lease("local", s.status().address().orElseThrow(), name(i)))
              .event(Event.SERVICE_REGISTERED, "Service/" + name(i), Map.of("name", name(i)));
        }
        store.commit(tx);
      }
    }
    long createMillis = (System.nanoTime() - t0) / 1_000_000;

    long t1 = System.nanoTime();
    Store store = Store.open(dir, options, clock);
    try {
      long openMillis = (System.nanoTime() - t1) / 1_000_000;
      long t2 = System.nanoTime();
      ObservedState state = store.observed();
      long observedMillis = (System.nanoTime() - t2) / 1_000_000;
      if (state.services().size() != services) {
        throw new IllegalStateException("reloaded " + state.services().size() + " services");
      }
      long after = usedHeapAfterGc(memory);
      long t3 = System.nanoTime();
      store.commit(new Transaction().putService(service(services / 2, Phase.STOPPED)));
      long commitMicros = (System.nanoTime() - t3) / 1_000;
      return new Result(
          services,
          createMillis,
          openMillis,
          observedMillis,
          commitMicros,
          size(dir),
          after,
          Math.max(0, after - before) / Math.max(1, services));
    } finally {
      store.close();
    }
  }

  /** Used heap once garbage collections stop freeing more than 256 KB (at most 10 runs). */
  private static long usedHeapAfterGc(MemoryMXBean memory) {
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 10; i++) {
      System.gc();
      long now = memory.getHeapMemoryUsage().getUsed();
      if (used - now < 256 * 1024) {
        return Math.min(used, now);
      }
      used = now;
    }
    return used;
  }

  private static long size(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile)
          .mapToLong(
              p -> {
                try {
                  return Files.size(p);
                } catch (IOException e) {
                  return 0;
                }
              })
          .sum();
    } catch (IOException e) {
      return 0;
    }
  }

  private static String name(int i) {
    return "svc-" + i;
  }

  /** A typical running service on a local network, with endpoints, health and a condition. */
  private static ObservedService service(int i) {
    return service(i, Phase.RUNNING);
  }

  private static ObservedService service(int i, Phase phase) {
    Ipv4 address = Ipv4.of("127.1.0.1").plus(i);
    ServiceSpec spec =
        new ServiceSpec(
            "1.2." + (i % 10),
            "../packages/" + name(i),
            "local",
            "local",
            Optional.empty(),
            ExecutionType.MANAGED_PROCESS,
            List.of(new Endpoint("http", 8080, Protocol.HTTP)),
            List.of(),
            Map.of("LOG_LEVEL", "info"),
            Optional.of(
                new HealthCheck(
                    "scripts/health.sh",
                    HealthCheck.DEFAULT_INTERVAL,
                    HealthCheck.DEFAULT_TIMEOUT,
                    HealthCheck.DEFAULT_FAILURE_THRESHOLD)),
            RunState.RUNNING,
            Rollout.DEFAULT);
    Instant at = Instant.parse("2026-01-01T00:00:00Z").plusSeconds(i);
    ServiceStatus status =
        new ServiceStatus(
            phase,
            1,
            Optional.of(spec.version()),
            Optional.empty(),
            Optional.of("local"),
            Optional.of(address),
            List.of(address + ":8080"),
            Optional.of(10_000L + i),
            new Health(HealthState.PASSING, Optional.of(at), "ok"),
            List.of(new Condition(Condition.READY, ConditionStatus.TRUE, "Healthy", "passing", at)),
            Optional.empty(),
            Optional.of("0123456789abcdef0123456789abcdef01234567"));
    return new ObservedService(
        new Metadata(name(i), Map.of("tier", "backend"), Map.of()),
        1,
        "sha256:" + Integer.toHexString(i),
        spec,
        status);
  }
}
