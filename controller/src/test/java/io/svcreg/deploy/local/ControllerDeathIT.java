package io.svcreg.deploy.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.Waits;
import io.svcreg.deploy.DeployTimeouts;
import io.svcreg.deploy.InstallOutcome;
import io.svcreg.deploy.Launch;
import io.svcreg.deploy.Observation;
import io.svcreg.deploy.ProcessRef;
import io.svcreg.deploy.StopOutcome;
import io.svcreg.deploy.StopStep;
import io.svcreg.deploy.TestPackages;
import io.svcreg.schema.Endpoint;
import io.svcreg.schema.HealthState;
import io.svcreg.schema.Ipv4;
import io.svcreg.schema.Protocol;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A managed service outlives its controller: started from a JVM that is then killed with -9. */
class ControllerDeathIT {

  @TempDir Path tmp;
  private Process child;

  @AfterEach
  void cleanUp() throws InterruptedException {
    if (child != null && child.isAlive()) {
      child.destroyForcibly();
    }
    // the service outlives the child by design: kill it even when the test failed early
    String said = read(tmp.resolve("child.out"));
    if (said.startsWith("started ")) {
      long pid = Long.parseLong(said.trim().split(" ")[1]);
      if (ProcFs.groupAlive(pid)) {
        Scripts.signalGroup(pid, "KILL");
      }
    }
  }

  @Test
  void service_controllerKilledWithSigkill_keepsRunningAndIsStoppedByTheNextController()
      throws Exception {
    Path root = tmp.resolve("opt");
    String ip = "127.0.0.41";
    int port = TestPackages.freePort(ip);
    LocalDeployer next =
        new LocalDeployer(
            root,
            DeployTimeouts.DEFAULTS,
            InstantSource.system(),
            Waiter.system(),
            LocalDeployerProcessIT.controllerEnv());
    assertThat(next.install("store", "1.0.0", TestPackages.EXAMPLES.resolve("store")))
        .isInstanceOf(InstallOutcome.Installed.class);
    Path out = tmp.resolve("child.out");
    child =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                ChildController.class.getName(),
                root.toString(),
                ip,
                Integer.toString(port))
            .redirectError(tmp.resolve("child.err").toFile())
            .redirectOutput(out.toFile())
            .start();
    Waits.atMost(Duration.ofSeconds(30))
        .until(() -> Files.readString(out).contains("\n") || !child.isAlive());
    String[] line = Files.readString(out).trim().split(" ");
    assertThat(line[0])
        .as(() -> "child said: " + String.join(" ", line) + "\n" + read(tmp.resolve("child.err")))
        .isEqualTo("started");
    ProcessRef service = new ProcessRef(Long.parseLong(line[1]), Instant.parse(line[2]));
    assertThat(ProcFs.stat(service.pid()).orElseThrow().ppid()).isEqualTo(child.pid());

    child.destroyForcibly(); // SIGKILL, as kill -9
    Waits.atMost(Duration.ofSeconds(10)).until(() -> !child.isAlive());

    Launch store =
        new Launch(
            "store",
            "1.0.0",
            Ipv4.of(ip),
            List.of(new Endpoint("http", port, Protocol.HTTP)),
            Map.of(),
            Map.of());
    assertThat(next.observe("store", "1.0.0", Optional.of(service)))
        .isEqualTo(new Observation(true, true));
    assertThat(ProcFs.stat(service.pid()).orElseThrow().ppid()).isNotEqualTo(child.pid());
    Waits.atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () ->
                next.checkHealth(store, "scripts/health.sh", Duration.ofSeconds(5)).state()
                    == HealthState.PASSING);
    HttpResponse<String> list =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://" + ip + ":" + port + "/kv"))
                    .timeout(Duration.ofSeconds(5))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(list.statusCode()).isEqualTo(200);

    assertThat(next.stop(store, service)).isEqualTo(new StopOutcome.Stopped(StopStep.STOP_SCRIPT));
    assertThat(next.observe("store", "1.0.0", Optional.of(service)).running()).isFalse();
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return "";
    }
  }
}
