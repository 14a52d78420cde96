package io.svcreg.bench;

import io.svcreg.ControllerApp;
import io.svcreg.deploy.DeployTimeouts;
import io.svcreg.deploy.InstallOutcome;
import io.svcreg.deploy.ssh.SshDeployer;
import io.svcreg.deploy.ssh.SshTarget;
import io.svcreg.store.Event;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code tools/bench ssh [--nodes both|loopback|containers]}: deploys a 20 MB package to three SSH
 * nodes in parallel with {@link SshDeployer} (fresh sessions, so connecting counts), against the
 * plain tools doing the same work ({@code scp} of the file, then {@code ssh … tar -xzf}); then the
 * time from a new service's spec to {@code running} on one of the nodes through {@link
 * ControllerApp}. Two sets of nodes: OpenSSH servers of this host on 127.0.0.2–4 ({@link
 * LoopbackNodes}, target within 1.5× of the baseline), and container nodes, separate hosts with
 * their own network stack, disk and systemd ({@link ContainerNodes}, image {@code
 * SVCREG_NODE_IMAGE}; target within 1.2×). Exits 1 when a target is missed.
 */
public final class SshBench {

  private static final int REPS = 5;
  private static final int ADDS = 5;

  private SshBench() {}

  /** Runs the benchmark; exits 1 when a target is missed. */
  public static void main(String[] args) throws Exception {
    String which = "both";
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--nodes") && i + 1 < args.length) {
        which = args[++i];
      } else {
        System.err.println("usage: tools/bench ssh [--nodes both|loopback|containers]");
        System.exit(2);
      }
    }
    if (!List.of("both", "loopback", "containers").contains(which)) {
      System.err.println("tools/bench ssh: --nodes is both, loopback or containers, not " + which);
      System.exit(2);
    }
    // the controller's progress lines would drown the figures
    java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING);
    Path dir = Files.createTempDirectory("svcreg-bench-ssh-");
    Path pkg = dir.resolve("big-1.tar.gz");
    boolean ok = true;
    try {
      bigPackage(dir.resolve("pkg"), pkg);
      if (!which.equals("containers")) {
        try (SshNodes nodes = new LoopbackNodes(Files.createDirectories(dir.resolve("loopback")))) {
          ok &= measure(nodes, pkg, dir.resolve("loopback"));
        }
      }
      if (!which.equals("loopback")) {
        String image = System.getenv("SVCREG_NODE_IMAGE");
        if (image == null || image.isBlank()) {
          throw new IllegalStateException(
              "SVCREG_NODE_IMAGE is not set: run the container part through tools/bench ssh, which"
                  + " builds the node image, or pass --nodes loopback");
        }
        try (SshNodes nodes =
            new ContainerNodes(Files.createDirectories(dir.resolve("containers")), image)) {
          ok &= measure(nodes, pkg, dir.resolve("containers"));
        }
      }
    } finally {
      try (var walk = Files.walk(dir)) {
        for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
    System.exit(ok ? 0 : 1);
  }

  /** A package with 20 MB of incompressible data, as {@code .tar.gz}. */
  private static void bigPackage(Path pkg, Path archive) throws IOException {
    Files.createDirectories(pkg.resolve("scripts"));
    Files.createDirectories(pkg.resolve("bin"));
    Files.writeString(pkg.resolve("manifest.yaml"), "name: big\nversion: \"1\"\n");
    for (String s : List.of("start.sh", "stop.sh")) {
      Path p = pkg.resolve("scripts").resolve(s);
      Files.writeString(p, "#!/bin/sh\nexec sleep 1\n");
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    byte[] blob = new byte[20 * 1024 * 1024];
    new Random(42).nextBytes(blob);
    Files.write(pkg.resolve("bin/blob"), blob);
    run("tar", "-czf", archive.toString(), "-C", pkg.toString(), ".");
  }

  /** Both figures on {@code nodes}; whether the deploy target is met. */
  private static boolean measure(SshNodes nodes, Path archive, Path dir) throws Exception {
    List<SshNodes.Node> ns = nodes.nodes();
    System.out.printf(
        Locale.ROOT,
        "%n%s: package %.1f MB .tar.gz to %d nodes%n",
        nodes.describe(),
        Files.size(archive) / 1e6,
        ns.size());
    ExecutorService pool =
        Executors.newFixedThreadPool(
            ns.size(),
            r -> {
              Thread t = new Thread(r, "bench-ssh");
              t.setDaemon(true);
              return t;
            });
    double[] ours = new double[REPS];
    double[] base = new double[REPS];
    for (SshNodes.Node n : ns) {
      ssh(nodes, n, "mkdir -p " + n.base()); // the baseline's directory, not timed
    }
    try {
      // one run more than counted: the first warms up (a controller deploys from a warm JVM)
      for (int run = 0; run <= REPS; run++) {
        int r = run - 1;
        String version = "r" + run;
        // a new file for the controller each run: its check on this host counts, once per run
        Files.setLastModifiedTime(
            archive, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + run));
        long t0 = System.nanoTime();
        List<Future<InstallOutcome>> fs = new ArrayList<>();
        for (int i = 0; i < ns.size(); i++) {
          SshNodes.Node n = ns.get(i);
          SshTarget t =
              new SshTarget(
                  "node" + i,
                  n.host(),
                  n.port(),
                  n.user(),
                  nodes.key(),
                  nodes.knownHosts(),
                  n.base() + "/ours");
          fs.add(
              pool.submit(
                  () -> {
                    try (SshDeployer d =
                        new SshDeployer(
                            t,
                            DeployTimeouts.DEFAULTS,
                            InstantSource.system(),
                            SshDeployer.Options.DEFAULTS)) {
                      return d.install("big", version, archive);
                    }
                  }));
        }
        for (Future<InstallOutcome> f : fs) {
          InstallOutcome o = f.get();
          if (!(o instanceof InstallOutcome.Installed)) {
            throw new IllegalStateException("install failed: " + o);
          }
        }
        double svcreg = (System.nanoTime() - t0) / 1e9;

        long t1 = System.nanoTime();
        List<Future<?>> bs = new ArrayList<>();
        for (SshNodes.Node n : ns) {
          bs.add(pool.submit(() -> baseline(nodes, n, archive, n.base() + "/base-" + version)));
        }
        for (Future<?> f : bs) {
          f.get();
        }
        double plain = (System.nanoTime() - t1) / 1e9;
        System.out.printf(
            Locale.ROOT,
            "%s: svcreg %.2f s, scp + ssh tar %.2f s%n",
            run == 0 ? "warm-up" : "run " + run,
            svcreg,
            plain);
        if (r >= 0) {
          ours[r] = svcreg;
          base[r] = plain;
        }
      }
    } finally {
      pool.shutdownNow();
    }
    double o = median(ours);
    double b = median(base);
    double ratio = o / b;
    boolean ok = ratio <= nodes.target();
    System.out.printf(
        Locale.ROOT,
        "deploy 20 MB to %d nodes in parallel (median of %d): svcreg %.2f s, scp + ssh tar %.2f s,"
            + " ratio %.2f (target <= %.2f) %s%n",
        ns.size(),
        REPS,
        o,
        b,
        ratio,
        nodes.target(),
        ok ? "OK" : "MISSED");
    try {
      specToRunning(nodes, dir);
    } finally {
      nodes.killServices();
    }
    return ok;
  }

  /** What a user would do without svcreg: {@code scp} the archive, then {@code ssh … tar}. */
  private static Void baseline(SshNodes nodes, SshNodes.Node n, Path archive, String target) {
    List<String> scp = new ArrayList<>(List.of("scp", "-q"));
    scp.addAll(options(nodes));
    scp.addAll(
        List.of(
            "-P",
            Integer.toString(n.port()),
            archive.toString(),
            n.user() + "@" + n.host() + ":" + target + ".tar.gz"));
    run(scp.toArray(String[]::new));
    ssh(nodes, n, "mkdir -p " + target + " && tar -xzf " + target + ".tar.gz -C " + target);
    return null;
  }

  /** Runs {@code command} on node {@code n} with OpenSSH's client. */
  private static void ssh(SshNodes nodes, SshNodes.Node n, String command) {
    List<String> ssh = new ArrayList<>(List.of("ssh"));
    ssh.addAll(options(nodes));
    ssh.addAll(List.of("-p", Integer.toString(n.port()), n.user() + "@" + n.host(), command));
    run(ssh.toArray(String[]::new));
  }

  private static List<String> options(SshNodes nodes) {
    return List.of(
        "-i",
        nodes.key().toString(),
        "-o",
        "UserKnownHostsFile=" + nodes.knownHosts(),
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "BatchMode=yes");
  }

  /**
   * The second figures: a new service's spec written into the spec directory of a running {@link
   * ControllerApp} whose {@code lan} network has the first node, until the service is {@code
   * running} there (a small directory package: packed, uploaded, installed, its address configured,
   * started); then a change of each one's {@code env} until it runs again (stopped, started). The
   * first add warms up.
   */
  private static void specToRunning(SshNodes nodes, Path dir) throws IOException {
    SshNodes.Node node = nodes.nodes().get(0);
    Path specs = Files.createDirectories(dir.resolve("specs"));
    Path packages = dir.resolve("packages");
    Files.writeString(
        specs.resolve("network.yaml"),
        String.join(
            "\n",
            "apiVersion: svcreg.io/v1",
            "kind: Network",
            "metadata: {name: lan}",
            "spec:",
            "  type: lan",
            "  subnet: " + nodes.subnet(),
            "  reserved: [" + String.join(", ", nodes.reserved()) + "]",
            "  nodes:",
            "    - name: node-0",
            "      address: " + node.host(),
            "      ssh: {user: "
                + node.user()
                + ", port: "
                + node.port()
                + ", identityFile: "
                + nodes.key()
                + ", knownHosts: "
                + nodes.knownHosts()
                + "}",
            "      installRoot: " + node.base() + "/specs",
            ""));
    int adds = 1 + ADDS;
    for (int k = 0; k < adds; k++) {
      TinyPackage.write(packages.resolve("small-" + k), "small-" + k);
    }
    ControllerBench.Tap tap = new ControllerBench.Tap();
    long[] added = new long[ADDS];
    long[] changed = new long[ADDS];
    try (ControllerApp app =
        ControllerApp.start(
            ControllerBench.config(specs, dir.resolve("data"), dir.resolve("local-root")))) {
      app.controller().addListener(tap);
      for (int k = 0; k < adds; k++) {
        long t = untilRunning(tap, specs, k, "");
        if (k > 0) {
          added[k - 1] = t;
        }
      }
      for (int k = 1; k < adds; k++) {
        changed[k - 1] = untilRunning(tap, specs, k, "  env: {REVISION: \"2\"}\n");
      }
    }
    System.out.printf(
        Locale.ROOT,
        "new service spec → running on node %s (small package, debounce %d ms): %s%n",
        node.host(),
        ControllerBench.DEBOUNCE.toMillis(),
        summary(added));
    System.out.printf(
        Locale.ROOT,
        "spec change (env) → running again (stopped, started): %s%n",
        summary(changed));
  }

  /** Writes service {@code small-k}'s spec and waits until it is {@code running}; nanoseconds. */
  private static long untilRunning(ControllerBench.Tap tap, Path specs, int k, String more)
      throws IOException {
    String name = "small-" + k;
    String svcKey = "Service/" + name;
    tap.clear();
    long t0 = System.nanoTime();
    BenchFiles.writeAtomically(
        specs.resolve(name + ".yaml"),
        String.join(
                "\n",
                "apiVersion: svcreg.io/v1",
                "kind: Service",
                "metadata: {name: " + name + "}",
                "spec:",
                "  version: \"1.0.0\"",
                "  package: ../packages/" + name,
                "  network: lan",
                "  node: node-0",
                "  endpoints: [{name: http, port: " + (8080 + k) + ", protocol: tcp}]",
                "")
            + more);
    ControllerBench.Tap.Seen running =
        tap.await(
            e ->
                e.type().equals(Event.SERVICE_STATE_CHANGED)
                    && e.key().equals(svcKey)
                    && e.dataJson().contains("\"to\":\"running\""));
    return running.nanos() - t0;
  }

  private static String summary(long[] nanos) {
    long[] s = nanos.clone();
    Arrays.sort(s);
    return String.format(
        Locale.ROOT,
        "median %.0f ms, min %.0f ms, max %.0f ms (%d after 1 to warm up)",
        s[s.length / 2] / 1e6,
        s[0] / 1e6,
        s[s.length - 1] / 1e6,
        s.length);
  }

  private static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }

  static void awaitListening(String host, int port) {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      try (Socket sock = new Socket()) {
        sock.connect(new InetSocketAddress(host, port), 200);
        return;
      } catch (IOException e) {
        try {
          Thread.sleep(50);
        } catch (InterruptedException x) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted", x);
        }
      }
    }
    throw new IllegalStateException("sshd on " + host + ":" + port + " did not start");
  }

  /** Runs {@code cmd}; its output. Fails on a non-zero exit. */
  static String run(String... cmd) {
    Ran r = exec(cmd);
    if (r.exit() != 0) {
      throw new IllegalStateException(String.join(" ", cmd) + " failed: " + r.out().strip());
    }
    return r.out();
  }

  /** Runs {@code cmd}; its output whatever its exit status (for cleanup and probes). */
  static String output(String... cmd) {
    return exec(cmd).out();
  }

  /** Whether {@code cmd} exits 0. */
  static boolean succeeds(String... cmd) {
    return exec(cmd).exit() == 0;
  }

  private record Ran(int exit, String out) {}

  private static Ran exec(String... cmd) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      return new Ran(p.waitFor(), out);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
