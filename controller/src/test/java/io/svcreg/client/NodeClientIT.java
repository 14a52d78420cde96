package io.svcreg.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.svcreg.schema.Json;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client nobody on the team wrote — Node.js with the {@code ws} package ({@code
 * tools/node/ws-client-check.mjs}; {@code tools/test} installs it) — over wss trusting the
 * generated CA: the bearer token, a subscription's snapshot then live events in order (two of them
 * share a revision, as in a replicated controller: one {@code events} message), a request and an
 * error response, and a resume with {@code since} on a new connection.
 */
class NodeClientIT {

  private static final Path ROOT =
      Path.of(System.getProperty("svcreg.project.root", "..")).toAbsolutePath().normalize();
  private static final int COUNT = 6;

  @TempDir static Path tmp;
  static LiveApi live;

  @BeforeAll
  static void start() {
    live = LiveApi.start(tmp);
  }

  @AfterAll
  static void stop() {
    if (live != null) {
      live.close();
    }
  }

  @Test
  void nodeWs_subscribeRequestErrorResume_seesTheProtocolAsDocumented() throws Exception {
    assertThat(ROOT.resolve("tools/node/node_modules/ws"))
        .as("tools/node/node_modules/ws is missing; run tools/test, which installs it")
        .isDirectory();
    Path token = Files.writeString(tmp.resolve("read.token"), live.token("read"));
    Process p =
        new ProcessBuilder(
                "node",
                ROOT.resolve("tools/node/ws-client-check.mjs").toString(),
                live.url().toString(),
                live.data().resolve("tls/ca.crt").toString(),
                token.toString(),
                "web",
                Integer.toString(COUNT))
            .redirectError(tmp.resolve("node.err").toFile())
            .start();
    List<JsonNode> lines = new ArrayList<>();
    long single = -1;
    long shared = -1;
    long last = -1;
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        JsonNode n = Json.mapper().readTree(line);
        lines.add(n);
        if (n.path("step").asText().equals("ready")) {
          single = live.emit(1);
          shared = live.emitShared(2);
          last = live.emit(COUNT - 3);
        }
      }
    } finally {
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
    String err = Files.readString(tmp.resolve("node.err"));
    assertThat(p.exitValue()).as(err + lines).isZero();
    List<Long> after = LongStream.rangeClosed(last - COUNT + 4, last).boxed().toList();

    assertThat(steps(lines))
        .as("the order of what the node client saw")
        .containsExactly(
            "server_info",
            "subscribe",
            "ready",
            "get_service",
            "unknown_action",
            "after_error",
            "resume",
            "extra",
            "done");
    assertThat(indexOf(lines, "event"))
        .as("the snapshot comes after the subscribe response, before any live event")
        .isEqualTo(indexOf(lines, "subscribe") + 1)
        .isEqualTo(indexOf(lines, "ready") - 1);
    assertThat(message(lines, "server_info").at("/data/protocol").asInt()).isEqualTo(1);
    assertThat(message(lines, "server_info").at("/data/role").asText()).isEqualTo("read");
    JsonNode snapshot = messages(lines, "event").get(0);
    assertThat(snapshot.path("event").asText()).isEqualTo("registry_loaded");
    assertThat(snapshot.path("revision").asLong())
        .isEqualTo(message(lines, "subscribe").at("/data/revision").asLong());
    assertThat(snapshot.at("/data/services/0/metadata/name").asText()).isEqualTo("web");
    List<Long> liveRevisions = new ArrayList<>(List.of(single, shared, shared));
    liveRevisions.addAll(after);
    assertThat(revisions(messages(lines, "event").subList(1, COUNT + 1)))
        .as("live events, in order, none missing")
        .containsExactlyElementsOf(liveRevisions);
    assertThat(message(lines, "get_service").at("/data/metadata/name").asText()).isEqualTo("web");
    JsonNode unknown = message(lines, "unknown_action");
    assertThat(unknown.path("id").asText()).isNotEmpty();
    assertThat(unknown.at("/error/code").asText()).isEqualTo("unknown_action");
    assertThat(unknown.at("/error/message").asText()).contains("reboot");
    assertThat(message(lines, "after_error").at("/data/protocol").asInt()).isEqualTo(1);
    assertThat(message(lines, "resume").has("error")).as(lines.toString()).isFalse();
    assertThat(revisions(messages(lines, "replayed")))
        .as("after since = the revision of the second live event: the rest, no gap, no duplicate")
        .containsExactlyElementsOf(after);
    assertThat(message(lines, "extra")).as("events after the replay").isEmpty();
  }

  /** The steps in order, without the events. */
  private static List<String> steps(List<JsonNode> lines) {
    return lines.stream()
        .map(n -> n.path("step").asText())
        .filter(s -> !s.equals("event") && !s.equals("replayed"))
        .toList();
  }

  private static int indexOf(List<JsonNode> lines, String step) {
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).path("step").asText().equals(step)) {
        return i;
      }
    }
    return -1;
  }

  private static JsonNode message(List<JsonNode> lines, String step) {
    List<JsonNode> found = messages(lines, step);
    assertThat(found).as("step " + step + " in " + lines).hasSize(1);
    return found.get(0);
  }

  private static List<JsonNode> messages(List<JsonNode> lines, String step) {
    return lines.stream()
        .filter(n -> n.path("step").asText().equals(step))
        .map(n -> n.path("message"))
        .toList();
  }

  private static List<Long> revisions(List<JsonNode> events) {
    return events.stream().map(e -> e.path("revision").asLong()).toList();
  }
}
