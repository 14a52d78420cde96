package io.svcreg.bench;

import io.svcreg.ControllerApp;
import io.svcreg.deploy.DeployTimeouts;
import io.svcreg.deploy.InstallOutcome;
import io.svcreg.deploy.ssh.SshDeployer;
import io.svcreg.deploy.ssh.SshTarget;
import io.svcreg.store.Event;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
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
 * {@code tools/bench ssh}: deploys a 20 MB package to three OpenSSH nodes on 127.0.0.2–4 in
 * parallel with {@link SshDeployer} (fresh sessions, so connecting counts), against the plain tools
 * doing the same work ({@code scp} of the file, then {@code ssh … tar -xzf}); target: within 1.5×
 * of the baseline. Needs {@code /usr/sbin/sshd}, {@code scp} and {@code ssh}; starts and stops its
 * own sshd instances in a temporary directory. Then, as a second figure, the time from a new
 * service's spec to {@code running} on one of those nodes through {@link ControllerApp}.
 */
public final class SshBench {

  private static final String[] HOSTS = {"127.0.0.2", "127.0.0.3", "127.0.0.4"};
  private static final int REPS = 5;
  private static final int ADDS = 5;

  private SshBench() {}

  /** Runs the benchmark; exits 1 when the target is missed. */
  public static void main(String[] args) throws Exception {
    Path dir = Files.createTempDirectory("svcreg-bench-ssh-");
    List<Process> servers = new ArrayList<>();
    String user = System.getProperty("user.name");
    boolean ok;
    try {
      Path key = dir.resolve("id_ed25519");
      run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.toString());
      Path known = dir.resolve("known_hosts");
      int[] ports = new int[HOSTS.length];
      StringBuilder knownText = new StringBuilder();
      for (int i = 0; i < HOSTS.length; i++) {
        Path node = Files.createDirectories(dir.resolve("node" + i));
        ports[i] = freePort(HOSTS[i]);
        servers.add(sshd(node, HOSTS[i], ports[i], key));
        String pub = Files.readString(node.resolve("host.pub")).trim();
        String[] f = pub.split(" ");
        knownText.append('[').append(HOSTS[i]).append("]:").append(ports[i]);
        knownText.append(' ').append(f[0]).append(' ').append(f[1]).append('\n');
      }
      Files.writeString(known, knownText);
      for (int i = 0; i < HOSTS.length; i++) {
        awaitListening(HOSTS[i], ports[i]);
      }
      Path pkg = dir.resolve("pkg");
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
      Path archive = dir.resolve("big-1.tar.gz");
      run("tar", "-czf", archive.toString(), "-C", pkg.toString(), ".");
      System.out.printf(
          Locale.ROOT,
          "package: %.1f MB .tar.gz, %d nodes on %s%n",
          Files.size(archive) / 1e6,
          HOSTS.length,
          String.join(", ", HOSTS));

      ExecutorService pool =
          Executors.newFixedThreadPool(
              HOSTS.length,
              r -> {
                Thread t = new Thread(r, "bench-ssh");
                t.setDaemon(true);
                return t;
              });
      double[] ours = new double[REPS];
      double[] base = new double[REPS];
      for (int r = 0; r < REPS; r++) {
        String version = "r" + r;
        // a new file for the controller each run: its check on this host counts, once per run
        Files.setLastModifiedTime(
            archive, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + r));
        long t0 = System.nanoTime();
        List<Future<InstallOutcome>> fs = new ArrayList<>();
        for (int i = 0; i < HOSTS.length; i++) {
          SshTarget t =
              new SshTarget(
                  "node" + i,
                  HOSTS[i],
                  ports[i],
                  user,
                  key,
                  known,
                  dir.resolve("ours" + i).toString());
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
        ours[r] = (System.nanoTime() - t0) / 1e9;

        long t1 = System.nanoTime();
        List<Future<?>> bs = new ArrayList<>();
        for (int i = 0; i < HOSTS.length; i++) {
          int n = i;
          bs.add(
              pool.submit(
                  () -> {
                    String target = dir.resolve("base" + n + "-" + version).toString();
                    List<String> opts =
                        List.of(
                            "-i",
                            key.toString(),
                            "-o",
                            "UserKnownHostsFile=" + known,
                            "-o",
                            "StrictHostKeyChecking=yes",
                            "-o",
                            "BatchMode=yes");
                    List<String> scp = new ArrayList<>(List.of("scp", "-q"));
                    scp.addAll(opts);
                    scp.addAll(
                        List.of(
                            "-P",
                            Integer.toString(ports[n]),
                            archive.toString(),
                            user + "@" + HOSTS[n] + ":" + target + ".tar.gz"));
                    run(scp.toArray(String[]::new));
                    List<String> ssh = new ArrayList<>(List.of("ssh"));
                    ssh.addAll(opts);
                    ssh.addAll(
                        List.of(
                            "-p",
                            Integer.toString(ports[n]),
                            user + "@" + HOSTS[n],
                            "mkdir -p "
                                + target
                                + " && tar -xzf "
                                + target
                                + ".tar.gz -C "
                                + target));
                    run(ssh.toArray(String[]::new));
                    return null;
                  }));
        }
        for (Future<?> f : bs) {
          f.get();
        }
        base[r] = (System.nanoTime() - t1) / 1e9;
        System.out.printf(
            Locale.ROOT, "run %d: svcreg %.2f s, scp + ssh tar %.2f s%n", r + 1, ours[r], base[r]);
      }
      pool.shutdown();
      double o = median(ours);
      double b = median(base);
      double ratio = o / b;
      ok = ratio <= 1.5;
      System.out.printf(
          Locale.ROOT,
          "deploy 20 MB to 3 nodes in parallel: svcreg %.2f s, baseline %.2f s, ratio %.2f"
              + " (target <= 1.50) %s%n",
          o,
          b,
          ratio,
          ok ? "OK" : "MISSED");
      specToRunning(dir, ports[0], key, known, user);
    } finally {
      TinyPackage.killAll(dir.resolve("remote-root"));
      for (Process p : servers) {
        p.destroy();
        p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
      }
      try (var walk = Files.walk(dir)) {
        for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
    System.exit(ok ? 0 : 1);
  }

  /**
   * The second figure: a new service's spec written into the spec directory of a running {@link
   * ControllerApp} whose network has one SSH node, until the service is {@code running} there (a
   * small directory package: packed, uploaded, installed, started). The first add warms up.
   */
  private static void specToRunning(Path dir, int port, Path key, Path known, String user)
      throws IOException {
    Path specs = Files.createDirectories(dir.resolve("specs"));
    Path packages = dir.resolve("packages");
    Path root = dir.resolve("remote-root");
    Files.writeString(
        specs.resolve("network.yaml"),
        String.join(
            "\n",
            "apiVersion: svcreg.io/v1",
            "kind: Network",
            "metadata: {name: lan}",
            "spec:",
            "  type: lan",
            "  subnet: 127.0.0.0/24",
            "  reserved: [127.0.0.1]",
            "  nodes:",
            "    - name: node-0",
            "      address: " + HOSTS[0],
            "      ssh: {user: "
                + user
                + ", port: "
                + port
                + ", identityFile: "
                + key
                + ", knownHosts: "
                + known
                + "}",
            "      installRoot: " + root,
            ""));
    int adds = 1 + ADDS;
    for (int k = 0; k < adds; k++) {
      TinyPackage.write(packages.resolve("small-" + k), "small-" + k);
    }
    ControllerBench.Tap tap = new ControllerBench.Tap();
    long[] took = new long[ADDS];
    try (ControllerApp app =
        ControllerApp.start(
            ControllerBench.config(specs, dir.resolve("data"), dir.resolve("local-root")))) {
      app.controller().addListener(tap);
      for (int k = 0; k < adds; k++) {
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
                ""));
        ControllerBench.Tap.Seen running =
            tap.await(
                e ->
                    e.type().equals(Event.SERVICE_STATE_CHANGED)
                        && e.key().equals(svcKey)
                        && e.dataJson().contains("\"to\":\"running\""));
        if (k > 0) {
          took[k - 1] = running.nanos() - t0;
        }
      }
    }
    Arrays.sort(took);
    System.out.printf(
        Locale.ROOT,
        "new service spec → running on an SSH node (small package, ControllerApp, debounce %d ms):"
            + " median %.0f ms, min %.0f ms, max %.0f ms (%d adds after 1 to warm up)%n",
        ControllerBench.DEBOUNCE.toMillis(),
        took[took.length / 2] / 1e6,
        took[0] / 1e6,
        took[took.length - 1] / 1e6,
        ADDS);
  }

  private static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }

  private static Process sshd(Path dir, String host, int port, Path clientKey) throws IOException {
    Files.createDirectories(Path.of("/run/sshd"));
    run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir.resolve("host").toString());
    Files.copy(Path.of(clientKey + ".pub"), dir.resolve("authorized_keys"));
    Path config = dir.resolve("sshd_config");
    Files.writeString(
        config,
        String.join(
            "\n",
            "Port " + port,
            "ListenAddress " + host,
            "HostKey " + dir.resolve("host"),
            "PidFile " + dir.resolve("sshd.pid"),
            "AuthorizedKeysFile " + dir.resolve("authorized_keys"),
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "StrictModes no",
            "LogLevel ERROR",
            "Subsystem sftp /usr/lib/openssh/sftp-server",
            ""));
    return new ProcessBuilder("/usr/sbin/sshd", "-D", "-e", "-f", config.toString())
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("sshd.log").toFile())
        .start();
  }

  private static void awaitListening(String host, int port) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(host, port), 200);
        return;
      } catch (IOException e) {
        Thread.sleep(50);
      }
    }
    throw new IllegalStateException("sshd on " + host + ":" + port + " did not start");
  }

  private static int freePort(String ip) throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(InetAddress.getByName(ip), 0));
      return s.getLocalPort();
    }
  }

  private static void run(String... cmd) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (p.waitFor() != 0) {
        throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out.strip());
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
