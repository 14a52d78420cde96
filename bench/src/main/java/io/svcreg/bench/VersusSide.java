package io.svcreg.bench;

import static io.svcreg.bench.LoopbackServers.await;
import static java.nio.charset.StandardCharsets.UTF_8;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.svcreg.client.ApiException;
import io.svcreg.client.ClientConfig;
import io.svcreg.client.SvcregClient;
import io.svcreg.registry.Registry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * One side of {@code tools/bench registry --vs-etcd}: a server process on loopback and its clients,
 * one connection each, one request at a time.
 */
abstract sealed class VersusSide permits VersusSide.Svcreg, VersusSide.Etcd {

  /** A lease this long on both sides: nothing expires during the run. */
  static final Duration TTL = Duration.ofHours(1);

  /** One publishing client. */
  interface Publisher extends AutoCloseable {
    /** Publishes (svcreg) or puts with the client's lease (etcd) the entry {@code name}. */
    void publish(String name, int port) throws Exception;

    @Override
    void close();
  }

  abstract String name();

  /** Starts the server and returns once it serves. */
  void start() throws Exception {
    spawn();
    awaitServing();
  }

  /** Starts the server's process and returns at once. */
  abstract void spawn() throws Exception;

  /** Waits until the server started by {@link #spawn} serves. */
  abstract void awaitServing() throws Exception;

  /** Stops the server (SIGTERM) and waits for it. */
  abstract void stop() throws Exception;

  /** Kills the server if it runs (at the end, also after a failure). */
  abstract void kill();

  /** Deletes the server's data (it is stopped). */
  abstract void wipe() throws IOException;

  /** The server process's id (for svcreg the JVM's: the launcher execs it). */
  abstract long pid();

  /** A new connection that publishes. */
  abstract Publisher publisher() throws Exception;

  /**
   * A new connection watching the registry from now on: {@code onName} gets the name of each entry
   * published (created or changed).
   */
  abstract AutoCloseable watch(Consumer<String> onName) throws Exception;

  /** Whether a new client, connecting now, reads the entry {@code name}. */
  abstract boolean firstRead(String name);

