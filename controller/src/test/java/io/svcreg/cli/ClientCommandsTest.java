package io.svcreg.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.svcreg.client.ClientConfig;
import io.svcreg.client.Event;
import io.svcreg.core.Plan;
import io.svcreg.core.SvcregException;
import io.svcreg.schema.Json;
import io.svcreg.schema.Problem;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client commands without a server: defaults, usage errors, rendering, unreachable servers. */
class ClientCommandsTest {

  @TempDir Path tmp;

  private Path data() throws IOException {
    Path data = Files.createDirectories(tmp.resolve("data"));
    Files.createDirectories(data.resolve("tokens"));
    Files.writeString(data.resolve("api.url"), "wss://127.0.0.1:9443/v1/ws\n");
    Files.writeString(data.resolve("tokens/admin.token"), "admin-secret");
    Files.writeString(data.resolve("tokens/read.token"), "read-secret");
    return data;
  }

  @Test
  void packages_sameReferenceForTwoDifferentPackages_refusedNamingBothPlaces() throws IOException {
    Map<String, Path> files = new LinkedHashMap<>();
    for (String dir : new String[] {"a", "b"}) {
      Path pkg = Files.createDirectories(tmp.resolve(dir).resolve("packages/c"));
      Files.writeString(pkg.resolve("manifest.yaml"), "name: c\nversion: \"1\"\n# " + dir + "\n");
      Path spec =
          Files.writeString(
              tmp.resolve(dir).resolve("c.yaml"),
              "apiVersion: svcreg.io/v1\nkind: Service\nmetadata: {name: c}\n"
                  + "spec: {version: \"1\", package: packages/c, network: local}\n");
      files.put(dir + "/c.yaml", spec);
    }

    assertThatThrownBy(() -> RemoteApply.packages(files))
        .isInstanceOf(SvcregException.class)
        .hasMessageStartingWith("a/c.yaml:4:31 and b/c.yaml:4:31 both say package `packages/c`")
        .hasMessageEndingWith("apply them one at a time");
    assertThat(RemoteApply.packages(Map.of("a/c.yaml", files.get("a/c.yaml"))))
        .containsExactly(Map.entry("packages/c", tmp.resolve("a/packages/c")));
  }

  @Test
  void resolve_noFlags_usesTheDataDirectory() throws IOException {
    ClientConfig c = ClientOptions.resolve(null, null, null, data(), Map.of());

    assertThat(c.server()).hasToString("wss://127.0.0.1:9443/v1/ws");
    assertThat(c.token()).isEqualTo("admin-secret");
    assertThat(c.trustSource()).startsWith("the system trust store");
    assertThat(c.hint()).contains("data");
  }

  @Test
  void resolve_noAdminToken_usesTheReadToken() throws IOException {
    Path data = data();
    Files.delete(data.resolve("tokens/admin.token"));

    assertThat(ClientOptions.resolve(null, null, null, data, Map.of()).token())
        .isEqualTo("read-secret");
  }

  @Test
  void resolve_environment_winsOverTheDataDirectory() throws IOException {
    Path file = Files.writeString(tmp.resolve("tok"), "from-file\n");

    ClientConfig literal =
        ClientOptions.resolve(
            null,
            null,
            null,
            data(),
            Map.of("SVCREG_SERVER", "wss://localhost:1234/v1/ws", "SVCREG_TOKEN", "literal"));
    ClientConfig fromFile =
        ClientOptions.resolve(null, null, null, data(), Map.of("SVCREG_TOKEN", file.toString()));

    assertThat(literal.server()).hasToString("wss://localhost:1234/v1/ws");
    assertThat(literal.token()).isEqualTo("literal");
    assertThat(fromFile.token()).isEqualTo("from-file");
  }

  @Test
  void resolve_flags_winOverTheEnvironment() throws IOException {
    Path file = Files.writeString(tmp.resolve("tok"), "flag-token");

    ClientConfig c =
        ClientOptions.resolve(
            "wss://127.0.0.1:7000/v1/ws",
            null,
            file,
            data(),
            Map.of("SVCREG_SERVER", "wss://localhost:1234/v1/ws", "SVCREG_TOKEN", "env"));

    assertThat(c.server()).hasToString("wss://127.0.0.1:7000/v1/ws");
    assertThat(c.token()).isEqualTo("flag-token");
  }

