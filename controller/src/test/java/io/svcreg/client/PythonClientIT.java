package io.svcreg.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.svcreg.schema.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client nobody on the team wrote — Python's {@code websockets} (Debian python3-websockets, run
 * with /usr/bin/python3; {@code tools/test} installs it) — over wss with the generated CA:
 * authentication on the upgrade and by an {@code auth} request, roles, a request, and a
 * subscription that replays the same events the Java client gets.
 */
class PythonClientIT {

  @TempDir static Path tmp;
  static LiveApi live;
  static Path script;

  @BeforeAll
  static void start() throws IOException {
    live = LiveApi.start(tmp);
    script = tmp.resolve("py_client.py");
    try (InputStream in = PythonClientIT.class.getResourceAsStream("py_client.py")) {
      Files.copy(in, script);
    }
  }

  @AfterAll
  static void stop() {
    if (live != null) {
      live.close();
    }
  }

  private static List<JsonNode> python(String role, String mode, long since, int count)
      throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(
                "/usr/bin/python3",
                script.toString(),
                live.url().toString(),
                live.data().resolve("tls/ca.crt").toString(),
                live.token(role),
                mode,
                "web",
                Long.toString(since),
                Integer.toString(count))
            .redirectErrorStream(true);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    List<JsonNode> lines = new ArrayList<>();
    for (String line : out.lines().toList()) {
      lines.add(Json.mapper().readTree(line));
    }
    return lines;
  }

  private static JsonNode step(List<JsonNode> lines, String step) {
    return lines.stream()
        .filter(l -> l.path("step").asText().equals(step))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no step " + step + " in " + lines))
        .path("message");
  }

  @Test
  void python_bearerHeaderAdmin_requestsAndReplaysTheSameEventsAsTheJavaClient() throws Exception {
    long since = live.emit(1);
    long end = live.emit(5);
    List<Long> javaRevisions = new CopyOnWriteArrayList<>();
    try (SvcregClient c = SvcregClient.connect(live.config("read"))) {
      Subscription s =
          c.subscribe(List.of(), OptionalLong.of(since), e -> javaRevisions.add(e.revision()))
              .get(10, TimeUnit.SECONDS);
      io.svcreg.Waits.atMost(Duration.ofSeconds(10)).until(() -> s.lastRevision() >= end);
    }

    List<JsonNode> py = python("admin", "header", since, 5);

    assertThat(step(py, "server_info").path("data").path("protocol").asInt()).isEqualTo(1);
    assertThat(step(py, "server_info").path("data").path("role").asText()).isEqualTo("admin");
    assertThat(step(py, "get_service").path("data").path("metadata").path("name").asText())
        .isEqualTo("web");
    assertThat(step(py, "service_action").path("error").path("code").asText())
        .isEqualTo("bad_request");
    assertThat(step(py, "subscribe").path("data").has("revision")).isTrue();
    List<Long> pyRevisions =
        py.stream()
            .filter(l -> l.path("step").asText().equals("event"))
            .map(l -> l.path("message").path("revision").asLong())
            .toList();
    assertThat(pyRevisions).containsExactlyElementsOf(javaRevisions.subList(0, 5));
  }

  @Test
  void python_revisionOfSeveralEvents_getsThemAllInOrder() throws Exception {
    long since = live.emit(1);
    long shared = live.emitShared(3);

    List<JsonNode> events =
        python("read", "header", since, 3).stream()
            .filter(l -> l.path("step").asText().equals("event"))
            .map(l -> l.path("message"))
            .toList();

    assertThat(events)
        .extracting(e -> e.path("revision").asLong() + "/" + e.at("/data/generation").asInt())
        .containsExactly(shared + "/0", shared + "/1", shared + "/2");
  }

  @Test
  void python_authRequestWithReadToken_isReadOnly() throws Exception {
    long since = live.emit(1);
    live.emit(1);

    List<JsonNode> py = python("read", "auth", since, 1);

    assertThat(step(py, "before_auth").path("error").path("code").asText())
        .isEqualTo("unauthorized");
    assertThat(step(py, "auth").path("data").path("role").asText()).isEqualTo("read");
    assertThat(step(py, "service_action").path("error").path("code").asText())
        .isEqualTo("forbidden");
  }
}
