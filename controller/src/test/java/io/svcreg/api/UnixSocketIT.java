package io.svcreg.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.svcreg.Main;
import io.svcreg.Waits;
import io.svcreg.client.ApiException;
import io.svcreg.client.SvcregClient;
import io.svcreg.client.UnixSocketClient;
import io.svcreg.crash.ServeProcess;
import io.svcreg.schema.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code svcreg serve --unix-socket} as the HSU reference registry's clients use it: its curl
 * examples, a WebSocket watcher (Python's {@code websockets}), svcreg's own CLI and Java client, a
 * user the socket's mode keeps out, a stale socket file, SIGTERM. Each controller is its own JVM.
 */
class UnixSocketIT {

  @TempDir static Path tmp;

  static Path sock;
  static Path data;
  static ServeProcess serve;

  @BeforeAll
  static void start() throws IOException {
    // others may traverse the directory: only the socket's own mode keeps them out
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.createDirectories(tmp.resolve("specs"));
    sock = tmp.resolve("registry.sock");
    data = tmp.resolve("data");
    serve = startServe(sock, data, "--registry-profile", "hsu");
  }

  @AfterAll
  static void stop() {
    if (serve != null) {
      serve.close();
    }
    ServeProcess.keepLogs(tmp.resolve("logs"), "UnixSocketIT");
  }

  @Test
  void seedCurlExamples_overTheSocket_answerAsTheReferenceRegistry() throws Exception {
    Curl health = curl("curl --unix-socket \"$SOCK\" http://localhost/api/v1/health");
    assertThat(health.json().path("status").asText()).as(health.toString()).isEqualTo("healthy");
    assertThat(health.json().has("registeredModules")).isTrue();
    assertThat(health.json().has("uptime")).isTrue();

    String publish =
        """
        curl -X POST http://localhost/api/v1/publish --unix-socket "$SOCK" \\
          -H "Content-Type: application/json" \\
          -d '{
            "moduleID": "test",
            "processID": 1234,
            "apis": [{
              "serviceIDs": ["service1"],
              "serverPort": 50051,
              "protocol": "grpc"
            }]
          }'
        """;
    Curl published = curl(publish);
    assertThat(published.json().path("success").asBoolean()).as(published.toString()).isTrue();
    // the HSU profile: stale 10 minutes after last seen
    assertThat(published.json().path("ttl").asText()).isEqualTo("10m");

    Curl found = curl("curl --unix-socket \"$SOCK\" http://localhost/api/v1/discover/test");
    JsonNode api = found.json().path("apis").path(0);
    assertThat(found.json().path("moduleID").asText()).as(found.toString()).isEqualTo("test");
    assertThat(api.path("serviceIDs").path(0).asText()).isEqualTo("service1");
    assertThat(api.path("serverPort").asInt()).isEqualTo(50051);
    assertThat(api.path("protocol").asText()).isEqualTo("grpc");
    assertThat(api.path("processID").asLong()).isEqualTo(1234);
    // discovery is a heartbeat in the HSU profile: it moves the lease on
    assertThat(Instant.parse(api.path("expiresAt").asText()))
        .isAfter(Instant.parse(published.json().path("expiresAt").asText()));

    Curl otherProcess =
        curl(
            "curl -X DELETE --unix-socket \"$SOCK\""
                + " \"http://localhost/api/v1/unpublish/test?processID=999\"");
    assertThat(otherProcess.json().path("removed").asBoolean())
        .as(otherProcess.toString())
        .isFalse();
    Curl removed =
        curl(
            "curl -X DELETE --unix-socket \"$SOCK\""
                + " \"http://localhost/api/v1/unpublish/test?processID=1234\"");
    assertThat(removed.json().path("success").asBoolean()).as(removed.toString()).isTrue();
    assertThat(removed.json().path("removed").asBoolean()).isTrue();

    assertThat(curl(publish).json().path("outcome").asText()).isEqualTo("registered");
    Curl withoutProcess =
        curl("curl -X DELETE --unix-socket \"$SOCK\" http://localhost/api/v1/unpublish/test");
    assertThat(withoutProcess.json().path("removed").asBoolean()).isTrue();
    Curl gone = curl("curl --unix-socket \"$SOCK\" http://localhost/api/v1/discover/test");
    assertThat(gone.json().path("error").asText())
        .as(gone.toString())
        .isEqualTo("module not found");

    for (String route : List.of("/healthz", "/readyz", "/metrics")) {
      Curl plain =
          curl(
              "curl -s -o /dev/null -w '%{http_code}' --unix-socket \"$SOCK\" http://localhost"
                  + route);
      assertThat(plain.out()).as(route).isEqualTo("200");
    }
    // each write is logged with the credentials of the process that made it (SO_PEERCRED): its
    // pid and ids from JDK 22 on, else its user's and group's names
    String by = Runtime.version().feature() >= 22 ? " by pid " : " by user ";
    Waits.atMost(Duration.ofSeconds(10))
        .until(
            () ->
                serve.stderr().contains("unix socket: publish test (processID 1234)" + by)
                    && serve.stderr().contains("unix socket: unpublish test" + by));
  }

  @Test
  void write_ofACurl_loggedWithCurlsPidAndUid() throws Exception {
    assumeTrue(Runtime.version().feature() >= 22, "the pid is read with the FFM API (JDK 22+)");
    // the shell prints its pid and becomes curl: the pid the controller should log
    Curl published =
        run(
            List.of(
                "sh",
                "-c",
                "echo $$; exec curl -sS --unix-socket \"$SOCK\" -X POST"
                    + " -H 'Content-Type: application/json'"
                    + " -d '{\"moduleID\": \"pid-test\", \"processID\": 77, \"apis\":"
                    + " [{\"serviceIDs\": [\"s\"], \"serverPort\": 50052, \"protocol\": \"grpc\"}]}'"
                    + " http://localhost/api/v1/publish"));
    assertThat(published.out()).as(published.toString()).contains("\"success\":true");
    String pid = published.out().lines().findFirst().orElseThrow().strip();
    String uid = run(List.of("id", "-u")).out().strip();
    String user = System.getProperty("user.name");

    String line =
        "unix socket: publish pid-test (processID 77) by pid "
            + pid
            + " uid "
            + uid
            + " ("
            + user
            + ") gid ";
    Waits.atMost(Duration.ofSeconds(10))
        .alias("the controller logs: " + line)
        .until(() -> serve.stderr().contains(line));
    curl(
        "curl -X DELETE --unix-socket \"$SOCK\""
            + " \"http://localhost/api/v1/unpublish/pid-test?processID=77\"");
  }

  @Test
  void socketFile_hasTheModeAskedFor_andOthersAreRefusedByTheOs() throws Exception {
    assertThat(
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(sock, LinkOption.NOFOLLOW_LINKS)))
        .isEqualTo("rw-rw----");
    assertThat(Files.getAttribute(sock, "unix:gid")).isNotEqualTo(65534);

    List<String> asNobody = List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups");
    Curl nobody =
        run(
            concat(
                asNobody,
                "curl",
                "-sS",
                "--unix-socket",
                sock.toString(),
                "http://localhost/api/v1/health"));

    // the kernel refuses the connect (EACCES): the controller never sees the process
    Curl probe =
        run(
            concat(
                asNobody,
                "/usr/bin/python3",
                "-c",
                "import socket, sys\n"
                    + "try:\n"
                    + "    socket.socket(socket.AF_UNIX).connect(sys.argv[1])\n"
                    + "except OSError as e:\n"
                    + "    print(type(e).__name__)\n",
                sock.toString()));

    assertThat(nobody.exitCode()).as(nobody.toString()).isEqualTo(7); // could not connect
    assertThat(nobody.out()).isEmpty();
    assertThat(probe.out()).as(probe.toString()).isEqualTo("PermissionError\n");
  }

  @Test
  void websocketWatcher_overTheSocket_seesAPublish() throws Exception {
    Path script = tmp.resolve("watch.py");
    Files.writeString(
        script,
        """
        import asyncio, json, sys, websockets

        async def main():
            async with websockets.unix_connect(sys.argv[1], "ws://localhost/v1/ws") as ws:
                await ws.send(json.dumps({"id": "s", "type": "request", "action": "subscribe",
                                          "params": {"events": ["service_registered"]}}))
                while True:
                    m = json.loads(await ws.recv())
                    if m.get("id") == "s":
                        print("subscribed", "error" not in m, flush=True)
                    elif m.get("event") == "service_registered":
                        print("registered", m["data"]["module"], flush=True)
                        return

        asyncio.run(asyncio.wait_for(main(), 30))
        """);
    Path out = tmp.resolve("watch.out");
    Process python =
        new ProcessBuilder("/usr/bin/python3", script.toString(), sock.toString())
            .redirectErrorStream(true)
            .redirectOutput(out.toFile())
            .start();
    try {
      Waits.atMost(Duration.ofSeconds(20))
          .until(() -> Files.readString(out).contains("subscribed True"));
      try (UnixSocketClient c = UnixSocketClient.connect("unix:" + sock, Duration.ofSeconds(10))) {
        c.publish(
            "watched",
            Optional.empty(),
            List.of(new SvcregClient.PublishedApi("http", "127.0.0.1", 8080, "http")),
            Optional.empty());
      }

      assertThat(python.waitFor(Waits.scaled(Duration.ofSeconds(20)).toSeconds(), TimeUnit.SECONDS))
          .isTrue();
      assertThat(python.exitValue()).as(Files.readString(out)).isZero();
      assertThat(Files.readString(out)).contains("registered watched");
    } finally {
      python.destroyForcibly();
    }
  }

  @Test
  void cliAndJavaClient_unixServer_publishDiscoverUnpublish() {
    String server = "unix:" + sock;
    Cli published =
        cli(
            "publish",
            "cli",
            "--api",
            "grpc=127.0.0.1:50051/grpc",
            "--process",
            "7",
            "--server",
            server);
    assertThat(published.out())
        .as(published.toString())
        .startsWith("Published/cli: registered, lease 10m");

    Cli table = cli("discover", "cli", "--server", server);
    assertThat(table.out()).as(table.toString()).contains("cli", "50051", "grpc", "published");

    try (UnixSocketClient c = UnixSocketClient.connect(server, Duration.ofSeconds(10))) {
      assertThat(c.discover("cli").path("endpoints").path(0).path("process").asText())
          .isEqualTo("7");
      assertThat(c.call("server_info", Json.mapper().createObjectNode()).path("role").asText())
          .isEqualTo("admin");
      assertThatThrownBy(() -> c.discover("no-such-module"))
          .isInstanceOfSatisfying(
              ApiException.class, e -> assertThat(e.code()).isEqualTo("not_found"));
    }

    Cli removed = cli("unpublish", "cli", "--process", "7", "--server", server);
    assertThat(removed.out()).as(removed.toString()).contains("Published/cli: removed");

    Cli nothing = cli("discover", "cli", "--server", "unix:" + tmp.resolve("nothing.sock"));
    assertThat(nothing.code()).isEqualTo(2);
    assertThat(nothing.err()).contains("cannot connect").doesNotContain("Exception");
  }

  @Test
  void tlsPort_stillRefusesRequestsWithoutAToken() throws Exception {
    String url = Files.readString(data.resolve(ApiServer.URL_FILE)).strip();
    String https = url.replaceFirst("^wss://", "https://").replaceFirst("/v1/ws$", "");
    List<String> curl =
        new ArrayList<>(
            List.of(
                "curl",
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "--cacert",
                data.resolve("tls/ca.crt").toString()));

    Curl none = run(concat(curl, https + "/api/v1/health"));
    List<String> withToken =
        concat(
            curl,
            "-H",
            "Authorization: Bearer " + Files.readString(data.resolve("tokens/read.token")).strip(),
            https + "/api/v1/health");
    Curl read = run(withToken);
    Curl publish =
        run(
            concat(
                curl,
                "-X",
                "POST",
                "-d",
                "{\"moduleID\":\"x\",\"apis\":[]}",
                https + "/api/v1/publish"));

    assertThat(none.out()).isEqualTo("401");
    assertThat(publish.out()).isEqualTo("401");
    assertThat(read.out()).isEqualTo("200");
  }

  @Test
  void secondServer_onALiveSocket_clearErrorAndTheFirstKeepsServing() throws Exception {
    ServeProcess.Result second =
        ServeProcess.run(
            tmp.resolve("logs"),
            Duration.ofSeconds(60),
            serveArgs(sock, tmp.resolve("data-second")).toArray(String[]::new));

    assertThat(second.exitCode()).as(second.stderr()).isEqualTo(2);
    assertThat(second.stderr())
        .contains("svcreg serve: --unix-socket " + sock + ": a live server listens on it");
    assertThat(Files.exists(tmp.resolve("data-second"))).isFalse();
    assertThat(curl("curl --unix-socket \"$SOCK\" http://localhost/healthz").out())
        .isEqualTo("ok\n");
  }

  @Test
  void staleSocketOfAKilledController_replaced_readRole_andTheSocketRemovedOnSigterm()
      throws Exception {
    Path dir = tmp.resolve("stale");
    Files.createDirectories(dir);
    Path stale = dir.resolve("r.sock");
    try (ServeProcess killed = startServe(stale, dir.resolve("data"))) {
      killed.kill();
    }
    assertThat(stale).exists(); // a SIGKILL leaves the file behind: nobody listens on it

    ServeProcess next =
        startServe(
            stale, dir.resolve("data"), "--unix-socket-mode", "0600", "--unix-socket-role", "read");
    try {
      Curl health =
          run(
              List.of(
                  "curl", "-sS", "--unix-socket", stale.toString(), "http://localhost/healthz"));
      assertThat(health.out()).as(health.toString()).isEqualTo("ok\n");
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(stale)))
          .isEqualTo("rw-------");
      // a read socket: reads answered, writes refused
      Curl publish =
          run(
              List.of(
                  "curl",
                  "-sS",
                  "--unix-socket",
                  stale.toString(),
                  "-X",
                  "POST",
                  "-d",
                  "{\"moduleID\":\"x\",\"apis\":[]}",
                  "http://localhost/api/v1/publish"));
      assertThat(publish.json().path("code").asText())
          .as(publish.toString())
          .isEqualTo("forbidden");
      assertThat(publish.json().path("error").asText())
          .isEqualTo("publish needs the admin role; this socket gives read");
      try (UnixSocketClient c = UnixSocketClient.connect("unix:" + stale, Duration.ofSeconds(10))) {
        assertThat(c.call("server_info", Json.mapper().createObjectNode()).path("role").asText())
            .isEqualTo("read");
        assertThatThrownBy(() -> c.unpublish("x", Optional.empty()))
            .isInstanceOfSatisfying(
                ApiException.class, e -> assertThat(e.code()).isEqualTo("forbidden"));
      }

      next.terminate(Duration.ofSeconds(30));

      assertThat(stale).doesNotExist();
      try (var left = Files.list(dir)) {
        assertThat(left.map(p -> p.getFileName().toString())).containsExactly("data");
      }
    } finally {
      next.close();
    }
  }

  // ------------------------------------------------------------------ helpers

  private static List<String> serveArgs(Path socket, Path dataDir, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "serve",
                "--specs",
                tmp.resolve("specs").toString(),
                "--data",
                dataDir.toString(),
                "--listen",
                "127.0.0.1:0",
                "--unix-socket",
                socket.toString()));
    args.addAll(List.of(more));
    return args;
  }

  private static ServeProcess startServe(Path socket, Path dataDir, String... more) {
    ServeProcess p = ServeProcess.start(tmp.resolve("logs"), serveArgs(socket, dataDir, more));
    Waits.atMost(Duration.ofSeconds(60))
        .alias("svcreg serve listens on " + socket)
        .until(() -> !p.alive() || p.stderr().contains("svcreg: watching"));
    assertThat(p.alive()).as(p.stderr()).isTrue();
    return p;
  }

  private record Curl(int exitCode, String out, String err) {
    JsonNode json() throws IOException {
      return Json.mapper().readTree(out);
    }
  }

  /** Runs a curl command line of the reference registry's README with $SOCK the socket. */
  private static Curl curl(String commandLine) throws Exception {
    return run(List.of("bash", "-c", commandLine.replace("curl ", "curl -sS ")));
  }

  private static Curl run(List<String> command) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().put("SOCK", sock.toString());
    Path out = Files.createTempFile(tmp, "out", ".txt");
    Path err = Files.createTempFile(tmp, "err", ".txt");
    Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertThat(p.waitFor(Waits.scaled(Duration.ofSeconds(30)).toSeconds(), TimeUnit.SECONDS))
        .isTrue();
    return new Curl(
        p.exitValue(),
        Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  private static List<String> concat(List<String> head, String... tail) {
    List<String> all = new ArrayList<>(head);
    all.addAll(List.of(tail));
    return all;
  }

  private record Cli(int code, String out, String err) {}

  private static Cli cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
    return new Cli(code, out.toString(), err.toString());
  }
}