  @Test
  void resolve_severalServers_keepsTheirOrder() throws IOException {
    ClientConfig flag =
        ClientOptions.resolve(
            "wss://127.0.0.1:7000/v1/ws, wss://127.0.0.1:7001", null, null, data(), Map.of());
    ClientConfig env =
        ClientOptions.resolve(
            null,
            null,
            null,
            data(),
            Map.of("SVCREG_SERVER", "wss://b.local:9443/v1/ws,wss://a.local:9443/v1/ws"));

    assertThat(flag.servers())
        .extracting(Object::toString)
        .containsExactly("wss://127.0.0.1:7000/v1/ws", "wss://127.0.0.1:7001/v1/ws");
    assertThat(env.servers())
        .extracting(Object::toString)
        .containsExactly("wss://b.local:9443/v1/ws", "wss://a.local:9443/v1/ws");
  }

  @Test
  void resolve_serverListWithAnEmptyEntry_saysWhatIsExpected() throws IOException {
    assertThatThrownBy(
            () ->
                ClientOptions.resolve(
                    "wss://127.0.0.1:7000/v1/ws,,wss://127.0.0.1:7001/v1/ws",
                    null,
                    null,
                    data(),
                    Map.of()))
        .hasMessageStartingWith(
            "--server: 'wss://127.0.0.1:7000/v1/ws,,wss://127.0.0.1:7001/v1/ws' has an empty URL;")
        .hasMessageContaining("comma-separated");
  }

  @Test
  void resolve_noServerAnywhere_saysWhereItLookedAndWhatToDo() {
    assertThatThrownBy(() -> ClientOptions.resolve(null, null, null, tmp, Map.of()))
        .isInstanceOf(SvcregException.class)
        .hasMessageContaining(tmp.resolve("api.url").toString())
        .hasMessageContaining("--server")
        .hasMessageContaining("SVCREG_SERVER");
  }

  @Test
  void resolve_plainWs_isRefusedBecauseTlsIsRequired() throws IOException {
    assertThatThrownBy(
            () -> ClientOptions.resolve("ws://127.0.0.1:9443/v1/ws", null, null, data(), Map.of()))
        .hasMessageContaining("not a wss:// URL");
  }

  @Test
  void resolve_missingCaFile_namesIt() throws IOException {
    assertThatThrownBy(
            () -> ClientOptions.resolve(null, tmp.resolve("nope.crt"), null, data(), Map.of()))
        .hasMessage("--ca " + tmp.resolve("nope.crt") + ": no such file");
  }

  @Test
  void resolve_caThatIsNotPem_isOneLine() throws IOException {
    Path bad = Files.writeString(tmp.resolve("ca.crt"), "not a certificate");

    assertThatThrownBy(() -> ClientOptions.resolve(null, bad, null, data(), Map.of()))
        .hasMessageStartingWith(bad + ": ")
        .hasMessageNotContaining("\n");
  }

  @Test
  void get_serverNotRunning_isOneLineNamingTheUrlAndDataDir() throws IOException {
    int port = freePort();
    Path data = data();
    Files.writeString(data.resolve("api.url"), "wss://127.0.0.1:" + port + "/v1/ws");

    CliRun run = CliRun.of("get", "services", "--data", data.toString());

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(Cli.ERROR);
    assertThat(run.errLines())
        .containsExactly(
            "svcreg get: cannot reach wss://127.0.0.1:"
                + port
                + "/v1/ws: connection refused; is `svcreg serve` running? (data dir "
                + data
                + ")");
  }

  @Test
  void get_noneOfSeveralServersRunning_isOneLineNamingEach() throws IOException {
    String first = "wss://127.0.0.1:" + freePort() + "/v1/ws";
    String second = "wss://127.0.0.1:" + freePort() + "/v1/ws";
    Path data = data();

    CliRun run =
        CliRun.of("get", "services", "--server", first + "," + second, "--data", data.toString());

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(Cli.ERROR);
    assertThat(run.errLines())
        .containsExactly(
            "svcreg get: none of the 2 servers answered: cannot reach "
                + first
                + ": connection refused; cannot reach "
                + second
                + ": connection refused (data dir "
                + data
                + ")");
  }

