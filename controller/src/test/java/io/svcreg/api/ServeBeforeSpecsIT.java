package io.svcreg.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.svcreg.ControllerApp;
import io.svcreg.Waits;
import io.svcreg.registry.Registry;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A restart as {@code serve} does it: the API serves the store as soon as it is open ({@link
 * ControllerApp#open}) while the spec directory may still be read; a plan or a command right then
 * waits for the reading instead of taking the specs for empty, and nothing is torn down.
 */
class ServeBeforeSpecsIT {

  private static final int SERVICES = 300;

  @TempDir Path tmp;

  @Test
  void restart_specsStillBeingRead_storeServedAndPlanWaitsForTheSpecs() throws Exception {
    Path specs = specs();
    Path data = tmp.resolve("data");
    ControllerApp.Config config = ControllerApp.Config.of(specs, data);
    try (ControllerApp first = ControllerApp.start(config)) {
      Waits.atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  first.store().observed().services().size() == SERVICES
                      && !first.controller().converging());
    }
    // a named pipe among the specs holds the next reading of the directory until it is written
    Path late = specs.resolve("zz-late.yaml");
    Process mkfifo = new ProcessBuilder("mkfifo", late.toString()).inheritIO().start();
    assertThat(mkfifo.waitFor()).isZero();

    ControllerApp app = ControllerApp.open(config);
    try (ApiServer server =
        app.startApi(
            ApiServer.Options.defaults("test").withListen("127.0.0.1", 0),
            Registry.Options.DEFAULTS)) {
      SSLContext ssl = TestClient.trusting(data.resolve("tls/ca.crt"));
      String admin = Files.readString(data.resolve("tokens/admin.token"));
      try (TestClient c = TestClient.connect(ssl, server.url(), admin);
          TestClient planner = TestClient.connect(ssl, server.url(), admin);
          TestClient commander = TestClient.connect(ssl, server.url(), admin)) {
        // what the store holds is served while the spec directory is being read
        JsonNode one = c.request("get_service", Map.of("name", "svc-7")).path("data");
        assertThat(one.toString()).contains("\"svc-7\"");
        assertThat(c.request("list_services", null).path("data").toString()).contains("svc-299");
        assertThat(app.specsRead()).as("the reading waits for the pipe").isNotDone();

        // a plan and a command wait for the reading instead of taking the specs for empty
        CompletableFuture<JsonNode> plan = inBackground(() -> planner.request("plan", null));
        CompletableFuture<JsonNode> stop =
            inBackground(
                () ->
                    commander.request("service_action", Map.of("name", "svc-3", "action", "stop")));
        Files.writeString(late, "# nothing declared here\n");
        Files.delete(late);

        JsonNode planned = plan.get(60, TimeUnit.SECONDS).path("data");
        assertThat(planned.path("problems")).as(planned.toString()).isEmpty();
        assertThat(planned.path("changes").size()).as(planned.toString()).isZero();
        JsonNode stopped = stop.get(60, TimeUnit.SECONDS);
        assertThat(stopped.has("error")).as(stopped.toString()).isFalse();
      }
      app.specsRead().get(60, TimeUnit.SECONDS);
      assertThat(app.store().observed().services()).hasSize(SERVICES);
    } finally {
      // a failure above must be reported, not leave the reading (and so the close) waiting for
      // the pipe: opened for reading and writing, it does not wait for a reader
      if (Files.exists(late)) {
        try (FileChannel pipe =
            FileChannel.open(late, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
          pipe.write(ByteBuffer.wrap("# nothing declared here\n".getBytes(StandardCharsets.UTF_8)));
        }
        Files.delete(late);
      }
      app.close();
    }
  }

  /** Runs a blocking request on a thread of its own. */
  private static CompletableFuture<JsonNode> inBackground(Callable<JsonNode> request) {
    CompletableFuture<JsonNode> f = new CompletableFuture<>();
    Thread.ofVirtual()
        .start(
            () -> {
              try {
                f.complete(request.call());
              } catch (Exception e) {
                f.completeExceptionally(e);
              }
            });
    return f;
  }

  private Path specs() throws Exception {
    Path specs = Files.createDirectories(tmp.resolve("specs"));
    Files.writeString(
        specs.resolve("network.yaml"),
        """
        apiVersion: svcreg.io/v1
        kind: Network
        metadata: {name: lo}
        spec: {type: local, subnet: 127.0.44.0/22}
        """);
    for (int i = 0; i < SERVICES; i++) {
      Path pkg = Files.createDirectories(tmp.resolve("packages/svc-" + i + "/scripts"));
      Files.writeString(
          pkg.resolveSibling("manifest.yaml"), "name: svc-" + i + "\nversion: \"1.0.0\"\n");
      for (String script : List.of("start.sh", "stop.sh")) {
        Files.writeString(pkg.resolve(script), "#!/bin/sh\nexit 0\n");
        Files.setPosixFilePermissions(
            pkg.resolve(script), PosixFilePermissions.fromString("rwxr-xr-x"));
      }
      Files.writeString(
          specs.resolve("svc-" + i + ".yaml"),
          """
          apiVersion: svcreg.io/v1
          kind: Service
          metadata: {name: svc-%d}
          spec:
            version: "1.0.0"
            package: ../packages/svc-%d
            network: lo
            state: stopped
          """
              .formatted(i, i));
    }
    return specs;
  }
}
