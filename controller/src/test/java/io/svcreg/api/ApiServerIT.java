package io.svcreg.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.svcreg.ControllerApp;
import io.svcreg.Waits;
import io.svcreg.core.SvcregException;
import io.svcreg.registry.Registry;
import io.svcreg.store.Transaction;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The API over real TLS on port 0, with a real controller, driven by the JDK WebSocket client. */
class ApiServerIT {

  @TempDir static Path tmp;

  static ControllerApp app;
  static ApiServer server;
  static SSLContext ssl;
  static String admin;
  static String read;

  @BeforeAll
  static void start() throws Exception {
    Path specs = Files.createDirectories(tmp.resolve("specs"));
    Path pkg = Files.createDirectories(tmp.resolve("packages/db/scripts"));
    Files.writeString(pkg.resolveSibling("manifest.yaml"), "name: db\nversion: \"1.0.0\"\n");
    Files.writeString(pkg.resolve("start.sh"), "#!/bin/sh\nexit 0\n");
    Files.writeString(pkg.resolve("stop.sh"), "#!/bin/sh\nexit 0\n");
    for (String script : List.of("start.sh", "stop.sh")) {
      Files.setPosixFilePermissions(
          pkg.resolve(script),
          java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    Files.writeString(
        specs.resolve("all.yaml"),
        """
        apiVersion: svcreg.io/v1
        kind: Network
        metadata: {name: lo}
        spec: {type: local, subnet: 127.0.42.0/24}
        ---
        apiVersion: svcreg.io/v1
        kind: Service
        metadata: {name: db}
        spec:
          version: "1.0.0"
          package: ../packages/db
          network: lo
          state: stopped
          endpoints: [{name: tcp, port: 5432, protocol: tcp}]
        """);
    app = ControllerApp.start(ControllerApp.Config.of(specs, tmp.resolve("data")));
    server = app.startApi(options(), Registry.Options.DEFAULTS);
    ssl = TestClient.trusting(tmp.resolve("data/tls/ca.crt"));
    admin = Files.readString(tmp.resolve("data/tokens/admin.token"));
    read = Files.readString(tmp.resolve("data/tokens/read.token"));
    Waits.atMost(Duration.ofSeconds(30))
        .until(() -> app.store().service("db").isPresent() && !app.controller().converging());
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
    if (app != null) {
      app.close();
    }
  }

  static ApiServer.Options options() {
    return ApiServer.Options.defaults("test").withListen("127.0.0.1", 0);
  }

  static TestClient connect(ApiServer s, String token) throws Exception {
    return TestClient.connect(ssl, s.url(), token);
  }

  /** Journals {@code n} events of {@code bytes} of padding each, in commits of at most 100. */
  static long journal(int n, int bytes) {
    String pad = "x".repeat(bytes);
    long last = 0;
    for (int done = 0; done < n; ) {
      Transaction tx = new Transaction();
      for (int i = 0; i < 100 && done < n; i++, done++) {
        tx.event("service_updated", "Service/t", Map.of("n", done, "pad", pad));
      }
      last = app.store().commit(tx).getLast().revision();
    }
    return last;
  }

  static long oldest() {
    return ((io.svcreg.store.EventsSince.Expired) app.store().eventsSince(Long.MIN_VALUE))
        .oldestRetained();
  }

  static String code(JsonNode response) {
    return response.path("error").path("code").asText("none");
  }

  // ------------------------------------------------------------------ files and routes

  @Test
  void start_firstStart_writesUrlTlsFilesAndOwnerOnlyTokens() throws Exception {
    Path data = tmp.resolve("data");
    ApiServer another = app.startApi(options(), Registry.Options.DEFAULTS);
    assertThat(Files.readString(data.resolve("api.url"))).isEqualTo(another.url());
    assertThat(another.url()).matches("wss://127\\.0\\.0\\.1:\\d+/v1/ws");
    another.close();
    assertThat(data.resolve("api.url")).doesNotExist();
    for (String f : List.of("tls/ca.crt", "tls/server.crt", "tls/server.key", "tls/ca.key")) {
      assertThat(data.resolve(f)).exists();
    }
    for (String f : List.of("tokens/admin.token", "tokens/read.token", "tls/server.key")) {
      assertThat(Files.getPosixFilePermissions(data.resolve(f)))
          .extracting(Object::toString)
          .containsExactlyInAnyOrder("OWNER_READ", "OWNER_WRITE");
    }
    assertThat(admin).hasSizeGreaterThanOrEqualTo(43).doesNotContain("\n").isNotEqualTo(read);
    assertThat(server.describe()).anyMatch(l -> l.contains("ca.crt") && l.contains("SHA-256"));
  }

  @Test
  void routes_overHttps_healthReadyAndPrometheusMetrics() throws Exception {
    String base = server.url().replace("wss://", "https://").replace("/v1/ws", "");
    var http = TestClient.http(ssl);
    var health =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/healthz")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).isEqualTo("ok\n");
    var ready =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/readyz")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(ready.statusCode()).isEqualTo(200);
    try (TestClient c = connect(server, admin)) {
      c.request("server_info", null);
      var metrics =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.headers().firstValue("content-type"))
          .hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
      assertThat(metrics.body())
          .contains("svcreg_reconciles_total ")
          .contains("svcreg_reconcile_queue_depth ")
          .contains("svcreg_reconcile_queue_wait_seconds_bucket")
          .contains("svcreg_events_total{event=\"reconcile_diff\"}")
          .contains("svcreg_deploy_duration_seconds_count")
          .contains("svcreg_api_connections ")
          .contains("svcreg_api_requests_total{action=\"server_info\",outcome=\"ok\"}");
    }
  }

  @Test
  void start_portTaken_failsWithOneClearLine() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      var options =
          ApiServer.Options.defaults("test").withListen("127.0.0.1", taken.getLocalPort());
      assertThatThrownBy(() -> app.startApi(options, Registry.Options.DEFAULTS))
          .isInstanceOf(SvcregException.class)
          .hasMessageContaining("cannot listen on 127.0.0.1:" + taken.getLocalPort())
          .hasMessageContaining("--listen");
    }
  }

  // ------------------------------------------------------------------ TLS

  @Test
  void tls_usersPemFiles_servedAndTrustedThroughTheirCa() throws Exception {
    Path own = tmp.resolve("own");
    TlsMaterial.generated(own, "127.0.0.1", java.time.Instant.now());
    ApiServer s =
        app.startApi(
            options().withTls(own.resolve("server.crt"), own.resolve("server.key")),
            Registry.Options.DEFAULTS);
    try (TestClient c =
        TestClient.connect(TestClient.trusting(own.resolve("ca.crt")), s.url(), read)) {
      assertThat(c.request("server_info", null).path("data").path("role").asText())
          .isEqualTo("read");
      assertThat(s.describe())
          .anyMatch(l -> l.contains("certificate " + own.resolve("server.crt")));
    } finally {
      s.close();
    }
    assertThatThrownBy(() -> connect(s, admin)).isInstanceOf(Exception.class);
  }

  @Test
  void tls_plaintextWebSocket_fails() {
    String plain = server.url().replace("wss://", "ws://");
    var http = java.net.http.HttpClient.newHttpClient();
    assertThatThrownBy(
            () ->
                http.newWebSocketBuilder()
                    .buildAsync(URI.create(plain), new java.net.http.WebSocket.Listener() {})
                    .join())
        .isInstanceOf(CompletionException.class);
  }

  @Test
  void tls_clientNotTrustingTheCa_fails() throws Exception {
    SSLContext defaults = SSLContext.getDefault();
    assertThatThrownBy(() -> TestClient.connect(defaults, server.url(), admin))
        .isInstanceOf(ExecutionException.class)
        .hasRootCauseInstanceOf(java.security.cert.CertPathBuilderException.class);
  }

  // ------------------------------------------------------------------ auth

  @Test
  void auth_wrongTokenOnUpgrade_http401() {
    assertThatThrownBy(() -> connect(server, "not-a-token"))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(WebSocketHandshakeException.class)
        .satisfies(
            e ->
                assertThat(((WebSocketHandshakeException) e).getResponse().statusCode())
                    .isEqualTo(401));
  }

  @Test
  void auth_noHeader_onlyAuthRequestThenRole() throws Exception {
    try (TestClient c = connect(server, null)) {
      assertThat(code(c.request("list_services", null))).isEqualTo("unauthorized");
      assertThat(code(c.request("auth", Map.of("token", "wrong")))).isEqualTo("unauthorized");
      JsonNode ok = c.request("auth", Map.of("token", read));
      assertThat(ok.path("data").path("role").asText()).isEqualTo("read");
      assertThat(c.request("list_services", null).has("data")).isTrue();
      assertThat(c.request("auth", Map.of("token", admin)).path("data").path("role").asText())
          .isEqualTo("admin");
    }
  }

  @Test
  void auth_threeFailedAuthRequests_close1008() throws Exception {
    try (TestClient c = connect(server, null)) {
      for (int i = 0; i < 3; i++) {
        assertThat(code(c.request("auth", Map.of("token", "wrong" + i)))).isEqualTo("unauthorized");
      }
      assertThat(c.closed().code()).isEqualTo(1008);
    }
  }

  @Test
  void auth_readToken_mutationsForbidden() throws Exception {
    try (TestClient c = connect(server, read)) {
      assertThat(c.request("server_info", null).path("data").path("role").asText())
          .isEqualTo("read");
      assertThat(code(c.request("apply", Map.of("text", "x: 1")))).isEqualTo("forbidden");
      assertThat(code(c.request("service_action", Map.of("name", "db", "action", "start"))))
          .isEqualTo("forbidden");
      assertThat(code(c.request("deploy_package", Map.of("name", "db")))).isEqualTo("forbidden");
      assertThat(c.request("plan", null).has("data")).isTrue();
    }
  }

  // ------------------------------------------------------------------ actions

  @Test
  void actions_readActions_answerFromTheStore() throws Exception {
    try (TestClient c = connect(server, admin)) {
      JsonNode info = c.request("server_info", null).path("data");
      assertThat(info.path("protocol").asInt()).isEqualTo(1);
      assertThat(info.path("version").asText()).isEqualTo("test");
      assertThat(info.path("revision").asLong()).isEqualTo(app.store().lastRevision());
      assertThat(info.path("oldestRevision").asLong()).isEqualTo(oldest());
      assertThat(info.path("role").asText()).isEqualTo("admin");
      assertThat(info.path("specs").asText()).isEqualTo(tmp.resolve("specs").toString());
      assertThat(info.path("limits").path("maxMessageBytes").asInt()).isEqualTo(1 << 20);
      assertThat(info.path("limits").path("outboundQueue").asInt()).isEqualTo(1024);
      assertThat(info.path("limits").path("requestsPerSecond").isIntegralNumber()).isTrue();

      JsonNode services = c.request("list_services", null).path("data");
      assertThat(services.path("services").findValuesAsText("name")).contains("db");
      JsonNode db = c.request("get_service", Map.of("name", "db")).path("data");
      assertThat(db.path("metadata").path("name").asText()).isEqualTo("db");
      assertThat(db.path("spec").path("version").asText()).isEqualTo("1.0.0");
      assertThat(code(c.request("get_service", Map.of("name", "nope")))).isEqualTo("not_found");
      assertThat(code(c.request("get_service", null))).isEqualTo("bad_request");

      JsonNode nets = c.request("list_networks", null).path("data");
      assertThat(nets.path("networks").get(0).path("metadata").path("name").asText())
          .isEqualTo("lo");
      assertThat(
              c.request("get_network", Map.of("name", "lo"))
                  .path("data")
                  .path("spec")
                  .path("subnet")
                  .asText())
          .isEqualTo("127.0.42.0/24");
      assertThat(code(c.request("get_network", Map.of("name", "x")))).isEqualTo("not_found");

      JsonNode eps = c.request("list_endpoints", null).path("data");
      assertThat(eps.has("revision")).isTrue();
      for (JsonNode e : eps.path("endpoints")) {
        assertThat(e.path("source").asText()).isEqualTo("deployed");
      }
      assertThat(code(c.request("list_endpoints", Map.of("service", "x")))).isEqualTo("not_found");

      JsonNode events = c.request("list_events", Map.of("limit", 2)).path("data");
      assertThat(events.path("revision").asLong()).isEqualTo(app.store().lastRevision());
      assertThat(events.path("events")).hasSize(2);
      assertThat(events.path("events").get(0).path("revision").asLong()).isEqualTo(1);
      assertThat(events.path("events").get(0).has("type")).isFalse();
      assertThat(events.path("events").get(0).has("event")).isTrue();
      assertThat(code(c.request("list_events", Map.of("limit", 0)))).isEqualTo("bad_request");
      assertThat(code(c.request("list_events", Map.of("events", List.of("nope")))))
          .isEqualTo("bad_request");
    }
  }

  @Test
  void actions_planAndApply_likeTheCli() throws Exception {
    try (TestClient c = connect(server, admin)) {
      JsonNode plan = c.request("plan", null).path("data");
      assertThat(plan.has("changes")).isTrue();
      assertThat(plan.path("problems")).isEmpty();
      assertThat(plan.has("sourceRevision")).as("the spec directory is not in Git").isFalse();

      String net =
          """
          apiVersion: svcreg.io/v1
          kind: Network
          metadata: {name: other}
          spec: {type: local, subnet: 127.0.43.0/24}
          """;
      JsonNode docs =
          c.request("plan", Map.of("documents", List.of(Map.of("name", "n.yaml", "text", net))))
              .path("data");
      // the given documents are the whole desired state: lo and db would go, other comes
      assertThat(docs.toString()).contains("other").contains("db");
      assertThat(docs.has("sourceRevision")).isFalse();
      JsonNode broken =
          c.request(
                  "plan",
                  Map.of("documents", List.of(Map.of("name", "b.yaml", "text", "kind: Nope\n"))))
              .path("data");
      assertThat(broken.path("problems")).isNotEmpty();
      assertThat(broken.path("problems").get(0).path("file").asText()).isEqualTo("b.yaml");

      JsonNode applied = c.request("apply", Map.of("text", net, "name", "net.yaml"));
      assertThat(applied.path("data").path("resources").get(0).path("outcome").asText())
          .isEqualTo("created");
      assertThat(tmp.resolve("specs/network-other.yaml")).exists();
      JsonNode bad = c.request("apply", Map.of("text", "kind: Network\nmetadata: {name: X}\n"));
      assertThat(code(bad)).isEqualTo("bad_request");
      assertThat(bad.path("error").path("details").path("problems")).isNotEmpty();
      Waits.atMost(Duration.ofSeconds(20))
          .until(
              () ->
                  app.store().observed().networks().stream()
                      .anyMatch(n -> n.metadata().name().equals("other")));
    }
  }

  @Test
  void actions_serviceActionAndDeployPackage_recordedWithTheirRevision() throws Exception {
    try (TestClient c = connect(server, admin)) {
      JsonNode stop = c.request("service_action", Map.of("name", "db", "action", "stop"));
      assertThat(stop.path("data").path("name").asText()).isEqualTo("db");
      assertThat(stop.path("data").path("action").asText()).isEqualTo("stop");
      long rev = stop.path("data").path("revision").asLong();
      JsonNode recorded =
          c.request("list_events", Map.of("since", rev - 1, "limit", 1))
              .path("data")
              .path("events")
              .get(0);
      assertThat(recorded.path("revision").asLong()).isEqualTo(rev);
      assertThat(recorded.path("event").asText()).isEqualTo("service_updated");
      assertThat(recorded.path("data").path("action").asText()).isEqualTo("stop");

      // the spec says state: stopped, so start contradicts it
      assertThat(code(c.request("service_action", Map.of("name", "db", "action", "start"))))
          .isEqualTo("conflict");
      assertThat(code(c.request("service_action", Map.of("name", "nope", "action", "stop"))))
          .isEqualTo("not_found");
      assertThat(code(c.request("service_action", Map.of("name", "db", "action", "explode"))))
          .isEqualTo("bad_request");

      JsonNode deploy = c.request("deploy_package", Map.of("name", "db"));
      assertThat(deploy.path("data").path("name").asText()).isEqualTo("db");
      assertThat(deploy.path("data").path("version").asText()).isEqualTo("1.0.0");
      long drev = deploy.path("data").path("revision").asLong();
      JsonNode requested =
          c.request("list_events", Map.of("since", drev - 1, "limit", 1))
              .path("data")
              .path("events")
              .get(0);
      assertThat(requested.path("event").asText()).isEqualTo("deployment_progress");
      assertThat(requested.path("data").path("phase").asText()).isEqualTo("requested");
      assertThat(code(c.request("deploy_package", Map.of("name", "nope")))).isEqualTo("not_found");
    }
  }

  @Test
  void messages_malformedJsonAndUnknownAction_keepTheConnection() throws Exception {
    try (TestClient c = connect(server, admin)) {
      c.sendText("{not json");
      JsonNode r = c.response("null");
      assertThat(code(r)).isEqualTo("bad_request");
      assertThat(r.get("id").isNull()).isTrue();
      c.sendText("[1,2]");
      assertThat(code(c.response("null"))).isEqualTo("bad_request");
      assertThat(code(c.request("frobnicate", null))).isEqualTo("unknown_action");
      assertThat(code(c.request("publish", Map.of()))).isEqualTo("bad_request");
      c.sendText("{\"id\":\"t1\",\"type\":\"gossip\",\"action\":\"server_info\"}");
      assertThat(code(c.response("t1"))).isEqualTo("unknown_action");
      c.sendText("{\"id\":\"p1\",\"type\":\"request\",\"action\":\"server_info\",\"params\":[]}");
      assertThat(code(c.response("p1"))).isEqualTo("bad_request");
      c.sendFragments(
          List.of("{\"id\":\"f1\",\"type\":", "\"request\",\"action\":\"server_info\"}"));
      assertThat(c.response("f1").path("data").path("protocol").asInt()).isEqualTo(1);
      assertThat(c.request("server_info", null).has("data")).isTrue();
      assertThat(c.isClosed()).isFalse();
    }
  }

  // ------------------------------------------------------------------ events

  @Test
  void subscribe_withoutSince_snapshotThenLiveEvents() throws Exception {
    try (TestClient c = connect(server, read)) {
      JsonNode r = c.request("subscribe", null).path("data");
      long start = r.path("revision").asLong();
      JsonNode snap = c.event();
      assertThat(snap.path("event").asText()).isEqualTo("registry_loaded");
      assertThat(snap.path("revision").asLong()).isEqualTo(start);
      assertThat(snap.path("data").path("services").findValuesAsText("name")).contains("db");
      assertThat(snap.path("data").path("networks")).isNotEmpty();
      long last = journal(3, 10);
      for (long rev = start + 1; rev <= last; rev++) {
        JsonNode e = c.event();
        assertThat(e.path("revision").asLong()).isEqualTo(rev);
        if (rev > last - 3) {
          assertThat(e.path("event").asText()).isEqualTo("service_updated");
          assertThat(e.path("key").asText()).isEqualTo("Service/t");
          assertThat(e.path("time").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*\\.\\d{3}Z");
          assertThat(e.path("data").has("n")).isTrue();
        }
      }
      assertThat(c.request("unsubscribe", null).path("data").path("subscribed")).isEmpty();
      c.drainEvents();
      journal(1, 10);
      c.request("server_info", null);
      assertThat(c.drainEvents()).isEmpty();
    }
  }

  @Test
  void subscribe_since_replaysThenLiveWithoutGapOrDuplicate() throws Exception {
    long from = journal(5, 10) - 5;
    try (TestClient c = connect(server, admin)) {
      JsonNode r = c.request("subscribe", Map.of("since", from)).path("data");
      assertThat(r.path("revision").asLong()).isEqualTo(from);
      long last = journal(5, 10);
      for (long rev = from + 1; rev <= last; rev++) {
        assertThat(c.event().path("revision").asLong()).isEqualTo(rev);
      }
      // later events (the controller's own) follow without a gap
      c.request("server_info", null);
      long expect = last + 1;
      for (JsonNode e : c.drainEvents()) {
        assertThat(e.path("revision").asLong()).isEqualTo(expect++);
      }
    }
  }

  @Test
  void subscribe_sinceWhileTheControllerCommits_noGapNoDuplicate() throws Exception {
    long from = app.store().lastRevision();
    Thread writer =
        Thread.ofPlatform()
            .start(
                () -> {
                  for (int i = 0; i < 300; i++) {
                    app.store()
                        .commit(new Transaction().event("service_updated", "Service/c", Map.of()));
                  }
                });
    try (TestClient a = connect(server, admin);
        TestClient b = connect(server, admin)) {
      a.request("subscribe", Map.of("since", from));
      b.request("subscribe", null);
      JsonNode snap = b.event();
      writer.join();
      long last = app.store().lastRevision();
      long expect = from + 1;
      while (expect <= last) {
        assertThat(a.event().path("revision").asLong()).isEqualTo(expect++);
      }
      expect = snap.path("revision").asLong() + 1;
      while (expect <= last) {
        assertThat(b.event().path("revision").asLong()).isEqualTo(expect++);
      }
    }
  }

  @Test
  void subscribe_sinceFarBehindWhileEventsKeepComing_catchesUpWithoutBeingCutOff()
      throws Exception {
    // a replay many times the queue's size while the controller keeps committing: the replay is
    // paced by the writer and reads what arrives meanwhile from the journal, so the watcher is
    // neither cut off nor given a gap or a duplicate
    ApiServer small =
        app.startApi(
            options().withLimits(1 << 20, 1024, 100, 200, 16, 4L << 20), Registry.Options.DEFAULTS);
    long from = app.store().lastRevision();
    journal(500, 10);
    Thread writer =
        Thread.ofPlatform()
            .start(
                () -> {
                  for (int i = 0; i < 300; i++) {
                    app.store()
                        .commit(new Transaction().event("service_updated", "Service/c", Map.of()));
                  }
                });
    try (TestClient c = connect(small, read)) {
      c.request("subscribe", Map.of("since", from));
      writer.join();
      long last = app.store().lastRevision();
      long expect = from + 1;
      while (expect <= last) {
        assertThat(c.event().path("revision").asLong()).isEqualTo(expect++);
      }
      assertThat(small.hub().connections()).hasSize(1).noneMatch(Connection::cutOff);
      long more = journal(3, 10);
      while (expect <= more) {
        assertThat(c.event().path("revision").asLong()).isEqualTo(expect++);
      }
    } finally {
      writer.join();
      small.close();
    }
  }

  @Test
  void subscribe_liveWatcherStopsReadingAWhile_catchesUpWithoutBeingCutOff() throws Exception {
    // a watcher that does not read for a while (its writer did not run on a busy machine, or a
    // burst came) fills its queue; that alone does not cut it off: it catches up from the journal,
    // paced by what it reads, including the events committed while its queue was full
    ApiServer small =
        app.startApi(
            options().withLimits(1 << 20, 1024, 100, 200, 16, 4L << 20), Registry.Options.DEFAULTS);
    try (TestClient c = connect(small, read)) {
      long from = app.store().lastRevision();
      c.request("subscribe", Map.of("since", from));
      c.stall();
      for (int round = 0; round < 200 && !full(small, 16) && !closing(small); round++) {
        journal(100, 4096);
      }
      assertThat(full(small, 16)).as("the watcher's queue is full").isTrue();
      long last = journal(100, 4096);
      c.resume();
      for (long expect = from + 1; expect <= last; expect++) {
        assertThat(c.event().path("revision").asLong()).isEqualTo(expect);
      }
      assertThat(small.hub().connections()).hasSize(1).noneMatch(Connection::cutOff);
      long more = journal(3, 10);
      for (long expect = last + 1; expect <= more; expect++) {
        assertThat(c.event().path("revision").asLong()).isEqualTo(expect);
      }
    } finally {
      small.close();
    }
  }

  @Test
  void subscribe_filter_onlyNamedEvents() throws Exception {
    try (TestClient c = connect(server, admin)) {
      long from = app.store().lastRevision();
      c.request("subscribe", Map.of("since", from, "events", List.of("spec_error")));
      app.store()
          .commit(
              new Transaction()
                  .event("service_updated", "Service/t", Map.of())
                  .event("spec_error", "", Map.of("message", "m")));
      JsonNode e = c.event();
      assertThat(e.path("event").asText()).isEqualTo("spec_error");
      assertThat(e.path("data").path("message").asText()).isEqualTo("m");
      assertThat(e.path("revision").asLong()).isGreaterThanOrEqualTo(from + 2);
      assertThat(code(c.request("subscribe", Map.of("events", List.of("nope")))))
          .isEqualTo("bad_request");
    }
  }

  @Test
  void subscribe_sinceOutOfRange_revisionExpired() throws Exception {
    try (TestClient c = connect(server, admin)) {
      long last = app.store().lastRevision();
      JsonNode newer = c.request("subscribe", Map.of("since", last + 10));
      assertThat(code(newer)).isEqualTo("revision_expired");
      assertThat(newer.path("error").path("details").path("revision").asLong()).isEqualTo(last);
      assertThat(newer.path("error").path("details").path("oldestRevision").asLong()).isEqualTo(1);
      assertThat(code(c.request("subscribe", Map.of("since", -5)))).isEqualTo("revision_expired");
      assertThat(code(c.request("list_events", Map.of("since", last + 10))))
          .isEqualTo("revision_expired");
    }
  }

  @Test
  void fanOut_twoWatchers_seeTheSameEvents() throws Exception {
    try (TestClient a = connect(server, admin);
        TestClient b = connect(server, read)) {
      long from = app.store().lastRevision();
      a.request("subscribe", Map.of("since", from));
      b.request("subscribe", Map.of("since", from));
      long last = journal(50, 100);
      List<Long> seenA = new ArrayList<>();
      List<Long> seenB = new ArrayList<>();
      while (seenA.size() < last - from) {
        seenA.add(a.event().path("revision").asLong());
      }
      while (seenB.size() < last - from) {
        seenB.add(b.event().path("revision").asLong());
      }
      assertThat(seenA).isEqualTo(seenB);
      assertThat(seenA.getFirst()).isEqualTo(from + 1);
      assertThat(seenA.getLast()).isEqualTo(last);
    }
  }

  @Test
  void fanOut_stalledWatcher_cutOffWith1008WhileHealthyOneKeepsReceiving() throws Exception {
    ApiServer small =
        app.startApi(
            options()
                .withLimits(1 << 20, 1024, 100, 200, 256, 4L << 20)
                .withTimings(Duration.ofSeconds(2), Duration.ofSeconds(30), Duration.ofMinutes(5)),
            Registry.Options.DEFAULTS);
    try (TestClient healthy = connect(small, read);
        TestClient stalled = connect(small, read)) {
      long from = app.store().lastRevision();
      healthy.request("subscribe", Map.of("since", from));
      stalled.request("subscribe", Map.of("since", from));
      stalled.stall();
      long last = from;
      long received = from;
      // the healthy one has read every event at the end of a round: a full queue is the stalled
      // one's; the round after finds no room in it, and the stalled one is cut off once it has
      // read nothing for the replay timeout
      boolean wasFull = false;
      for (int round = 0; round < 200 && !cutOff(small) && !wasFull; round++) {
        wasFull = full(small, 256);
        last = journal(100, 4096);
        while (received < last) {
          received = healthy.event().path("revision").asLong();
        }
      }
      Waits.atMost(Duration.ofSeconds(20)).until(() -> cutOff(small));
      assertThat(cutOff(small)).as("the stalled watcher is cut off").isTrue();
      // the healthy watcher goes on
      long more = journal(10, 10);
      while (received < more) {
        long next = healthy.event().path("revision").asLong();
        assertThat(next).isEqualTo(received + 1);
        received = next;
      }
      stalled.resume();
      TestClient.Closed closed = stalled.closed();
      assertThat(closed.code()).isEqualTo(1008);
      assertThat(closed.reason()).startsWith("outbound queue full; resume with since=");
      long resume = Long.parseLong(closed.reason().replaceAll(".*since=", ""));
      List<JsonNode> got = stalled.drainEvents();
      long lastGot = got.isEmpty() ? from : got.getLast().path("revision").asLong();
      assertThat(resume).isEqualTo(lastGot);
      for (int i = 0; i < got.size(); i++) {
        assertThat(got.get(i).path("revision").asLong()).isEqualTo(from + 1 + i);
      }
      // resuming with since gets the rest, without a gap
      try (TestClient again = connect(small, read)) {
        again.request("subscribe", Map.of("since", resume));
        assertThat(again.event().path("revision").asLong()).isEqualTo(resume + 1);
      }
    } finally {
      small.close();
    }
  }

  @Test
  void fanOut_watcherThatNeverReadsAgain_droppedAfterTheCloseGrace() throws Exception {
    ApiServer small =
        app.startApi(
            options()
                .withLimits(1 << 20, 1024, 100, 200, 256, 4L << 20)
                .withTimings(Duration.ofSeconds(2), Duration.ofSeconds(30), Duration.ofMillis(200)),
            Registry.Options.DEFAULTS);
    try (TestClient healthy = connect(small, read);
        TestClient stalled = connect(small, read)) {
      long from = app.store().lastRevision();
      healthy.request("subscribe", Map.of("since", from));
      stalled.request("subscribe", Map.of("since", from));
      stalled.stall();
      long received = from;
      boolean wasFull = false;
      for (int round = 0;
          round < 200 && small.hub().connections().size() == 2 && !wasFull;
          round++) {
        wasFull = full(small, 256);
        long last = journal(100, 4096);
        while (received < last) {
          received = healthy.event().path("revision").asLong();
        }
      }
      Waits.atMost(Duration.ofSeconds(20)).until(() -> small.hub().connections().size() == 1);
      assertThat(healthy.request("server_info", null).has("data")).isTrue();
    } finally {
      small.close();
    }
  }

  private static boolean cutOff(ApiServer s) {
    return s.hub().connections().stream().anyMatch(Connection::cutOff)
        || s.hub().connections().size() < 2;
  }

  /** Whether a connection is being closed or gone (of one). */
  private static boolean closing(ApiServer s) {
    return s.hub().connections().size() != 1
        || s.hub().connections().stream().anyMatch(Connection::cutOff);
  }

  /** Whether a connection's outbound queue holds {@code limit} messages (it has no room). */
  private static boolean full(ApiServer s, int limit) {
    return s.hub().connections().stream().anyMatch(c -> c.queued() >= limit);
  }

  // ------------------------------------------------------------------ RFC 6455

  @Test
  void rfc6455_closeCodeAPeerMayNotSend_answeredWith1002() throws Exception {
    try (RawFrames raw = RawFrames.connect(ssl, server.url(), admin)) {
      raw.sendClose(999);
      assertThat(raw.readClose().closeCode()).isEqualTo(1002);
    }
    try (RawFrames raw = RawFrames.connect(ssl, server.url(), admin)) {
      raw.sendClose(1001);
      assertThat(raw.readClose().closeCode()).isEqualTo(1001);
    }
  }

  @Test
  void rfc6455_pingOver125Bytes_close1002AndPingAnsweredWithPong() throws Exception {
    try (RawFrames raw = RawFrames.connect(ssl, server.url(), admin)) {
      raw.send(true, 0x9, "hi".getBytes(java.nio.charset.StandardCharsets.UTF_8));
      RawFrames.Frame pong = raw.read();
      assertThat(pong.opcode()).isEqualTo(0xA);
      assertThat(new String(pong.payload(), java.nio.charset.StandardCharsets.UTF_8))
          .isEqualTo("hi");
      raw.send(true, 0x9, new byte[200]);
      assertThat(raw.readClose().closeCode()).isEqualTo(1002);
    }
  }

  // ------------------------------------------------------------------ limits

  @Test
  void limits_messageOverOneMebibyte_close1009() throws Exception {
    try (TestClient c = connect(server, admin)) {
      String big =
          "{\"id\":\"b\",\"type\":\"request\",\"action\":\"x\",\"p\":\""
              + "y".repeat(1 << 20)
              + "\"}";
      c.sendText(big);
      assertThat(c.closed().code()).isEqualTo(1009);
    }
    try (TestClient c = connect(server, admin)) {
      String half = "y".repeat(600_000);
      c.sendFragments(List.of("{\"id\":\"b\",\"p\":\"" + half, half + "\"}"));
      assertThat(c.closed().code()).isEqualTo(1009);
    }
    try (TestClient c = connect(server, admin)) {
      assertThat(c.request("server_info", null).has("data")).isTrue();
    }
  }

  @Test
  void limits_requestRate_sharedByTheRoleAcrossConnectionsAndHttps() throws Exception {
    ApiServer slow =
        app.startApi(
            options().withLimits(1 << 20, 1024, 0.001, 5, 1024, 4L << 20),
            Registry.Options.DEFAULTS);
    try (TestClient c = connect(slow, admin)) {
      for (int i = 0; i < 5; i++) {
        assertThat(c.request("server_info", null).has("data")).isTrue();
      }
      JsonNode limited = c.request("server_info", null);
      assertThat(code(limited)).isEqualTo("rate_limited");
      assertThat(limited.path("error").path("message").asText())
          .contains("admin token", "--requests-per-second");
      assertThat(limited.path("id").asText()).startsWith("r");
      assertThat(c.isClosed()).isFalse();
      // another connection with the same token shares the limit; so does HTTPS
      try (TestClient other = connect(slow, admin)) {
        assertThat(code(other.request("server_info", null))).isEqualTo("rate_limited");
      }
      HttpResponse<String> http =
          java.net.http.HttpClient.newBuilder()
              .sslContext(ssl)
              .build()
              .send(
                  HttpRequest.newBuilder(
                          URI.create(
                              slow.url()
                                  .replace("wss://", "https://")
                                  .replace("/v1/ws", "/api/v1/discover/x")))
                      .header("Authorization", "Bearer " + admin)
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(http.statusCode()).isEqualTo(429);
      assertThat(http.headers().firstValue("Retry-After")).contains("1");
      assertThat(http.body()).contains("rate_limited");
      // the read role has a bucket of its own
      try (TestClient reader = connect(slow, read)) {
        assertThat(reader.request("server_info", null).has("data")).isTrue();
      }
    } finally {
      slow.close();
    }
  }

  @Test
  void limits_connections_http503OverTheLimit() throws Exception {
    ApiServer two =
        app.startApi(
            options().withLimits(1 << 20, 2, 100, 200, 1024, 4L << 20), Registry.Options.DEFAULTS);
    try (TestClient a = connect(two, admin);
        TestClient b = connect(two, read)) {
      assertThatThrownBy(() -> connect(two, admin))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOf(WebSocketHandshakeException.class)
          .satisfies(
              e ->
                  assertThat(((WebSocketHandshakeException) e).getResponse().statusCode())
                      .isEqualTo(503));
      assertThat(a.request("server_info", null).has("data")).isTrue();
      b.disconnect();
      Waits.atMost(Duration.ofSeconds(10)).until(() -> two.hub().connections().size() == 1);
      try (TestClient c = connect(two, admin)) {
        assertThat(c.request("server_info", null).has("data")).isTrue();
      }
    } finally {
      two.close();
    }
  }
}
