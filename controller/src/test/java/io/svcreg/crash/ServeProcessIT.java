package io.svcreg.crash;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.svcreg.Waits;
import io.svcreg.core.ObservedState;
import io.svcreg.crash.Fleet.Svc;
import io.svcreg.schema.Json;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code svcreg serve} as a user runs it, in a process of its own: what it says at start-up, how it
 * stops on SIGTERM (the store closed cleanly, the services left running and adopted by the next
 * start), its JSON log format, a data directory that is already in use, and {@code status} and
 * {@code plan} beside it.
 */
class ServeProcessIT {

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
    ServeProcess.keepLogs(tmp.resolve("logs"), "ServeProcessIT/" + testName);
    ServiceProcesses.killAll(fleet.installRoot);
    Waits.atMost(Duration.ofSeconds(20))
        .alias("every process of the test's services is gone")
        .until(() -> ServiceProcesses.below(fleet.installRoot).isEmpty());
  }

  @Test
  void serve_sigtermThenServeAgain_servicesKeepRunningAndAreAdoptedWithoutARestart() {
    fleet.makePackage("store", "store", "1.0.0");
    fleet.makePackage("api", "api", "1.0.0");
    fleet
        .put(new Svc("store", "1.0.0", List.of()))
        .put(new Svc("api", "1.0.0", List.of("store")))
        .write();

    ServeProcess first = serve();
    awaitConverged(first);
    assertThat(first.stderr())
        .as("serve says what it watches and where its data is")
        .contains("watching " + fleet.specs, "data in " + fleet.data)
        .contains("specs " + fleet.specs.toAbsolutePath(), "data " + fleet.data.toAbsolutePath());
    assertThat(first.stderr())
        .as("serve says where its API listens, its CA and its tokens")
        .contains("svcreg API: wss://127.0.0.1:", "ca.crt, SHA-256 ", "admin.token (admin)")
        .containsPattern("svcreg dashboard: https://127\\.0\\.0\\.1:\\d+/ui/");
    assertThat(fleet.data.resolve("api.url")).as("written once listening").exists();
    Map<String, Long> pids = servicePids();
    assertThat(pids).containsOnlyKeys("store", "api");

    ServeProcess.Result running = svcreg("status", "--data", fleet.data.toString());
    assertThat(running.exitCode()).as(running.stderr()).isZero();
    assertStatusShowsTheServices(running.stdout());
    assertThat(running.stdout()).contains("from the running controller's snapshot");

    int code = first.terminate(Duration.ofSeconds(10));
    assertThat(code).as("exit code after SIGTERM (128 + 15)").isIn(0, 143);
    assertThat(first.stderr()).doesNotContain("Exception");
    assertThat(fleet.data.resolve("api.url")).as("removed on a clean shutdown").doesNotExist();
    assertThat(servicePids()).as("the services outlive the controller").isEqualTo(pids);

    ServeProcess.Result stopped = svcreg("status", "--data", fleet.data.toString());
    assertThat(stopped.exitCode()).as(stopped.stderr()).isZero();
    assertStatusShowsTheServices(stopped.stdout());
    assertThat(stopped.stdout()).contains("from the store");

    ServeProcess.Result plan =
        svcreg("plan", "--specs", fleet.specs.toString(), "--data", fleet.data.toString());
    assertThat(plan.exitCode()).as("plan after convergence: no changes\n" + plan.stdout()).isZero();

    ServeProcess second = serve();
    Waits.atMost(Duration.ofSeconds(30))
        .alias("the second controller has started")
        .until(() -> second.stderr().contains("store revision"));
    Waits.atMost(Duration.ofSeconds(30))
        .alias("the second controller leaves the running services alone")
        .during(Waits.scaled(Duration.ofSeconds(5)))
        .failFast(() -> assertThat(second.alive()).as(second::stderr).isTrue())
        .until(() -> servicePids().equals(pids) && fleet.converged());
    assertThat(second.logLines())
        .as("no restart, no recovery notice after a clean stop")
        .noneMatch(l -> l.contains("→ starting") || l.contains("started "))
        .noneMatch(l -> l.contains(" WARN ") || l.contains(" ERROR "));
    assertThat(second.terminate(Duration.ofSeconds(10))).isIn(0, 143);
    assertThat(servicePids()).isEqualTo(pids);
  }

  @Test
  void serve_versionsBumped_restartsEachServiceOnceAndInstallsEachVersionOnce() {
    for (String v : List.of("1.0.0", "1.1.0")) {
      fleet.makePackage("store", "store", v);
      fleet.makePackage("api", "api", v);
    }
    fleet
        .put(new Svc("store", "1.0.0", List.of()))
        .put(new Svc("api", "1.0.0", List.of("store")))
        .write();
    ServeProcess p = serve();
    awaitConverged(p);
    int before = p.logLines().size();

    fleet
        .put(new Svc("store", "1.1.0", List.of()))
        .put(new Svc("api", "1.1.0", List.of("store")))
        .write();
    awaitConverged(p);

    List<String> log = p.logLines().subList(before, p.logLines().size());
    for (String name : List.of("store", "api")) {
      assertThat(log.stream().filter(l -> l.contains("Service/" + name + ": restarting")))
          .as("restarts of %s:%n%s", name, String.join("\n", log))
          .hasSize(1);
      assertThat(log.stream().filter(l -> l.contains("Service/" + name + ": started 1.1.0")))
          .as("starts of %s:%n%s", name, String.join("\n", log))
          .hasSize(1);
      assertThat(log.stream().filter(l -> l.contains("Service/" + name + ": stopped → deploying")))
          .as("installs of %s while stopped:%n%s", name, String.join("\n", log))
          .hasSizeLessThanOrEqualTo(1);
    }
  }

  @Test
  void serve_logFormatJson_writesEachLogRecordAsOneJsonObjectPerLine() throws Exception {
    fleet.makePackage("store", "store", "1.0.0");
    fleet.put(new Svc("store", "1.0.0", List.of())).write();

    ServeProcess p = serve("--log-format", "json");
    awaitConverged(p);
    p.terminate(Duration.ofSeconds(10));

    List<JsonNode> records = new ArrayList<>();
    for (String line : p.logLines()) {
      if (line.startsWith("svcreg: watching ")) {
        continue; // the start-up banner for the person at the terminal, not a log record
      }
      JsonNode n = Json.mapper().readTree(line);
      assertThat(n.isObject()).as(line).isTrue();
      assertThat(n.fieldNames())
          .toIterable()
          .as(line)
          .contains("time", "level", "logger", "message");
      records.add(n);
    }
    assertThat(records.stream().map(n -> n.get("message").asText()))
        .anyMatch(m -> m.startsWith("svcreg controller: specs "))
        .anyMatch(m -> m.equals("Service/store: starting → running"));
    assertThat(records.stream().map(n -> n.get("level").asText()))
        .allMatch(l -> List.of("ERROR", "WARN", "INFO", "DEBUG", "TRACE").contains(l));
  }

  @Test
  void serve_dataDirectoryInUse_secondServeFailsAtOnceWithOneLineAndExitCode2() {
    fleet.write(); // a network, no services
    ServeProcess first = serve();
    Waits.atMost(Duration.ofSeconds(30))
        .alias("the first controller has started")
        .failFast(() -> assertThat(first.alive()).as(first::stderr).isTrue())
        .until(() -> first.stderr().contains("store revision"));

    ServeProcess second = serve();
    int code = second.awaitExit(Duration.ofSeconds(20));

    assertThat(code).as(second.stderr()).isEqualTo(2);
    assertThat(second.logLines())
        .as("one line saying what is wrong")
        .hasSize(1)
        .first()
        .asString()
        .startsWith("svcreg serve: ")
        .contains("in use by another svcreg process");
    assertThat(first.alive()).as("the running controller is not disturbed").isTrue();
    ServeProcess.Result status = svcreg("status", "--data", fleet.data.toString());
    assertThat(status.exitCode()).as(status.stderr()).isZero();
  }

  @Test
  void serve_limitFlags_sharedByTheTokenOverHttpsAndReportedByServerInfo() throws Exception {
    fleet.write(); // a network, no services
    ServeProcess p = serve("--requests-per-second", "0.01", "--request-burst", "3");
    Path url = fleet.data.resolve("api.url");
    Waits.atMost(Duration.ofSeconds(60))
        .alias("serve writes its API URL")
        .failFast(() -> assertThat(p.alive()).as(p::stderr).isTrue())
        .until(() -> java.nio.file.Files.exists(url));
    String base =
        java.nio.file.Files.readString(url)
            .strip()
            .replace("wss://", "https://")
            .replace("/v1/ws", "");
    String admin = java.nio.file.Files.readString(fleet.data.resolve("tokens/admin.token")).strip();
    String read = java.nio.file.Files.readString(fleet.data.resolve("tokens/read.token")).strip();

    List<Integer> codes = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      codes.add(curlStatus(base + "/api/v1/health", admin));
    }

    assertThat(codes).containsExactly(200, 200, 200, 429);
    assertThat(curlStatus(base + "/api/v1/health", read))
        .as("the read role's own budget")
        .isEqualTo(200);
  }

  private int curlStatus(String url, String token) throws Exception {
    Process c =
        new ProcessBuilder(
                "/usr/bin/curl",
                "-sS",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "--cacert",
                fleet.data.resolve("tls/ca.crt").toString(),
                "-H",
                "Authorization: Bearer " + token,
                url)
            .redirectErrorStream(true)
            .start();
    String out =
        new String(c.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(c.waitFor()).as(out).isZero();
    return Integer.parseInt(out.strip());
  }

  // ------------------------------------------------------------------ helpers

  private ServeProcess serve(String... more) {
    ServeProcess p = ServeProcess.start(tmp.resolve("logs"), fleet.serveArgs(more));
    started.add(p);
    return p;
  }

  private ServeProcess.Result svcreg(String... args) {
    return ServeProcess.run(tmp.resolve("logs"), Duration.ofSeconds(60), args);
  }

  private void awaitConverged(ServeProcess p) {
    Waits.atMost(Duration.ofSeconds(90))
        .alias("the fleet converges")
        .failFast(() -> assertThat(p.alive()).as(p::stderr).isTrue())
        .until(fleet::converged);
  }

  /** The pid of each service's one process, found in /proc. */
  private Map<String, Long> servicePids() {
    Map<String, Long> pids = new TreeMap<>();
    for (ServiceProcesses.Found f : ServiceProcesses.services(fleet.installRoot)) {
      assertThat(pids.put(f.service(), f.pid())).as("a second process of " + f.service()).isNull();
    }
    return pids;
  }

  private void assertStatusShowsTheServices(String table) {
    ObservedState o = fleet.snapshot().orElseThrow();
    for (String name : fleet.desired().keySet()) {
      String address = o.service(name).orElseThrow().status().address().orElseThrow().toString();
      assertThat(table.lines())
          .as(table)
          .anyMatch(
              l ->
                  l.startsWith(name + " ")
                      && l.contains(" running ")
                      && l.contains(" 1.0.0 ")
                      && l.contains(address)
                      && l.contains(" passing "));
    }
  }
}
