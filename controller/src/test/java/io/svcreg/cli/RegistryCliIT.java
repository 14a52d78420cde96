package io.svcreg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.svcreg.client.LiveApi;
import io.svcreg.client.SvcregClient;
import io.svcreg.schema.Json;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code svcreg publish|discover|unpublish} and the Java client's calls against a live server. */
class RegistryCliIT {

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

  private static CliRun svcreg(String... args) {
    String[] all = new String[args.length + 2];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = "--data";
    all[args.length + 1] = live.data().toString();
    return CliRun.of(all);
  }

  @Test
  void publishDiscoverUnpublish_cli_roundTrip() throws Exception {
    CliRun published =
        svcreg(
            "publish",
            "echo",
            "--api",
            "grpc=127.0.0.1:50051/grpc",
            "--api",
            "admin=[::1]:8081/http",
            "--process",
            "1234",
            "--ttl",
            "1m");
    assertThat(published.exitCode()).as(published.toString()).isZero();
    assertThat(published.out()).startsWith("Published/echo: registered, lease 1m until ");

    CliRun again =
        svcreg(
            "publish",
            "echo",
            "--api",
            "grpc=127.0.0.1:50051/grpc",
            "--process",
            "1234",
            "--ttl",
            "1m",
            "--api",
            "admin=[::1]:8081/http");
    assertThat(again.out()).startsWith("Published/echo: refreshed");

    CliRun table = svcreg("discover", "echo");
    assertThat(table.exitCode()).as(table.toString()).isZero();
    assertThat(table.out())
        .startsWith("SERVICE ")
        .containsPattern("(?m)^echo +grpc +127\\.0\\.0\\.1 +50051 +grpc +yes +published")
        .containsPattern("(?m)^echo +admin +::1 +8081 +http +yes +published");

    JsonNode json = Json.mapper().readTree(svcreg("discover", "echo", "-o", "json").out());
    assertThat(json.get("endpoints")).hasSize(2);
    assertThat(json.get("endpoints").get(0).get("process").asText()).isEqualTo("1234");

    CliRun other = svcreg("unpublish", "echo", "--process", "99");
    assertThat(other.out()).contains("not published by process 99; nothing to do");
    CliRun removed = svcreg("unpublish", "echo", "--process", "1234");
    assertThat(removed.exitCode()).isZero();
    assertThat(removed.out()).isEqualTo("Published/echo: removed" + System.lineSeparator());

    CliRun gone = svcreg("discover", "echo");
    assertThat(gone.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(gone.errLines())
        .singleElement()
        .asString()
        .startsWith("svcreg discover: ")
        .contains("not_found");
  }

  @Test
  void publish_badApiOrTtl_oneLineUsageError() {
    CliRun badApi = svcreg("publish", "m", "--api", "grpc:50051");
    assertThat(badApi.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(badApi.errLines())
        .containsExactly(
            "svcreg publish: --api grpc:50051: expected NAME=ADDRESS:PORT[/PROTOCOL], like"
                + " grpc=127.0.0.1:50051/grpc");

    CliRun badTtl = svcreg("publish", "m", "--api", "a=127.0.0.1:1", "--ttl", "soon");
    assertThat(badTtl.errLines())
        .containsExactly("svcreg publish: --ttl soon: expected a duration like 30s or 5m");

    CliRun refused = svcreg("publish", "m", "--api", "a=127.0.0.1:1/ftp");
    assertThat(refused.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(refused.errLines())
        .singleElement()
        .asString()
        .contains("protocol \"ftp\"")
        .contains("bad_request");
  }

  @Test
  void unpublish_unknownModule_isNoError() {
    CliRun run = svcreg("unpublish", "never-published");

    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).contains("Published/never-published: not published; nothing to do");
  }

  @Test
  void client_publishDiscoverUnpublish_javaCalls() {
    try (SvcregClient c = SvcregClient.connect(live.config("admin"))) {
      JsonNode p =
          c.publish(
              "javamod",
              Optional.of("7"),
              List.of(new SvcregClient.PublishedApi("api", "127.0.0.5", 7000, "tcp")),
              Optional.of(Duration.ofSeconds(90)));
      assertThat(p.get("outcome").asText()).isEqualTo("registered");
      assertThat(p.get("ttl").asText()).isEqualTo("1m30s");

      JsonNode d = c.discover("javamod");
      assertThat(d.get("endpoints").get(0).get("address").asText()).isEqualTo("127.0.0.5");

      assertThat(c.unpublish("javamod", Optional.empty()).get("removed").asBoolean()).isTrue();
      assertThat(c.unpublish("javamod", Optional.empty()).get("removed").asBoolean()).isFalse();
    }
  }

  @Test
  void publish_readToken_forbidden() {
    CliRun run =
        svcreg(
            "publish",
            "ro",
            "--api",
            "a=127.0.0.1:1",
            "--token",
            live.data().resolve("tokens/read.token").toString());

    assertThat(run.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(run.errLines()).singleElement().asString().contains("forbidden");
  }
}