  /** Whether something accepts TCP connections on {@code port} of 127.0.0.1 (a cheap probe). */
  static boolean listening(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** svcreg: {@code tools/svcreg serve}, an empty spec directory, wss on a fixed loopback port. */
  static final class Svcreg extends VersusSide {
    private final Path root;
    private final Path specs;
    private final Path data;
    private final Path log;
    private final int port;
    private Process process;
    private volatile ClientConfig config;
    final AtomicLong rateLimited = new AtomicLong();

    Svcreg(Path root, Path dir) throws IOException {
      this.root = root;
      this.specs = Files.createDirectories(dir.resolve("specs"));
      this.data = dir.resolve("svcreg");
      this.log = dir.resolve("svcreg.log");
      this.port = LoopbackServers.freePort();
    }

    @Override
    String name() {
      return "svcreg";
    }

    /**
     * Runs {@code serve} until it keeps an AOT cache (JDK 25+; the class-data archive before), as a
     * user's serve does after its first starts: the first run records, the next creates the cache
     * beside it. Says what it found.
     */
    String prepare() throws Exception {
      Path target = root.resolve("controller/target");
      Path aot = target.resolve("svcreg-serve.aot");
      boolean aotJdk = Runtime.version().feature() >= 25;
      // the launcher deletes a cache that is older than the jar (a build touches it) when it starts
      // serve: a start that found the cache, which was still there once it served, ran with it
      boolean used = false;
      for (int i = 0; i < 4 && !used; i++) {
        boolean before = Files.exists(aot);
        start();
        used = aotJdk ? before && Files.exists(aot) : i > 0;
        // what a serve that publishes and is watched loads
        try (SvcregClient c = SvcregClient.connect(config)) {
          try (AutoCloseable w = watch(n -> {})) {
            try (Publisher p = publisher()) {
              for (int k = 0; k < 20; k++) {
                p.publish("prepare-" + k, 9000 + k);
              }
            }
          }
          c.discover("prepare-0");
        }
        stop();
        if (aotJdk && !used && i >= 1) {
          try {
            await("the AOT cache is created", Duration.ofSeconds(180), () -> Files.exists(aot));
          } catch (IllegalStateException e) {
            // reported below
          }
        }
      }
      wipe();
      if (!aotJdk) {
        return "svcreg: serve's class-data archive is in place (JDK < 25: no AOT cache)";
      }
      return used
          ? "svcreg: serve's AOT cache " + aot + " is in place, as after a user's first starts"
          : "svcreg: serve's AOT cache could not be created (see "
              + aot
              + ".log): serve runs without one";
    }

    @Override
    void spawn() throws IOException {
      Files.deleteIfExists(data.resolve("api.url"));
      process =
          new ProcessBuilder(
                  root.resolve("tools/svcreg").toString(),
                  "serve",
                  "--specs",
                  specs.toString(),
                  "--data",
                  data.toString(),
                  "--listen",
                  "127.0.0.1:" + port)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .start();
    }

    @Override
    void awaitServing() throws Exception {
      Path url = data.resolve("api.url");
      await("svcreg serves its API", Duration.ofSeconds(120), () -> Files.exists(url));
      config =
          LoopbackServers.adminConfig(data, List.of(URI.create(Files.readString(url).strip())));
    }

    @Override
    void stop() throws Exception {
      LoopbackServers.terminate(process);
    }

    @Override
    void kill() {
      LoopbackServers.kill(process);
    }

    @Override
    void wipe() throws IOException {
      BenchFiles.delete(data);
      config = null;
    }

    @Override
    long pid() {
      return process.pid();
    }

    @Override
    Publisher publisher() {
      SvcregClient c = SvcregClient.connect(config);
      return new Publisher() {
        @Override
        public void publish(String name, int port) {
          List<SvcregClient.PublishedApi> apis =
              List.of(new SvcregClient.PublishedApi("http", "127.0.0.1", port, "http"));
          while (true) {
            try {
              c.publish(name, Optional.empty(), apis, Optional.of(TTL));
              return;
            } catch (ApiException e) {
              if (!e.code().equals("rate_limited")) {
                throw e;
              }
              rateLimited.incrementAndGet();
              LockSupport.parkNanos(5_000_000L);
            }
          }
        }

        @Override
        public void close() {
          c.close();
        }
      };
    }

    @Override
    AutoCloseable watch(Consumer<String> onName) throws Exception {
      SvcregClient c = SvcregClient.connect(config);
      try {
        long since = c.call("server_info", Map.of()).path("revision").asLong();
        c.subscribe(
                List.of("service_registered", "service_updated"),
                OptionalLong.of(since),
                e -> {
                  String key = e.key();
                  if (key.startsWith(Registry.KEY_PREFIX)) {
                    onName.accept(key.substring(Registry.KEY_PREFIX.length()));
                  }
                })
            .get(60, TimeUnit.SECONDS);
        return c;
      } catch (Exception e) {
        c.close();
        throw e;
      }
    }

    @Override
    boolean firstRead(String name) {
      if (!listening(port)) {
        return false;
      }
      try (SvcregClient c = SvcregClient.connect(config)) {
        return c.discover(name).size() > 0;
      } catch (RuntimeException e) {
        return false;
      }
    }
  }

  /** etcd: one member of /usr/bin/etcd, plain http; an entry is a key put with a lease. */
  static final class Etcd extends VersusSide {
    private static final String PREFIX = "/svcreg-bench/registry/";
    private final LoopbackServers.Etcd member;
    private final int clientPort;

    Etcd(Path dir) throws IOException {
      this.member = new LoopbackServers.Etcd(dir.resolve("etcd"), dir.resolve("etcd.log"));
      this.clientPort = URI.create(member.endpoint).getPort();
    }

    @Override
    String name() {
      return "etcd";
    }

    private Client client() {
      return Client.builder().endpoints(member.endpoint).build();
    }

    private static ByteSequence bytes(String s) {
      return ByteSequence.from(s, UTF_8);
    }

    @Override
    void spawn() throws IOException {
      member.spawn();
    }

    @Override
    void start() throws Exception {
      member.start();
    }

    @Override
    void awaitServing() {
      // a read answered: it serves
    }

    @Override
    void stop() throws Exception {
      LoopbackServers.terminate(member.process);
    }

    @Override
    void kill() {
      member.kill();
    }

    @Override
    void wipe() throws IOException {
      BenchFiles.delete(member.data);
    }

    @Override
    long pid() {
      return member.process.pid();
    }

    @Override
    Publisher publisher() throws Exception {
      Client c = client();
      try {
        // the usual registration: one lease per client, each entry put with it
        long lease = c.getLeaseClient().grant(TTL.toSeconds()).get(30, TimeUnit.SECONDS).getID();
        PutOption withLease = PutOption.builder().withLeaseId(lease).build();
        return new Publisher() {
          @Override
          public void publish(String name, int port) throws Exception {
            String value =
                "{\"module\":\""
                    + name
                    + "\",\"apis\":[{\"name\":\"http\",\"address\":\"127.0.0.1\",\"port\":"
                    + port
                    + ",\"protocol\":\"http\"}]}";
            c.getKVClient()
                .put(bytes(PREFIX + name), bytes(value), withLease)
                .get(30, TimeUnit.SECONDS);
          }

          @Override
          public void close() {
            c.close();
          }
        };
      } catch (Exception e) {
        c.close();
        throw e;
      }
    }

    @Override
    AutoCloseable watch(Consumer<String> onName) throws Exception {
      Client c = client();
      try {
        long revision =
            c.getKVClient().get(bytes(PREFIX)).get(30, TimeUnit.SECONDS).getHeader().getRevision();
        Watch.Watcher w =
            c.getWatchClient()
                .watch(
                    bytes(PREFIX),
                    WatchOption.builder().isPrefix(true).withRevision(revision + 1).build(),
                    Watch.listener(
                        r -> {
                          for (WatchEvent e : r.getEvents()) {
                            if (e.getEventType() == WatchEvent.EventType.PUT) {
                              onName.accept(
                                  e.getKeyValue()
                                      .getKey()
                                      .toString(UTF_8)
                                      .substring(PREFIX.length()));
                            }
                          }
                        }));
        return () -> {
          w.close();
          c.close();
        };
      } catch (Exception e) {
        c.close();
        throw e;
      }
    }

    @Override
    boolean firstRead(String name) {
      if (!listening(clientPort)) {
        return false;
      }
      try (Client c = client()) {
        return c.getKVClient().get(bytes(PREFIX + name)).get(2, TimeUnit.SECONDS).getCount() > 0;
      } catch (Exception e) {
        return false;
      }
    }
  }
}
