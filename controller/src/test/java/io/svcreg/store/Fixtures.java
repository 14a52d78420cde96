package io.svcreg.store;

import io.svcreg.core.Lease;
import io.svcreg.core.ObservedNetwork;
import io.svcreg.core.ObservedService;
import io.svcreg.schema.Cidr;
import io.svcreg.schema.Ipv4;
import io.svcreg.schema.Metadata;
import io.svcreg.schema.NetworkSpec;
import io.svcreg.schema.NetworkStatus;
import io.svcreg.schema.NetworkType;
import io.svcreg.schema.Phase;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Test data: services, networks, leases and inventory entries, and a clock tests move. */
final class Fixtures {

  static final Instant T0 = Instant.parse("2026-03-01T12:00:00Z");

  private Fixtures() {}

  /** A running service named {@code name} (a {@link StoreBenchmark#service} renamed). */
  static ObservedService service(String name) {
    return service(name, Phase.RUNNING);
  }

  static ObservedService service(String name, Phase phase) {
    ObservedService s = StoreBenchmark.service(Math.floorMod(name.hashCode(), 1000), phase);
    return new ObservedService(
        new Metadata(name, s.metadata().labels(), s.metadata().annotations()),
        s.generation(),
        s.specHash(),
        s.spec(),
        s.status());
  }

  static ObservedNetwork network(String name) {
    return new ObservedNetwork(
        Metadata.named(name),
        1,
        "sha256:" + name,
        new NetworkSpec(
            NetworkType.LOCAL, Cidr.of("127.0.0.0/8"), List.of(), List.of(), Optional.empty()),
        new NetworkStatus(1, 0, 16_777_214, true, List.of()));
  }

  static Lease lease(String network, String address, String service) {
    return new Lease(network, Ipv4.of(address), service);
  }

  static InventoryEntry installed(String service, String version) {
    return new InventoryEntry(
        service, "local", version, "/opt/" + service + "-" + version, T0.plusSeconds(1));
  }

  static Map<String, Object> data(String name) {
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
