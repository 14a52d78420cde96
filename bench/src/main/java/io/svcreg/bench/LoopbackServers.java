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
 * waiting for a condition.
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
      if (process != null) {
        process.destroyForcibly();
      }
    }
  }
}
