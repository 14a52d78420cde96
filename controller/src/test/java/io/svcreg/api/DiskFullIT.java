package io.svcreg.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.svcreg.ControllerApp;
import io.svcreg.Waits;
import io.svcreg.core.ObservedService;
import io.svcreg.registry.Registry;
import io.svcreg.schema.Phase;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A controller whose data directory is a small tmpfs that fills up: what it cannot record it does
 * not do, the API answers reads and refuses writes saying why, and it all resumes when space
 * returns, with nothing stored lost.
 */
class DiskFullIT {

  private static final String SPEC =
      """
      apiVersion: svcreg.io/v1
      kind: Network
      metadata: {name: lo}
      spec: {type: local, subnet: 127.0.44.0/24}
      ---
      apiVersion: svcreg.io/v1
      kind: Service
      metadata: {name: web}
      spec:
        version: "1.0.0"
        package: ../packages/web
        network: lo
        env: {COLOUR: %s}
      """;

  @TempDir Path tmp;
  private Path data;
  private boolean mounted;
  private ControllerApp app;
  private ApiServer server;

  @BeforeEach
  void mountSmallDisk() throws Exception {
    data = Files.createDirectories(tmp.resolve("data"));
    Process p =
        new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", data.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes());
    p.waitFor(30, TimeUnit.SECONDS);
    assertThat(p.exitValue()).as("mount a tmpfs (the tests run as root): %s", out).isZero();
    mounted = true;
  }

  @AfterEach
  void cleanUp() throws Exception {
    try {
      if (app != null) {
        Files.deleteIfExists(data.resolve("filler"));
        Files.writeString(
            tmp.resolve("specs/all.yaml"), SPEC.formatted("green") + "  state: stopped\n");
        Waits.atMost(Duration.ofSeconds(60))
            .until(() -> app.store().service("web").map(this::stopped).orElse(true));
      }
    } finally {
      if (server != null) {
        server.close();
      }
      if (app != null) {
        app.close();
      }
      if (mounted) {
        new ProcessBuilder("umount", "-l", data.toString()).start().waitFor(30, TimeUnit.SECONDS);
      }
    }
  }

  private boolean stopped(ObservedService s) {
    return s.status().phase() == Phase.STOPPED;
  }

  @Test
  void dataDiskFull_nothingDoneThatCannotBeRecorded_apiReadOnly_resumesWhenSpaceReturns()
      throws Exception {
    Path specs = Files.createDirectories(tmp.resolve("specs"));
    SleepPackage.write(tmp, "kill \"$SERVICE_PID\"");
    Files.writeString(specs.resolve("all.yaml"), SPEC.formatted("red"));
    app = ControllerApp.start(ControllerApp.Config.of(specs, data));
    server =
        app.startApi(
            ApiServer.Options.defaults("test").withListen("127.0.0.1", 0),
            Registry.Options.DEFAULTS);
    SSLContext ssl = TestClient.trusting(data.resolve("tls/ca.crt"));
    String admin = Files.readString(data.resolve("tokens/admin.token"));
    long pid = awaitRunning("red");
    long revision = app.store().lastRevision();

    fill(2 << 20); // 2 MiB left: less than the store's 8 MiB reserve

    // the spec change would restart the service: that would have to be recorded first
    Files.writeString(specs.resolve("all.yaml"), SPEC.formatted("blue"));
    Waits.atMost(Duration.ofSeconds(30))
        .alias("the store says it is read-only")
        .until(() -> app.store().readOnly().isPresent());
    Waits.atMost(Duration.ofSeconds(10))
        .during(Duration.ofSeconds(3))
        .alias("the service keeps running as it was: nothing done that was not recorded")
        .until(
            () ->
                app.store().service("web").flatMap(s -> s.status().pid()).orElse(0L) == pid
                    && alive(pid));
    assertThat(app.store().lastRevision()).isEqualTo(revision);
    assertThat(app.store().readOnly().orElseThrow())
        .contains("is read-only")
        .contains("KiB free")
        .contains("free some space");

    // reads are answered; writes are refused, saying why
    try (TestClient c = TestClient.connect(ssl, server.url(), admin)) {
      JsonNode info = c.request("server_info", null);
      assertThat(info.path("data").path("readOnly").asText()).contains("is read-only");
      assertThat(c.request("list_services", null).path("data").path("services").size())
          .isEqualTo(1);
      JsonNode refused = c.request("publish", RegistryApiIT.wsPublish("m1", "1", 9000));
      assertThat(refused.path("error").path("code").asText()).isEqualTo("unavailable");
      assertThat(refused.path("error").path("message").asText()).contains("is read-only");
    }
    HttpResponse<String> http =
        TestClient.http(ssl)
            .send(
                HttpRequest.newBuilder(
                        URI.create("https://127.0.0.1:" + server.port() + "/api/v1/publish"))
                    .header("Authorization", "Bearer " + admin)
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            RegistryApiIT.REFERENCE_PUBLISH.formatted("m2")))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(http.statusCode()).isEqualTo(503);
    assertThat(http.body()).contains("unavailable").contains("is read-only");

    // space returns: the change is carried out and recorded, and writes are taken again
    Files.delete(data.resolve("filler"));
    long again = awaitRunning("blue");
    assertThat(again).isNotEqualTo(pid);
    assertThat(app.store().readOnly()).isEmpty();
    try (TestClient c = TestClient.connect(ssl, server.url(), admin)) {
      JsonNode ok = c.request("publish", RegistryApiIT.wsPublish("m1", "1", 9000));
      assertThat(ok.path("data").path("outcome").asText()).isEqualTo("registered");
    }

    // nothing stored was lost: a restarted controller has it all
    long last = app.store().lastRevision();
    server.close();
    server = null;
    app.close();
    app = ControllerApp.start(ControllerApp.Config.of(specs, data));
    assertThat(app.store().lastRevision()).isGreaterThanOrEqualTo(last);
    assertThat(app.store().registryEntry("m1")).isPresent();
    assertThat(app.store().service("web").flatMap(s -> s.status().pid())).contains(again);
  }

  /** Waits until web runs with {@code COLOUR=colour}; its pid. */
  private long awaitRunning(String colour) {
    return Waits.atMost(Duration.ofSeconds(60))
        .alias("web running with COLOUR=" + colour)
        .until(
            () ->
                app.store()
                    .service("web")
                    .filter(s -> s.status().phase() == Phase.RUNNING)
                    .filter(s -> colour.equals(s.spec().env().get("COLOUR")))
                    .flatMap(s -> s.status().pid())
                    .filter(DiskFullIT::alive)
                    .orElse(0L),
            p -> p > 0);
  }

  private static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  /** Fills the data disk with a file until {@code left} bytes are free. */
  private void fill(long left) throws IOException {
    long free = Files.getFileStore(data).getUsableSpace();
    try (RandomAccessFile f = new RandomAccessFile(data.resolve("filler").toFile(), "rw")) {
      byte[] chunk = new byte[1 << 20];
      long want = free - left;
      for (long n = 0; n < want; n += chunk.length) {
        f.write(chunk, 0, (int) Math.min(chunk.length, want - n));
      }
    }
  }
}
