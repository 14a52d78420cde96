package io.svcreg.bench;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.svcreg.client.ClientConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What the benchmarks that run servers as separate processes on loopback share: one member of
 * Debian's etcd on free ports, a client configuration with a controller's admin token and CA,
 * waiting for a condition, and the CPU time and RSS of a process.
 */
final class LoopbackServers {

  private LoopbackServers() {}

  /** A condition {@link #await} polls. */
  interface Check {
    boolean holds() throws Exception;
  }

  /** Polls {@code check} every 20 ms until it holds; throws when {@code max} has passed. */
  static void await(String what, Duration max, Check check) throws Exception {
    long deadline = System.nanoTime() + max.toNanos();
    while (!check.holds()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out waiting until " + what);
      }
      sleep(20);
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      return s.getLocalPort();
    }
  }

  /** A client of the controller whose data directory is {@code data}: its CA, its admin token. */
  static ClientConfig adminConfig(Path data, List<URI> servers) throws IOException {
    return ClientConfig.of(
        servers,
        ClientConfig.trusting(data.resolve("tls/ca.crt")),
        "the controller's CA",
        Files.readString(data.resolve("tokens/admin.token")).strip());
  }

  /** The user + system CPU time a process has used so far, from /proc/PID/stat. */
  static long cpuNanos(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
    // the fields after the command's name in parentheses (which may hold spaces): state is the
    // 3rd field, utime the 14th, stime the 15th
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
    // the kernel's USER_HZ, 100 on every Linux architecture svcreg runs on
    return ticks * 10_000_000L;
  }

  /** A process's resident set (VmRSS of /proc/PID/status) in bytes. */
  static long rssBytes(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    throw new IOException("no VmRSS for process " + pid);
  }

  /** Stops a process with SIGTERM and waits for it (SIGKILL after a minute). */
  static void terminate(Process p) throws InterruptedException {
    p.destroy();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** Kills a process, if there is one, and waits a moment for it to be gone. */
  static void kill(Process p) {
    if (p == null) {
      return;
    }
    p.destroyForcibly();
    try {
      p.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** One member of {@code /usr/bin/etcd} on free loopback ports, plain http. */
  static final class Etcd {
    final Path data;
    final Path log;
    final String endpoint;
    private final int peer;
    Process process;

    /** A member whose data goes to {@code data}, its output to {@code log}; not started yet. */
    Etcd(Path data, Path log) throws IOException {
      this.data = data;
      this.log = log;
      this.endpoint = "http://127.0.0.1:" + freePort();
      this.peer = freePort();
    }

    /** Starts the member (on the data it has, if any) and waits until it answers a get. */
    Etcd start() throws Exception {
      process = spawn();
      try (Client c = Client.builder().endpoints(endpoint).build()) {
        await(
            "etcd answers",
            Duration.ofSeconds(30),
            () -> {
              try {
                c.getKVClient().get(ByteSequence.from("x", UTF_8)).get(2, TimeUnit.SECONDS);
                return true;
              } catch (Exception e) {
                return false;
              }
            });
      }
      return this;
    }

    /** Starts the member's process and returns at once. */
    Process spawn() throws IOException {
      String peerUrl = "http://127.0.0.1:" + peer;
      process =
          new ProcessBuilder(
                  "/usr/bin/etcd",
                  "--name",
                  "bench",
                  "--data-dir",
                  data.toString(),
                  "--listen-client-urls",
                  endpoint,
                  "--advertise-client-urls",
                  endpoint,
                  "--listen-peer-urls",
                  peerUrl,
                  "--initial-advertise-peer-urls",
                  peerUrl,
                  "--initial-cluster",
                  "bench=" + peerUrl)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .start();
      return process;
    }

    void kill() {
      LoopbackServers.kill(process);
    }
  }
}
