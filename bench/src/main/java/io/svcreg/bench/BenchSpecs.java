package io.svcreg.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A generated spec directory of {@code n} services: {@value #NETWORKS} {@code lan} networks with
 * /16 subnets and {@value #NODES} nodes each, services spread over them round-robin, each depending
 * on 0–2 earlier services of its own network (seeded), {@value #PER_FILE} services per file. Each
 * service has its own package directory (a manifest must carry the service's name).
 */
final class BenchSpecs {

  static final int NETWORKS = 8;
  static final int NODES = 4;
  static final int PER_FILE = 100;

  private final Path root;
  private final int n;
  private final int[][] deps;

  private BenchSpecs(Path root, int n, int[][] deps) {
    this.root = root;
    this.n = n;
    this.deps = deps;
  }

  /** Writes the spec directory for {@code n} services under {@code root}. */
  static BenchSpecs write(Path root, int n, long seed) throws IOException {
    Random random = new Random(seed);
    int[][] deps = new int[n][];
    for (int i = 0; i < n; i++) {
      // Earlier services of the same network have indexes i - NETWORKS, i - 2 * NETWORKS, ...
      int earlier = i / NETWORKS;
      int count = Math.min(earlier, random.nextInt(3));
      int[] d = new int[count];
      for (int k = 0; k < count; k++) {
        int pick;
        do {
          pick = i - NETWORKS * (1 + random.nextInt(earlier));
        } while (contains(d, k, pick));
        d[k] = pick;
      }
      deps[i] = d;
    }
    BenchSpecs specs = new BenchSpecs(root, n, deps);
    specs.writeAll();
    return specs;
  }

  private static boolean contains(int[] a, int len, int v) {
    for (int i = 0; i < len; i++) {
      if (a[i] == v) {
        return true;
      }
    }
    return false;
  }

  /** The spec directory (the packages are beside it, not in it). */
  Path root() {
    return root.resolve("specs");
  }

  /** The number of services. */
  int services() {
    return n;
  }

  /** The number of service files. */
  int files() {
    return (n + PER_FILE - 1) / PER_FILE;
  }

  /** The file that declares service {@code i}. */
  Path fileOf(int i) {
    return serviceFile(i / PER_FILE);
  }

  /** The name of service {@code i}. */
  static String name(int i) {
    return "svc-" + (i % NETWORKS) + "-" + (i / NETWORKS);
  }

  /**
   * Rewrites the file of service {@code i} with {@code env.REV} of that service set to {@code
   * revision} (0: as generated, without {@code REV}).
   */
  void rewrite(int i, int revision) throws IOException {
    int file = i / PER_FILE;
    Files.writeString(serviceFile(file), fileText(file, i, revision));
  }

  private Path serviceFile(int file) {
    return root().resolve("services").resolve("services-%04d.yaml".formatted(file));
  }

  private void writeAll() throws IOException {
    Files.createDirectories(root().resolve("services"));
    Path packages = Files.createDirectories(root.resolve("packages"));
    for (int i = 0; i < n; i++) {
      Path pkg = Files.createDirectories(packages.resolve(name(i)));
      Files.writeString(pkg.resolve("manifest.yaml"), manifest(i));
    }
    Files.writeString(root().resolve("networks.yaml"), networks());
    for (int f = 0; f < files(); f++) {
      Files.writeString(serviceFile(f), fileText(f, -1, 0));
    }
  }

  private static String manifest(int i) {
    return """
        name: %s
        version: "1.0.0"
        service:
          type: managed_process
          ports:
            - {name: http, port: 8080, protocol: tcp}
        """
        .formatted(name(i));
  }

  private static String networks() {
    StringBuilder b = new StringBuilder();
    for (int k = 0; k < NETWORKS; k++) {
      b.append(
          """
          apiVersion: svcreg.io/v1
          kind: Network
          metadata: {name: lan-%d}
          spec:
            type: lan
            subnet: 10.%d.0.0/16
            reserved: [10.%d.0.1]
            nodes:
          """
              .formatted(k, k, k));
      for (int m = 0; m < NODES; m++) {
        b.append(
            "    - {name: node-%d-%d, address: 10.%d.0.%d, ssh: {user: deploy}}\n"
                .formatted(k, m, k, 10 + m));
      }
      b.append("---\n");
    }
    return b.toString();
  }

  private String fileText(int file, int changed, int revision) {
    StringBuilder b = new StringBuilder(PER_FILE * 400);
    int end = Math.min(n, (file + 1) * PER_FILE);
    for (int i = file * PER_FILE; i < end; i++) {
      int net = i % NETWORKS;
      b.append("apiVersion: svcreg.io/v1\nkind: Service\nmetadata:\n  name: ")
          .append(name(i))
          .append("\n  labels: {app: bench, shard: \"")
          .append(file)
          .append("\"}\nspec:\n  version: \"1.0.0\"\n  package: ../../packages/")
          .append(name(i))
          .append("\n  network: lan-")
          .append(net)
          .append("\n  node: node-")
          .append(net)
          .append('-')
          .append((i / NETWORKS) % NODES)
          .append("\n  endpoints: [{name: http, port: 8080, protocol: tcp}]\n");
      if (deps[i].length > 0) {
        List<String> names = new ArrayList<>();
        for (int d : deps[i]) {
          names.add(name(d));
        }
        b.append("  dependsOn: [").append(String.join(", ", names)).append("]\n");
      }
      b.append("  env: {INSTANCE: \"").append(i);
      if (i == changed && revision > 0) {
        b.append("\", REV: \"").append(revision);
      }
      b.append("\"}\n---\n");
    }
    return b.toString();
  }
}
