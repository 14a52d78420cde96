package io.svcreg.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.svcreg.ControllerApp;
import io.svcreg.Waits;
import io.svcreg.registry.Registry;
import io.svcreg.schema.Phase;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry over the real TLS server: the reference registry's HTTP routes driven by {@code
 * curl} as a separate process, and the WebSocket actions, next to a deployed service.
 */
class RegistryApiIT {

  @TempDir static Path tmp;

  static ControllerApp app;
  static ApiServer server;
  static SSLContext ssl;
  static Path ca;
  static String admin;
  static String read;
  static String base;

  static final String SPEC =
      """
      apiVersion: svcreg.io/v1
      kind: Network
      metadata: {name: lo}
      spec: {type: local, subnet: 127.0.43.0/24}
      ---
      apiVersion: svcreg.io/v1
      kind: Service
      metadata: {name: web}
      spec:
        version: "1.0.0"
        package: ../packages/web
        network: lo
        state: %s
        endpoints: [{name: http, port: 8080, protocol: http}]
      """;

  @BeforeAll
  static void start() throws Exception {
    Path specs = Files.createDirectories(tmp.resolve("specs"));
    SleepPackage.write(tmp, "exit 0");
    Files.writeString(specs.resolve("all.yaml"), SPEC.formatted("running"));
    app = ControllerApp.start(ControllerApp.Config.of(specs, tmp.resolve("data")));
    server =
        app.startApi(
            ApiServer.Options.defaults("test").withListen("127.0.0.1", 0),
            Registry.Options.DEFAULTS);
    ca = tmp.resolve("data/tls/ca.crt");
    ssl = TestClient.trusting(ca);
    admin = Files.readString(tmp.resolve("data/tokens/admin.token"));
    read = Files.readString(tmp.resolve("data/tokens/read.token"));
    base = "https://127.0.0.1:" + server.port();
    Waits.atMost(Duration.ofSeconds(60))
        .until(
            () ->
                app.store()
                    .service("web")
                    .map(s -> s.status().phase() == Phase.RUNNING)
                    .orElse(false));
  }

