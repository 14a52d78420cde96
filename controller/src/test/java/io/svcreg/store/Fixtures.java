package io.svcreg.store;

import io.svcreg.core.Lease;
import io.svcreg.core.ObservedNetwork;
import io.svcreg.core.ObservedService;
import io.svcreg.core.rollout.Ledger;
import io.svcreg.core.rollout.ProcessId;
import io.svcreg.schema.Cidr;
import io.svcreg.schema.Condition;
import io.svcreg.schema.ConditionStatus;
import io.svcreg.schema.Endpoint;
import io.svcreg.schema.ExecutionType;
import io.svcreg.schema.Health;
import io.svcreg.schema.HealthCheck;
import io.svcreg.schema.HealthState;
import io.svcreg.schema.Ipv4;
import io.svcreg.schema.Metadata;
import io.svcreg.schema.NetworkSpec;
import io.svcreg.schema.NetworkStatus;
import io.svcreg.schema.NetworkType;
import io.svcreg.schema.Phase;
import io.svcreg.schema.Protocol;
import io.svcreg.schema.Rollout;
import io.svcreg.schema.RunState;
import io.svcreg.schema.ServiceSpec;
import io.svcreg.schema.ServiceStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Test data: services, networks, leases and inventory entries, and a clock tests move; the data is
 * public for the tests of replication in other packages.
 */
public final class Fixtures {

  static final Instant T0 = Instant.parse("2026-03-01T12:00:00Z");

  private Fixtures() {}

  /** A running service named {@code name}. */
  public static ObservedService service(String name) {
    return service(name, Phase.RUNNING);
  }

  /**
   * A service on the local network with an endpoint, a health check and a condition, its address,
   * version and pid drawn from its name. The stores under {@code legacy-string-holders} hold
   * services made by this method: a change here breaks {@link StoreFormatIT}.
   */
  static ObservedService service(String name, Phase phase) {
    int i = Math.floorMod(name.hashCode(), 1000);
    Ipv4 address = Ipv4.of("127.1.0.1").plus(i);
    ServiceSpec spec =
        new ServiceSpec(
            "1.2." + (i % 10),
            "../packages/svc-" + i,
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
        new Metadata(name, Map.of("tier", "backend"), Map.of()),
        1,
        "sha256:" + Integer.toHexString(i),
        spec,
        status);
  }

  public static ObservedNetwork network(String name) {
    return new ObservedNetwork(
        Metadata.named(name),
        1,
        "sha256:" + name,
        new NetworkSpec(
            NetworkType.LOCAL, Cidr.of("127.0.0.0/8"), List.of(), List.of(), Optional.empty()),
        new NetworkStatus(1, 0, 16_777_214, true, List.of()));
  }

  public static Lease lease(String network, String address, String service) {
    return new Lease(network, Ipv4.of(address), service);
  }

  public static InventoryEntry installed(String service, String version) {
    return new InventoryEntry(
        service, "local", version, "/opt/" + service + "-" + version, T0.plusSeconds(1));
  }

  /** A ledger of {@code service} with a process started at {@code t} and a crash. */
  static Ledger ledger(String service, Instant t) {
    return Ledger.empty(service)
        .withProcess(
            Optional.of(
                new ProcessId(
                    4242,
                    t,
                    17,
                    true,
                    t,
                    "1.0.0",
                    Ipv4.of("127.0.0.4"),
                    Map.of("api", "127.0.0.3:8080"))))
        .withCrash("hash", t, Duration.ofMinutes(1))
        .withStartedFor("hash");
  }

  public static Map<String, Object> data(String name) {
    return Map.of("name", name);
  }

  /** A clock that tests move by hand. */
  static final class TestClock implements InstantSource {
    private volatile Instant now = T0;

    @Override
    public Instant instant() {
      return now;
    }

    void advance(Duration d) {
      now = now.plus(d);
    }
  }

  static Store open(Path dir, TestClock clock) {
    return Store.open(dir, StoreOptions.defaults(), clock);
  }
}