  /** A loopback port nothing listens on (it was free a moment ago). */
  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Test
  void watch_noServerNoRetry_isOneLine() {
    CliRun run = CliRun.of("watch", "--no-retry", "--data", tmp.toString());

    assertThat(run.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(run.errLines()).hasSize(1);
    assertThat(run.err()).startsWith("svcreg watch: no server given and no ");
  }

  @Test
  void plan_withoutSpecs_asksTheRunningController() {
    CliRun run = CliRun.of("plan", "--data", tmp.toString());

    assertThat(run.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(run.errLines()).hasSize(1);
    assertThat(run.err()).startsWith("svcreg plan: no server given and no ");
  }

  @Test
  void plan_stateAndServer_areAlternatives() {
    CliRun run = CliRun.of("plan", "--server", "wss://127.0.0.1:1/v1/ws", "--state", "x.json");

    assertThat(run.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(run.errLines())
        .containsExactly("svcreg plan: --state and --server are alternatives; give one");
  }

  @Test
  void get_unknownKind_isAUsageError() {
    CliRun run = CliRun.of("get", "pods");

    assertThat(run.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(run.errLines())
        .containsExactly(
            "svcreg get: unknown kind 'pods'; expected services, networks, endpoints or cluster");
  }

  @Test
  void action_unknownAction_isAUsageError() {
    CliRun run = CliRun.of("action", "web", "reboot");

    assertThat(run.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(run.errLines())
        .containsExactly("svcreg action: 'reboot': expected start, stop or restart");
  }

  @Test
  void apply_specsAndServer_areAlternatives() {
    CliRun run =
        CliRun.of(
            "apply", "-f", "x.yaml", "--specs", tmp.toString(), "--server", "wss://127.0.0.1:1");

    assertThat(run.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(run.errLines())
        .containsExactly("svcreg apply: --specs and --server are alternatives; give one");
  }

  @Test
  void eventLine_stateChange_showsTimeRevisionEventKeyAndTransition() {
    Event e =
        event(
            """
            {"type": "event", "event": "service_state_changed", "revision": 42,
             "time": "2026-11-22T10:00:00.123Z", "key": "Service/api",
             "data": {"service": "api", "from": "starting", "to": "running"}}
            """);

    assertThat(EventText.line(e))
        .isEqualTo(
            "2026-11-22T10:00:00.123Z      42  service_state_changed    Service/api"
                + "            starting → running");
  }

  @Test
  void eventSummary_eachKnownEvent_isShort() {
    assertThat(
            EventText.summary(
                event(
                    """
                    {"event": "spec_error", "revision": 1, "data": {"file": "a.yaml", "line": 3,
                     "column": 5, "path": "spec.port", "message": "must be a number"}}
                    """)))
        .isEqualTo("a.yaml:3:5: spec.port: must be a number");
    assertThat(
            EventText.summary(
                event(
                    """
                    {"event": "registry_loaded", "revision": 9,
                     "data": {"services": [{}, {}], "networks": [{}]}}
                    """)))
        .isEqualTo("2 services, 1 networks");
    assertThat(
            EventText.summary(
                event(
                    """
                    {"event": "deployment_progress", "revision": 9,
                     "data": {"service": "web", "phase": "installed", "version": "1.0.0"}}
                    """)))
        .isEqualTo("installed 1.0.0");
    assertThat(
            EventText.summary(
                event(
                    """
                    {"event": "something_new", "revision": 9,
                     "data": {"service": "web", "x": "%s"}}
                    """
                        .formatted("y".repeat(300)))))
        .hasSize(120)
        .startsWith("{\"x\":");
  }

  @Test
  void remoteApply_problemsOfJoinedFiles_pointAtTheirOwnFileAndLine() throws IOException {
    Path a = Files.writeString(tmp.resolve("a.yaml"), "kind: Network\nmetadata: {name: x}\n");
    Path b = Files.writeString(tmp.resolve("b.yaml"), "kind: Service\nspec: {}");
    Map<String, Path> files = new LinkedHashMap<>();
    files.put("a.yaml", a);
    files.put("b.yaml", b);

    RemoteApply.Joined j = RemoteApply.join(files);

    assertThat(j.text())
        .isEqualTo("kind: Network\nmetadata: {name: x}\n---\nkind: Service\nspec: {}\n");
    assertThat(j.locate(new Problem("<apply>", 5, 7, "spec", "bad")))
        .isEqualTo(new Problem("b.yaml", 2, 7, "spec", "bad"));
    assertThat(j.locate(new Problem("<apply>", 2, 1, "", "bad")))
        .isEqualTo(new Problem("a.yaml", 2, 1, "", "bad"));
  }

  @Test
  void remotePlan_planJson_readsBackAsTheSamePlan() throws IOException {
    Plan plan = Plans.mixed();

    Plan read = RemotePlan.parse(Json.mapper().readTree(PlanJson.render(plan)));

    assertThat(PlanJson.render(read)).isEqualTo(PlanJson.render(plan));
  }

  private static Event event(String json) {
    try {
      return new Event((ObjectNode) Json.mapper().readTree(json));
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
