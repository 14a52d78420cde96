package io.svcreg.client;

import static java.nio.file.StandardCopyOption.COPY_ATTRIBUTES;

import io.svcreg.ControllerApp;
import io.svcreg.Waits;
import io.svcreg.api.ApiServer;
import io.svcreg.registry.Registry;
import io.svcreg.schema.Phase;
import io.svcreg.store.Transaction;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A real controller with its real API server on 127.0.0.1 (port 0, generated TLS and tokens), in a
 * test's temporary directory: network {@code local} and service {@code web} (a {@code sleep}).
 */
public final class LiveApi implements AutoCloseable {

  /** The argv[0] of the services these tests start, so that cleanup kills only those. */
  static final String PROCESS_NAME = "svcreg-api-test-sleep";

  private final Path root;
  private final Path data;
  private ControllerApp app;
  private ApiServer server;
  private int port;

  private LiveApi(Path root, Path data, ControllerApp app, ApiServer server) {
    this.root = root;
    this.data = data;
    this.app = app;
    this.server = server;
    this.port = server.port();
  }

  /** {@link #start(Path, String)} with the data directory {@code root/data}. */
  public static LiveApi start(Path root) {
    return start(root, "data");
  }

  /**
   * Writes the specs, starts the controller (data directory {@code root/dataName}) and the API, and
   * waits until web runs.
   */
  public static LiveApi start(Path root, String dataName) {
    try {
      Path specs = Files.createDirectories(root.resolve("specs"));
      pkg(root.resolve("packages/web"), "web");
      Files.writeString(
          specs.resolve("network.yaml"),
          """
          apiVersion: svcreg.io/v1
          kind: Network
          metadata: {name: local}
          spec: {type: local, subnet: 127.0.0.0/24, reserved: [127.0.0.1]}
          """);
      Files.writeString(
          specs.resolve("web.yaml"),
          """
          apiVersion: svcreg.io/v1
          kind: Service
          metadata: {name: web}
          spec:
            version: "1.0.0"
            package: ../packages/web
            network: local
            endpoints: [{name: http, port: 8080, protocol: http}]
          """);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ControllerApp app =
        ControllerApp.start(ControllerApp.Config.of(root.resolve("specs"), root.resolve(dataName)));
    ApiServer server;
    try {
      server = app.startApi(options().withListen("127.0.0.1", 0), Registry.Options.DEFAULTS);
    } catch (RuntimeException e) {
      app.close();
      throw e;
    }
    LiveApi live = new LiveApi(root, root.resolve(dataName), app, server);
    Waits.atMost(Duration.ofSeconds(60))
        .until(
            () ->
                app.store()
                    .service("web")
                    .map(s -> s.status().phase() == Phase.RUNNING)
                    .orElse(false));
    return live;
  }

  /**
   * Starts another controller (data directory {@code root/data}) as {@link #start(Path)} does, with
   * the CA and the tokens of {@code group}, as the members of a high-availability group share them:
   * a client of one trusts and is let in by the other.
   */
  public static LiveApi startMember(Path root, LiveApi group) {
    try {
      Path tls = Files.createDirectories(root.resolve("data/tls"));
      for (String f : List.of("ca.crt", "ca.key")) {
        Files.copy(group.data().resolve("tls").resolve(f), tls.resolve(f), COPY_ATTRIBUTES);
      }
      Path tokens = Files.createDirectories(root.resolve("data/tokens"));
      for (String role : List.of("admin", "read")) {
        String f = role + ".token";
        Files.copy(group.data().resolve("tokens").resolve(f), tokens.resolve(f), COPY_ATTRIBUTES);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return start(root);
  }

  /**
   * Starts one more API server of this controller on another port: the same store (so the same
   * journal), CA and tokens, as another member of a group serves the same log. {@code api.url}
   * keeps naming the first server. The caller closes it.
   */
  public ApiServer startAnotherServer() {
    ApiServer another =
        app.startApi(options().withListen("127.0.0.1", 0), Registry.Options.DEFAULTS);
    try {
      Files.writeString(data.resolve(ApiServer.URL_FILE), server.url());
    } catch (IOException e) {
      another.close();
      throw new UncheckedIOException(e);
    }
    return another;
  }

  private static ApiServer.Options options() {
    return ApiServer.Options.defaults("test");
  }

  /** The controller. */
  public ControllerApp app() {
    return app;
  }

  /** The data directory (api.url, tls/, tokens/). */
  public Path data() {
    return data;
  }

  /** The spec directory. */
  public Path specs() {
    return root.resolve("specs");
  }

  /** The URL the API listens on. */
  public URI url() {
    return URI.create(server.url());
  }

  /** A token of a role ({@code admin} or {@code read}). */
  public String token(String role) {
    try {
      return Files.readString(data().resolve("tokens/" + role + ".token")).strip();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A client configuration with the generated CA and a role's token; reconnects fast. */
  public ClientConfig config(String role) {
    return ClientConfig.of(
            url(), ClientConfig.trusting(data().resolve("tls/ca.crt")), "the test CA", token(role))
        .withReconnect(Duration.ofMillis(20), new java.util.Random(7));
  }

  /** Journals {@code n} events directly in the store; returns the last revision. */
  public long emit(int n) {
    long last = -1;
    for (int i = 0; i < n; i++) {
      var events = app.store().commit(diffs(1, i));
      last = events.get(events.size() - 1).revision();
    }
    return last;
  }

  /**
   * Journals {@code n} events that share one revision, as a replicated (HA) controller's commit
   * does ({@link io.svcreg.store.Store#applyReplicated}): {@code reconcile_diff} events of
   * generations 0 to n - 1. Returns that revision.
   */
  public long emitShared(int n) {
    Transaction tx = diffs(n, 0);
    while (true) {
      long revision = app.store().lastRevision() + 1;
      if (!app.store().applyReplicated(tx, revision).isEmpty()) {
        return revision;
      }
      // the controller committed meanwhile and took that revision
    }
  }

  /** A transaction of {@code n} {@code reconcile_diff} events of web, from generation {@code g}. */
  private static Transaction diffs(int n, int g) {
    Transaction tx = new Transaction();
    for (int i = g; i < g + n; i++) {
      tx.event(
          "reconcile_diff",
          "Service/web",
          Map.of("change", "update", "generation", i, "fields", List.of()));
    }
    return tx;
  }

  /** Stops the API server (connections drop) and starts it again on the same port. */
  public void restartServer() {
    whileServerStopped(() -> {});
  }

  /**
   * Stops the API server (connections drop), runs {@code meanwhile} (the controller goes on), and
   * starts the server again on the same port.
   */
  public void whileServerStopped(Runnable meanwhile) {
    server.close();
    try {
      meanwhile.run();
    } finally {
      server = app.startApi(options().withListen("127.0.0.1", port), Registry.Options.DEFAULTS);
    }
  }

  /**
   * Stops the API server and the controller (the services keep running) and starts both again on
   * the same data directory and port, as a restart of {@code svcreg serve} does.
   */
  public void restartController() {
    ControllerApp.Config config = app.config();
    server.close();
    app.close();
    app = ControllerApp.start(config);
    server = app.startApi(options().withListen("127.0.0.1", port), Registry.Options.DEFAULTS);
  }

  @Override
  public void close() {
    try {
      server.close();
    } finally {
      app.close();
      killServices(data.resolve("opt"));
    }
  }

  /**
   * Writes a package {@code name} 1.0.0 into {@code dir} whose service sleeps (and is killed when
   * this closes), with a health script that prints "ok".
   */
  public static void pkg(Path dir, String name) throws IOException {
    Files.createDirectories(dir.resolve("scripts"));
    Files.writeString(
        dir.resolve("manifest.yaml"),
        """
        name: %s
        version: "1.0.0"
        """
            .formatted(name));
    script(
        dir.resolve("scripts/start.sh"),
        "mkdir -p \"$SERVICE_HOME/run\"\n"
            + "echo \"$$\" >\"$SERVICE_HOME/run/service.pid\"\n"
            + "exec -a "
            + PROCESS_NAME
            + " sleep 600");
    script(
        dir.resolve("scripts/stop.sh"), "kill -TERM -- \"-${SERVICE_PID:?}\" 2>/dev/null || true");
    script(dir.resolve("scripts/health.sh"), "echo ok");
  }

  private static void script(Path file, String body) throws IOException {
    Files.writeString(file, "#!/usr/bin/env bash\n" + body + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private static void killServices(Path installRoot) {
    if (!Files.isDirectory(installRoot)) {
      return;
    }
    try (Stream<Path> homes = Files.list(installRoot)) {
      homes
          .map(h -> h.resolve("run/service.pid"))
          .filter(Files::isRegularFile)
          .forEach(
              f -> {
                try {
                  long pid = Long.parseLong(Files.readString(f).strip());
                  Optional<ProcessHandle> p = ProcessHandle.of(pid);
                  p.filter(h -> h.info().commandLine().orElse("").contains("sleep"))
                      .ifPresent(ProcessHandle::destroyForcibly);
                } catch (IOException | NumberFormatException e) {
                  // nothing to kill
                }
              });
    } catch (IOException e) {
      // nothing to kill
    }
  }
}
