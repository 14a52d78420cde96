package io.svcreg.crash;

import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.Waits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code svcreg watch} in a process of its own against a controller that is not up yet or
 * restarting (it waits and tries again), and with a wrong token or CA (it stops at once).
 */
class WatchProcessIT {

  @TempDir Path tmp;

  private Fleet fleet;
  private String testName;
  private final List<ServeProcess> started = new ArrayList<>();

  @BeforeEach
  void setUp(TestInfo info) {
    fleet = Fleet.create(tmp, new Random());
    testName = info.getTestMethod().orElseThrow().getName();
  }

  @AfterEach
  void stopEverything() {
    started.forEach(ServeProcess::close);
    ServeProcess.keepLogs(tmp.resolve("logs"), "WatchProcessIT/" + testName);
  }

  @Test
  void watch_controllerStartsLater_retriesThenStreams() {
    ServeProcess watch = svcreg("watch", "--count", "1", "--data", fleet.data.toString());
    Waits.atMost(Duration.ofSeconds(30))
        .alias("watch has tried twice")
        .failFast(() -> assertThat(watch.alive()).as(watch::stderr).isTrue())
        .until(() -> watch.stderr().contains("; retrying in 2s"));

    serve();
    int code = watch.awaitExit(Duration.ofSeconds(60));

    assertThat(code).as(watch.stderr()).isZero();
    assertThat(watch.stdout()).contains("registry_loaded");
    assertThat(watch.logLines())
        .as("one line per attempt, then one that says it is connected")
        .startsWith(
            "svcreg watch: no "
                + fleet.data.resolve("api.url")
                + " yet (the controller in "
                + fleet.data
                + " is not running); retrying in 1s")
        .anyMatch(l -> l.startsWith("svcreg watch: connected to wss://127.0.0.1:"))
        .noneMatch(l -> l.contains("Exception"));
  }

  @Test
  void watch_controllerRestarting_connectionRefusedIsRetried() {
    ServeProcess first = serve();
    String url = awaitUrl(first);
    String listen = url.replaceAll("^wss://([^/]+)/.*$", "$1");
    first.terminate(Duration.ofSeconds(20));

    ServeProcess watch =
        svcreg("watch", "--server", url, "--count", "1", "--data", fleet.data.toString());
    Waits.atMost(Duration.ofSeconds(30))
        .alias("watch says it cannot reach the server and tries again")
        .failFast(() -> assertThat(watch.alive()).as(watch::stderr).isTrue())
        .until(() -> watch.stderr().contains("; retrying in 2s"));
    ServeProcess second = serve(listen);
    int code = watch.awaitExit(Duration.ofSeconds(60));

    assertThat(code).as(watch.stderr() + "\nserver:\n" + second.stderr()).isZero();
    assertThat(watch.stdout()).contains("registry_loaded");
    assertThat(watch.logLines())
        .first()
        .isEqualTo("svcreg watch: cannot reach " + url + ": connection refused; retrying in 1s");
  }

  @Test
  void watch_wrongTokenOrCa_exitsAtOnceWithOneLine() throws IOException {
    ServeProcess server = serve();
    awaitUrl(server);
    Path badToken = Files.writeString(tmp.resolve("bad.token"), "not-a-token");
    Path otherCa = Files.writeString(tmp.resolve("other-ca.crt"), someOtherCaPem());

    ServeProcess token =
        svcreg("watch", "--token", badToken.toString(), "--data", fleet.data.toString());
    ServeProcess ca = svcreg("watch", "--ca", otherCa.toString(), "--data", fleet.data.toString());

    assertThat(token.awaitExit(Duration.ofSeconds(30))).as(token.stderr()).isEqualTo(2);
    assertThat(token.logLines())
        .hasSize(1)
        .first()
        .asString()
        .startsWith("svcreg watch: wss://127.0.0.1:")
        .contains("refused the token (HTTP 401)", "--token");
    assertThat(ca.awaitExit(Duration.ofSeconds(30))).as(ca.stderr()).isEqualTo(2);
    assertThat(ca.logLines())
        .hasSize(1)
        .first()
        .asString()
        .contains("certificate is not trusted", "--ca");
    assertThat(server.alive()).isTrue();
  }

  // ------------------------------------------------------------------ helpers

  private ServeProcess serve() {
    return serve("127.0.0.1:0");
  }

  private ServeProcess serve(String listen) {
    List<String> args = new ArrayList<>(fleet.serveArgs());
    args.set(args.indexOf("--listen") + 1, listen);
    ServeProcess p = ServeProcess.start(tmp.resolve("logs"), args);
    started.add(p);
    return p;
  }

  private ServeProcess svcreg(String... args) {
    ServeProcess p = ServeProcess.start(tmp.resolve("logs"), List.of(args));
    started.add(p);
    return p;
  }

  /** A CA that did not sign the server's certificate: one of the JDK's trusted roots, as PEM. */
  private static String someOtherCaPem() {
    try {
      java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
      try (var in =
          Files.newInputStream(Path.of(System.getProperty("java.home"), "lib/security/cacerts"))) {
        ks.load(in, "changeit".toCharArray());
      }
      String alias = java.util.Collections.list(ks.aliases()).get(0);
      return "-----BEGIN CERTIFICATE-----\n"
          + java.util.Base64.getMimeEncoder(
                  64, "\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
              .encodeToString(ks.getCertificate(alias).getEncoded())
          + "\n-----END CERTIFICATE-----\n";
    } catch (IOException | java.security.GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }

  private String awaitUrl(ServeProcess p) {
    Path file = fleet.data.resolve("api.url");
    Waits.atMost(Duration.ofSeconds(60))
        .alias("the controller listens")
        .failFast(() -> assertThat(p.alive()).as(p::stderr).isTrue())
        .until(() -> Files.isRegularFile(file) && !Files.readString(file).isBlank());
    try {
      return Files.readString(file).strip();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
