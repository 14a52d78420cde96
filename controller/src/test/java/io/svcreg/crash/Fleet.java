package io.svcreg.crash;

import io.svcreg.core.ObservedService;
import io.svcreg.core.ObservedState;
import io.svcreg.core.Snapshot;
import io.svcreg.schema.HealthState;
import io.svcreg.schema.Phase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A test's own little fleet: the quick start's packages copied (and renamed or re-versioned) into a
 * temporary directory, a spec directory declaring a {@code local} network of its own inside
 * 127.0.0.0/8 and services on it, and the data directory a controller keeps its state in. Never the
 * quick start's addresses, so tests run while a user's quick start runs.
 */
final class Fleet {

  /**
   * A declared service: name, version and dependencies; its package is {@code
   * packages/{name}-{version}} (see {@link #makePackage}).
   */
  record Svc(String name, String version, List<String> dependsOn) {

    Svc withVersion(String v) {
      return new Svc(name, v, dependsOn);
    }

    /** The package directory this version uses, relative to the spec directory. */
    String packageRef() {
      return "../packages/" + name + "-" + version;
    }
  }

  static final Path EXAMPLES =
      Path.of(System.getProperty("svcreg.project.root", "..")).resolve("examples/packages");

  final Path root;
  final Path specs;
  final Path packages;
  final Path data;
  final Path installRoot;
  final String subnet;
  final int port;
  private final TreeMap<String, Svc> desired = new TreeMap<>();

  private Fleet(Path root, String prefix, int port) {
    this.root = root;
    this.specs = root.resolve("specs");
    this.packages = root.resolve("packages");
    this.data = root.resolve("data");
    this.installRoot = data.resolve("opt");
    this.subnet = prefix + ".0/24";
    this.port = port;
  }

  /** A fleet in {@code root} on a random 127.x.y.0/24 network and a port free on it. */
  static Fleet create(Path root, Random random) {
    String prefix = "127." + (100 + random.nextInt(150)) + "." + (1 + random.nextInt(254));
    try {
      Files.createDirectories(root.resolve("specs"));
      Files.createDirectories(root.resolve("packages"));
      return new Fleet(root, prefix, freePort(prefix + ".1"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Makes package {@code name}-{@code version} from the example package {@code from}: a copy with
   * file modes kept, its manifest naming {@code name} and {@code version}.
   */
  void makePackage(String name, String from, String version) {
    Path source = EXAMPLES.resolve(from);
    Path target = packages.resolve(name + "-" + version);
    try (Stream<Path> files = Files.walk(source)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Path t = target.resolve(source.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
      Path manifest = target.resolve("manifest.yaml");
      String text =
          Files.readString(manifest)
              .replaceFirst("(?m)^name: .*$", "name: " + name)
              .replaceFirst("(?m)^version: .*$", "version: \"" + version + "\"");
      Files.writeString(manifest, text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Declares (or replaces) a service; call {@link #write} to publish. */
  Fleet put(Svc s) {
    desired.put(s.name(), s);
    return this;
  }

  /** Removes a service from the declaration; call {@link #write} to publish. */
  Fleet remove(String name) {
    desired.remove(name);
    return this;
  }

  /** The declared services by name. */
  Map<String, Svc> desired() {
    return new TreeMap<>(desired);
  }

  /** Writes {@code specs/fleet.yaml} atomically (a dot file renamed into place). */
  void write() {
    StringBuilder b = new StringBuilder();
    b.append(
        """
        apiVersion: svcreg.io/v1
        kind: Network
        metadata: {name: crashnet}
        spec:
          type: local
          subnet: %s
        """
            .formatted(subnet));
    for (Svc s : desired.values()) {
      b.append("---\n")
          .append(
              """
              apiVersion: svcreg.io/v1
              kind: Service
              metadata: {name: %s}
              spec:
                version: "%s"
                package: %s
                network: crashnet
                endpoints: [{name: http, port: %d, protocol: http}]
                dependsOn: [%s]
                env: {JAVA_OPTS: "-Xmx32m -XX:+UseSerialGC -XX:TieredStopAtLevel=1"}
                health: {script: scripts/health.sh, interval: 1s, timeout: 2s, failureThreshold: 3}
                rollout: {progressDeadline: 60s, autoRollback: true}
              """
                  .formatted(
                      s.name(),
                      s.version(),
                      s.packageRef(),
                      port,
                      String.join(", ", s.dependsOn())));
    }
    try {
      Path tmp = specs.resolve(".fleet.yaml.tmp");
      Files.writeString(tmp, b.toString());
      Files.move(
          tmp,
          specs.resolve("fleet.yaml"),
          StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The arguments of {@code svcreg serve} for this fleet. */
  List<String> serveArgs(String... more) {
    List<String> args = new ArrayList<>(List.of("serve", "--specs", specs.toString()));
    args.addAll(List.of("--data", data.toString()));
    args.addAll(List.of("--listen", "127.0.0.1:0"));
    args.addAll(List.of(more));
    return args;
  }

  /** The running controller's snapshot, if there is one that can be read. */
  Optional<ObservedState> snapshot() {
    Path file = data.resolve("observed.json");
    try {
      return Files.exists(file) ? Optional.of(Snapshot.read(file)) : Optional.empty();
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * Whether {@code o} shows exactly the declared services, each running its declared version with
   * its current generation applied, an address, and passing health.
   */
  boolean converged(ObservedState o) {
    if (o.services().size() != desired.size() || o.leases().size() != desired.size()) {
      return false;
    }
    for (Svc s : desired.values()) {
      Optional<ObservedService> have = o.service(s.name());
      if (have.isEmpty()) {
        return false;
      }
      var st = have.get().status();
      if (st.phase() != Phase.RUNNING
          || !st.deployedVersion().equals(Optional.of(s.version()))
          || !have.get().spec().version().equals(s.version())
          || st.observedGeneration() != have.get().generation()
          || st.address().isEmpty()
          || st.pid().isEmpty()
          || st.health().state() != HealthState.PASSING) {
        return false;
      }
    }
    return true;
  }

  /** Whether the current snapshot shows convergence. */
  boolean converged() {
    return snapshot().map(this::converged).orElse(false);
  }

  private static int freePort(String ip) throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(InetAddress.getByName(ip), 0));
      return s.getLocalPort();
    }
  }
}