  @AfterAll
  static void stop() throws Exception {
    if (app != null) {
      Files.writeString(tmp.resolve("specs/all.yaml"), SPEC.formatted("stopped"));
      Waits.atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  app.store()
                      .service("web")
                      .map(s -> s.status().phase() == Phase.STOPPED)
                      .orElse(true));
    }
    if (server != null) {
      server.close();
    }
    if (app != null) {
      app.close();
    }
  }

  /** What curl printed: the HTTP status and the body. */
  record Curl(int status, JsonNode body) {}

  /** Runs {@code /usr/bin/curl} as a process against the server; token null: no header. */
  static Curl curl(String method, String path, String token, String body) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.addAll(
        List.of(
            "/usr/bin/curl",
            "-sS",
            "--cacert",
            ca.toString(),
            "-X",
            method,
            "-w",
            "\n%{http_code}"));
    if (token != null) {
      cmd.addAll(List.of("-H", "Authorization: Bearer " + token));
    }
    if (body != null) {
      cmd.addAll(List.of("-H", "Content-Type: application/json", "-d", body));
    }
    cmd.add(base + path);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(Waits.scaled(Duration.ofSeconds(30)).toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("curl did not finish");
    }
    assertThat(p.exitValue()).as("curl exit code; output: %s", out).isZero();
    int cut = out.lastIndexOf('\n');
    String text = out.substring(0, cut).strip();
    return new Curl(
        Integer.parseInt(out.substring(cut + 1).strip()),
        text.isEmpty() ? null : TestClient.JSON.readTree(text));
  }

  static final String REFERENCE_PUBLISH =
      """
      {
        "moduleID": "%s",
        "processID": 1234,
        "apis": [{
          "serviceIDs": ["service1"],
          "serverPort": 50051,
          "protocol": "grpc"
        }]
      }
      """;

  // ------------------------------------------------------------------ HTTP with curl

  @Test
  void curl_referenceRequests_publishDiscoverUnpublish() throws Exception {
    Curl published = curl("POST", "/api/v1/publish", admin, REFERENCE_PUBLISH.formatted("test"));
    assertThat(published.status()).isEqualTo(200);
    assertThat(published.body().get("success").asBoolean()).isTrue();

    Curl found = curl("GET", "/api/v1/discover/test", read, null);
    assertThat(found.status()).isEqualTo(200);
    assertThat(found.body().get("moduleID").asText()).isEqualTo("test");
    JsonNode api = found.body().get("apis").get(0);
    assertThat(api.get("serviceIDs").get(0).asText()).isEqualTo("service1");
    assertThat(api.get("serverPort").asInt()).isEqualTo(50051);
    assertThat(api.get("protocol").asText()).isEqualTo("grpc");
    assertThat(api.get("processID").asLong()).isEqualTo(1234);
    assertThat(api.get("address").asText()).isEqualTo("127.0.0.1"); // curl's own address
    assertThat(api.get("source").asText()).isEqualTo("published");

    Curl removed = curl("DELETE", "/api/v1/unpublish/test", admin, null);
    assertThat(removed.status()).isEqualTo(200);
    assertThat(removed.body().get("success").asBoolean()).isTrue();

    Curl gone = curl("GET", "/api/v1/discover/test", read, null);
    assertThat(gone.status()).isEqualTo(404);
    assertThat(gone.body().get("success").asBoolean()).isFalse();
    assertThat(gone.body().get("error").asText()).isEqualTo("module not found");
  }

  @Test
  void curl_unpublishUnknownOrOtherProcess_succeedsAndKeepsTheEntry() throws Exception {
    curl("POST", "/api/v1/publish", admin, REFERENCE_PUBLISH.formatted("keep"));

    assertThat(curl("DELETE", "/api/v1/unpublish/never-published", admin, null).status())
        .isEqualTo(200);
    Curl other = curl("DELETE", "/api/v1/unpublish/keep?processID=999", admin, null);
    assertThat(other.status()).isEqualTo(200);
    assertThat(other.body().get("removed").asBoolean()).isFalse();
    assertThat(curl("GET", "/api/v1/discover/keep", read, null).status()).isEqualTo(200);

    Curl own = curl("DELETE", "/api/v1/unpublish/keep?processID=1234", admin, null);
    assertThat(own.body().get("removed").asBoolean()).isTrue();
    assertThat(curl("GET", "/api/v1/discover/keep", read, null).status()).isEqualTo(404);
  }

  @Test
  void curl_health_countsModulesApisAndUptime() throws Exception {
    curl("POST", "/api/v1/publish", admin, REFERENCE_PUBLISH.formatted("healthy"));

    Curl h = curl("GET", "/api/v1/health", read, null);

    assertThat(h.status()).isEqualTo(200);
    assertThat(h.body().get("status").asText()).isEqualTo("healthy");
    assertThat(h.body().get("registeredModules").asInt()).isGreaterThanOrEqualTo(1);
    assertThat(h.body().get("totalAPIs").asInt()).isGreaterThanOrEqualTo(1);
    assertThat(h.body().get("uptime").asText()).matches("([0-9]+[hms])+");
    curl("DELETE", "/api/v1/unpublish/healthy", admin, null);
  }

  @Test
  void curl_tokenRules_noTokenWrongTokenAndReadRole() throws Exception {
    Curl none = curl("GET", "/api/v1/health", null, null);
    assertThat(none.status()).isEqualTo(401);
    assertThat(none.body().get("success").asBoolean()).isFalse();
    assertThat(curl("GET", "/api/v1/discover/web", "not-a-token", null).status()).isEqualTo(401);
    assertThat(curl("POST", "/api/v1/publish", null, REFERENCE_PUBLISH.formatted("x")).status())
        .isEqualTo(401);

    Curl readPublish = curl("POST", "/api/v1/publish", read, REFERENCE_PUBLISH.formatted("x"));
    assertThat(readPublish.status()).isEqualTo(403);
    assertThat(readPublish.body().get("error").asText()).contains("admin");
    assertThat(curl("DELETE", "/api/v1/unpublish/x", read, null).status()).isEqualTo(403);
    assertThat(curl("GET", "/api/v1/discover/x", read, null).status()).isEqualTo(404);
  }

  @Test
  void curl_badRequests_400WithOneLineAndNothingStored() throws Exception {
    Curl malformed = curl("POST", "/api/v1/publish", admin, "{not json");
    assertThat(malformed.status()).isEqualTo(400);
    assertThat(malformed.body().get("error").asText()).startsWith("malformed JSON");

    Curl badTtl =
        curl(
            "POST",
            "/api/v1/publish",
            admin,
            """
            {"moduleID": "bad", "apis": [{"serverPort": 1, "protocol": "grpc"}], "ttl": "soon"}""");
    assertThat(badTtl.status()).isEqualTo(400);
    assertThat(badTtl.body().get("error").asText()).contains("ttl").contains("30s");

    Curl badPort =
        curl(
            "POST",
            "/api/v1/publish",
            admin,
            """
            {"moduleID": "bad", "apis": [{"serverPort": 0, "protocol": "grpc"}]}""");
    assertThat(badPort.status()).isEqualTo(400);
    assertThat(curl("GET", "/api/v1/discover/bad", read, null).status()).isEqualTo(404);
  }

  @Test
  void curl_discoverDeployedService_answersFromItsStatus() throws Exception {
    Curl found = curl("GET", "/api/v1/discover/web", read, null);

    assertThat(found.status()).isEqualTo(200);
    JsonNode api = found.body().get("apis").get(0);
    assertThat(api.get("source").asText()).isEqualTo("deployed");
    assertThat(api.get("serverPort").asInt()).isEqualTo(8080);
    assertThat(api.get("address").asText()).startsWith("127.0.43.");
  }

  // ------------------------------------------------------------------ WebSocket

  static Map<String, Object> wsPublish(String module, String process, int port) {
    return Map.of(
        "module",
        module,
        "process",
        process,
        "apis",
        List.of(Map.of("name", "api", "address", "127.0.0.9", "port", port, "protocol", "tcp")),
        "ttl",
        "1m");
  }

  @Test
  void ws_discover_bothWorldsEachMarkedWithItsSource() throws Exception {
    try (TestClient c = TestClient.connect(ssl, server.url(), admin)) {
      JsonNode p = c.request("publish", wsPublish("web", "77", 9000));
      assertThat(p.path("data").path("outcome").asText()).isEqualTo("registered");
      assertThat(p.path("data").path("ttl").asText()).isEqualTo("1m");

      JsonNode d = c.request("discover", Map.of("module", "web")).get("data");

      assertThat(d.get("endpoints"))
          .extracting(
              e ->
                  e.get("source").asText()
                      + " "
                      + e.get("address").asText().startsWith("127.0.43.")
                      + " "
                      + e.get("port").asInt())
          .containsExactlyInAnyOrder("deployed true 8080", "published false 9000");
      JsonNode all = c.request("list_endpoints", Map.of()).get("data").get("endpoints");
      assertThat(all).anyMatch(e -> e.get("source").asText().equals("published"));
      assertThat(
              c.request("unpublish", Map.of("module", "web"))
                  .get("data")
                  .get("removed")
                  .asBoolean())
          .isTrue();
    }
  }

  @Test
  void ws_publishAgain_refreshedWithoutEventAndEventsForChanges() throws Exception {
    try (TestClient c = TestClient.connect(ssl, server.url(), admin)) {
      c.request(
          "subscribe",
          Map.of("events", List.of("service_registered", "service_updated", "service_removed")));
      c.event(); // registry_loaded
      c.request("publish", wsPublish("events", "1", 9001));
      JsonNode again = c.request("publish", wsPublish("events", "1", 9001));
      assertThat(again.get("data").get("outcome").asText()).isEqualTo("refreshed");
      c.request("publish", wsPublish("events", "2", 9001)); // a restarted process
      c.request("unpublish", Map.of("module", "events", "process", "2"));

      List<String> seen = new ArrayList<>();
      while (seen.size() < 3) {
        JsonNode e = c.event();
        if (e.get("key").asText().equals("Published/events")) {
          seen.add(e.get("event").asText() + " " + e.get("data").get("source").asText());
        }
      }
      assertThat(seen)
          .containsExactly(
              "service_registered published",
              "service_updated published",
              "service_removed published");
    }
  }

  @Test
  void ws_subscribe_snapshotListsLivePublishedEntries() throws Exception {
    try (TestClient c = TestClient.connect(ssl, server.url(), admin)) {
      c.request("publish", wsPublish("snap", "5", 9003));
      c.request("subscribe", Map.of());

      JsonNode loaded = c.event();

      assertThat(loaded.get("event").asText()).isEqualTo("registry_loaded");
      assertThat(loaded.get("data").get("published"))
          .anySatisfy(
              e -> {
                assertThat(e.get("module").asText()).isEqualTo("snap");
                assertThat(e.get("source").asText()).isEqualTo("published");
                assertThat(e.get("apis").get(0).get("port").asInt()).isEqualTo(9003);
              });
      c.request("unpublish", Map.of("module", "snap"));
    }
  }

  @Test
  void ws_tokenRules_readMayDiscoverNotPublish() throws Exception {
    try (TestClient c = TestClient.connect(ssl, server.url(), read)) {
      JsonNode p = c.request("publish", wsPublish("ro", "1", 9002));
      assertThat(p.get("error").get("code").asText()).isEqualTo("forbidden");
      JsonNode u = c.request("unpublish", Map.of("module", "ro"));
      assertThat(u.get("error").get("code").asText()).isEqualTo("forbidden");
      JsonNode d = c.request("discover", Map.of("module", "ro"));
      assertThat(d.get("error").get("code").asText()).isEqualTo("not_found");
      assertThat(c.request("discover", Map.of("module", "web")).has("data")).isTrue();
    }
  }

  @Test
  void ws_unpublishUnknownAndBadPublish_noErrorThenBadRequest() throws Exception {
    try (TestClient c = TestClient.connect(ssl, server.url(), admin)) {
      JsonNode u = c.request("unpublish", Map.of("module", "unknown-module"));
      assertThat(u.get("data").get("removed").asBoolean()).isFalse();

      JsonNode bad =
          c.request(
              "publish",
              Map.of(
                  "module",
                  "x",
                  "apis",
                  List.of(
                      Map.of("name", "a", "address", "127.0.0.1", "port", 1, "protocol", "ftp"))));
      assertThat(bad.get("error").get("code").asText()).isEqualTo("bad_request");
      assertThat(bad.get("error").get("message").asText()).contains("protocol \"ftp\"");
      JsonNode unknown =
          c.request("publish", Map.of("module", "x", "apis", List.of(), "colour", 1));
      assertThat(unknown.get("error").get("message").asText()).contains("colour");
    }
  }
}
