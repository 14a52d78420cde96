package io.svcreg.bench;

import io.svcreg.core.Lease;
import io.svcreg.core.ObservedNetwork;
import io.svcreg.core.ObservedService;
import io.svcreg.core.ObservedState;
import io.svcreg.core.ObservedStates;
import io.svcreg.core.Plan;
import io.svcreg.core.Planner;
import io.svcreg.deploy.InstallOutcome;
import io.svcreg.deploy.local.LocalDeployer;
import io.svcreg.schema.SpecLoader;
import io.svcreg.schema.SpecSet;
import io.svcreg.store.InventoryEntry;
import io.svcreg.store.Store;
import io.svcreg.store.StoreOptions;
import io.svcreg.store.Transaction;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;

/**
 * A fleet of stopped services on one {@code local} network, each with its own tiny package, for the
 * controller benchmark: the packages, spec directories declaring the first {@code count} of them
 * ({@value #PER_FILE} services per file), the packages installed with the real installer, and a
 * store in which those services are converged (stopped, installed, address leased, inventory
 * recorded), as a controller that deployed them would have left it.
 */
final class Fleet {

  static final int PER_FILE = 100;
  static final String NETWORK = "fleet";

  private final Path root;
  private final int size;
  private final String subnet;
  private final Map<String, String> homes = new ConcurrentHashMap<>();

  private Fleet(Path root, int size, String subnet) {
    this.root = root;
    this.size = size;
    this.subnet = subnet;
  }

  /** Writes the packages of {@code size} services under {@code root}, on {@code subnet} (a /16). */
  static Fleet write(Path root, int size, String subnet) throws IOException {
    Fleet f = new Fleet(root, size, subnet);
    Path packages = root.resolve("packages");
    for (int i = 0; i < size; i++) {
      TinyPackage.write(packages.resolve(name(i)), name(i));
    }
    return f;
  }

  /** The name of service {@code i}. */
  static String name(int i) {
    return "svc-%05d".formatted(i);
  }

  /** The number of services (packages). */
  int size() {
    return size;
  }

  /**
   * Installs every package below {@code installRoot} with the controller's installer. Each install
   * lists its install root (for other versions and leftovers), so 10,000 installs into one root
   * would take minutes: the packages are installed {@value #PER_FILE} to a staging root, and the
   * install directories, as the installer made them, are then moved into {@code installRoot}.
   */
  void install(Path installRoot) throws IOException {
    Files.createDirectories(installRoot);
    Path staging = root.resolve("staging");
    IntStream.range(0, (size + PER_FILE - 1) / PER_FILE)
        .parallel()
        .forEach(stage -> installStage(staging.resolve("stage-" + stage), stage, installRoot));
    BenchFiles.delete(staging);
  }

  private void installStage(Path stageRoot, int stage, Path installRoot) {
    LocalDeployer deployer = LocalDeployer.create(stageRoot);
    try {
      for (int i = stage * PER_FILE; i < Math.min(size, (stage + 1) * PER_FILE); i++) {
        String name = name(i);
        InstallOutcome out =
            deployer.install(name, "1.0.0", root.resolve("packages").resolve(name));
        switch (out) {
          case InstallOutcome.Installed ok -> {
            Path home = installRoot.resolve(Path.of(ok.home()).getFileName());
            Files.move(Path.of(ok.home()), home, StandardCopyOption.ATOMIC_MOVE);
            homes.put(name, home.toString());
          }
          case InstallOutcome.Failed f ->
              throw new IllegalStateException("cannot install " + name + ": " + f.message());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      deployer.close();
    }
  }

  /** Writes a spec directory declaring the first {@code count} services; returns it. */
  Path specs(int count) throws IOException {
    Path dir = root.resolve("specs-" + count);
    Files.createDirectories(dir.resolve("services"));
    Files.writeString(
        dir.resolve("network.yaml"),
        """
        apiVersion: svcreg.io/v1
        kind: Network
        metadata: {name: %s}
        spec:
          type: local
          subnet: %s
        """
            .formatted(NETWORK, subnet));
    for (int file = 0; file * PER_FILE < count; file++) {
      StringBuilder b = new StringBuilder(PER_FILE * 300);
      for (int i = file * PER_FILE; i < Math.min(count, (file + 1) * PER_FILE); i++) {
        b.append(
            """
            apiVersion: svcreg.io/v1
            kind: Service
            metadata:
              name: %s
              labels: {app: bench}
            spec:
              version: "1.0.0"
              package: ../../packages/%s
              network: %s
              state: stopped
              endpoints: [{name: http, port: 8080, protocol: tcp}]
            ---
            """
                .formatted(name(i), name(i), NETWORK));
      }
      Files.writeString(dir.resolve("services").resolve("services-%04d.yaml".formatted(file)), b);
    }
    return dir;
  }

  /**
   * Creates the store of a controller that converged on {@code specs} (declaring the first {@code
   * count} services, installed by {@link #install}) in {@code data}/store, in one commit.
   */
  void converge(Path specs, int count, Path data) {
    SpecSet desired = SpecLoader.load(List.of(specs));
    if (!desired.problems().isEmpty()) {
      throw new IllegalStateException("fleet specs have problems: " + desired.problems().get(0));
    }
    if (desired.services().size() != count) {
      throw new IllegalStateException(
          "expected " + count + " services, read " + desired.services().size());
    }
    ObservedState converged =
        ObservedStates.converged(desired, Planner.plan(desired, ObservedState.EMPTY));
    Plan again = Planner.plan(desired, converged);
    if (again.hasChanges() || !again.actions().isEmpty() || !again.problems().isEmpty()) {
      throw new IllegalStateException(
          "the converged fleet still plans " + again.actions().size() + " actions");
    }
    Transaction tx = new Transaction();
    for (ObservedNetwork n : converged.networks()) {
      tx.putNetwork(n);
    }
    Instant now = Instant.now();
    for (ObservedService s : converged.services()) {
      String name = s.metadata().name();
      String home = homes.get(name);
      if (home == null) {
        throw new IllegalStateException(name + " was not installed");
      }
      tx.putService(s);
      tx.putInventory(new InventoryEntry(name, s.spec().node(), "1.0.0", home, now));
    }
    for (Lease l : converged.leases()) {
      tx.addLease(l);
    }
    try (Store store = Store.open(data.resolve("store"), StoreOptions.defaults(), clock())) {
      store.commit(tx);
    }
  }

  private static InstantSource clock() {
    return InstantSource.system();
  }
}
