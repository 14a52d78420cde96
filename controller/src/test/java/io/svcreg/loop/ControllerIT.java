package io.svcreg.loop;

import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.Waits;
import io.svcreg.core.ObservedService;
import io.svcreg.core.Planner;
import io.svcreg.deploy.ProcessRef;
import io.svcreg.deploy.RunRecord;
import io.svcreg.deploy.ServiceEnvironment;
import io.svcreg.schema.Condition;
import io.svcreg.schema.ConditionStatus;
import io.svcreg.schema.HealthState;
import io.svcreg.schema.Ipv4;
import io.svcreg.schema.Json;
import io.svcreg.schema.Phase;
import io.svcreg.schema.SpecLoader;
import io.svcreg.store.Event;
import io.svcreg.store.InventoryEntry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reconcile loop end to end: a real {@link io.svcreg.ControllerApp} over a real spec directory,
 * EclipseStore in a temporary directory and real processes from real packages, each test on a
 * loopback subnet of its own. The quick start's Java services prove the chain; small bash packages
 * (a {@code sleep} with a pid file) keep the other scenarios fast.
 */
class ControllerIT {

  private static final Duration CONVERGE = Duration.ofSeconds(30);

  @TempDir Path tmp;
  private Rig rig;

  @BeforeEach
  void setUp() {
    rig = new Rig(tmp);
  }

  @AfterEach
  void tearDown() {
    rig.close();
  }

  // ------------------------------------------------------------------ 1, 2, 11: converge

  @Test
  void quickStart_started_convergesHealthyOnOwnAddressesAndServesThroughTheChain()
      throws Exception {
    rig.example("store");
    rig.example("api");
    rig.example("web");
    String opts = "-Xmx48m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto";
    rig.write("network.yaml", rig.network());
    rig.write(
        "services.yaml",
        rig.service("store", "1.0.0", "store").env("JAVA_OPTS", opts).toString(),
        rig.service("api", "1.0.0", "api").dependsOn("store").env("JAVA_OPTS", opts).toString(),
        rig.service("web", "1.0.0", "web").dependsOn("api").env("JAVA_OPTS", opts).toString());
    rig.start();

    rig.awaitRunning(Duration.ofSeconds(90), "store", "api", "web");

    Map<String, String> addr = addresses("store", "api", "web");
    assertThat(Set.copyOf(addr.values())).as("one address each").hasSize(3);
    for (Map.Entry<String, String> e : addr.entrySet()) {
      assertThat(e.getValue()).startsWith(rig.net + ".");
      assertThat(rig.service(e.getKey()).status().endpoints())
          .containsExactly(e.getValue() + ":" + rig.port);
      HttpResponse<String> h = get(e.getValue(), "/healthz");
      assertThat(h.statusCode()).as(e.getKey() + " /healthz").isEqualTo(200);
    }

    HttpResponse<String> saved =
        send(
            HttpRequest.newBuilder(uri(addr.get("web"), "/items"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("id=greeting&value=hello+loop")));
    assertThat(saved.statusCode()).as(saved.body()).isEqualTo(303);
    assertThat(get(addr.get("api"), "/items/greeting").body()).isEqualTo("hello loop");
    HttpResponse<String> put =
        send(
            HttpRequest.newBuilder(uri(addr.get("api"), "/items/answer"))
                .PUT(HttpRequest.BodyPublishers.ofString("42")));
    assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
    assertThat(get(addr.get("web"), "/").body()).contains("<b>answer</b>: 42");

    // dependency order: each starts only after its dependency runs healthy
    assertThat(rig.firstTransition("store", Phase.RUNNING))
        .isLessThan(rig.firstTransition("api", Phase.STARTING));
    assertThat(rig.firstTransition("api", Phase.RUNNING))
        .isLessThan(rig.firstTransition("web", Phase.STARTING));
    assertThat(Rig.environ(rig.pid("web")))
        .containsEntry("API_ADDR", addr.get("api") + ":" + rig.port);
  }

  @Test
  void dependencyChain_started_storeStartsBeforeApiBeforeWeb() {
    lightChain();
    rig.start();

    rig.awaitRunning(CONVERGE, "store", "api", "web");

    long store = rig.firstTransition("store", Phase.STARTING);
    long api = rig.firstTransition("api", Phase.STARTING);
    long web = rig.firstTransition("web", Phase.STARTING);
    assertThat(store).isLessThan(api);
    assertThat(api).isLessThan(web);
    assertThat(rig.firstTransition("store", Phase.RUNNING)).isLessThan(api);
    assertThat(rig.firstTransition("api", Phase.RUNNING)).isLessThan(web);
  }

  // ------------------------------------------------------------------ 3: no noise

  @Test
  void convergedServices_resyncAndRereadOfUnchangedSpecs_emitNothing() throws IOException {
    lightChain();
    rig.start();
    rig.awaitRunning(CONVERGE, "store", "api", "web");
    rig.awaitIdle(CONVERGE);
    long revision = rig.app().store().lastRevision();

    // the same content written again: a watch event and a re-read, but no change
    Path services = rig.specs.resolve("services.yaml");
    Rig.writeAtomically(services, Files.readString(services));
    Waits.atMost(Duration.ofSeconds(10))
        .during(Duration.ofSeconds(4))
        .pollInterval(Duration.ofMillis(250))
        .alias("no event after convergence")
        .until(
            () -> {
              rig.app().controller().resync();
              return rig.app().store().lastRevision() == revision;
            });
    assertThat(rig.eventsAfter(revision)).isEmpty();
    assertThat(rig.service("web").status().phase()).isEqualTo(Phase.RUNNING);
  }

  // ------------------------------------------------------------------ 4: edits

  @Test
  void labelChange_applied_recordedWithoutRestart() {
    one("svc", rig.service("svc", "1.0.0", "svc-1"));
    long pid = rig.pid("svc");
    long revision = rig.app().store().lastRevision();

    rig.write("svc.yaml", rig.service("svc", "1.0.0", "svc-1").label("tier", "gold").toString());

    Waits.atMost(CONVERGE)
        .alias("the label is applied")
        .until(() -> "gold".equals(rig.service("svc").metadata().labels().get("tier")));
    List<String> types = rig.eventsAfter(revision).stream().map(Event::type).toList();
    assertThat(types).contains(Event.SERVICE_UPDATED, Event.RECONCILE_DIFF);
    assertThat(types).doesNotContain(Event.SERVICE_STATE_CHANGED, Event.DEPLOYMENT_PROGRESS);
    assertThat(rig.service("svc").status().pid()).contains(pid);
    assertThat(rig.service("svc").status().phase()).isEqualTo(Phase.RUNNING);
    assertThat(Rig.alive(pid)).isTrue();
  }

  @Test
  void envChange_applied_restartsWithTheNewEnvironment() {
    one("svc", rig.service("svc", "1.0.0", "svc-1").env("GREETING", "hello"));
    long pid = rig.pid("svc");
    assertThat(Rig.environ(pid)).containsEntry("GREETING", "hello");

    rig.write(
        "svc.yaml", rig.service("svc", "1.0.0", "svc-1").env("GREETING", "bonjour").toString());

    rig.await(
        CONVERGE,
        "svc",
        "restarted with the new env",
        o ->
            o.spec().env().equals(Map.of("GREETING", "bonjour"))
                && o.status().phase() == Phase.RUNNING
                && o.status().pid().isPresent()
                && o.status().pid().get() != pid);
    long now = rig.pid("svc");
    assertThat(Rig.environ(now)).containsEntry("GREETING", "bonjour");
    assertThat(Rig.alive(pid)).as("the old process is stopped").isFalse();
    assertThat(rig.servicePids()).containsExactly(now);
  }

  @Test
  void versionChange_newPackageVersion_upgradesAndKeepsTheOldVersion() {
    one("svc", rig.service("svc", "1.0.0", "svc-1"));
    long pid = rig.pid("svc");
    rig.bump("svc-1", "svc-2", "2.0.0");

    rig.write("svc.yaml", rig.service("svc", "2.0.0", "svc-2").toString());

    ObservedService o =
        rig.await(
            CONVERGE,
            "svc",
            "upgraded to 2.0.0",
            s ->
                s.status().deployedVersion().equals(Optional.of("2.0.0"))
                    && s.status().phase() == Phase.RUNNING
                    && s.status().health().state() == HealthState.PASSING);
    assertThat(o.status().previousVersion()).contains("1.0.0");
    long now = rig.pid("svc");
    assertThat(now).isNotEqualTo(pid);
    assertThat(Rig.environ(now)).containsEntry("SERVICE_VERSION", "2.0.0");
    assertThat(rig.installRoot.resolve("svc-1.0.0/manifest.yaml")).as("kept for rollback").exists();
    assertThat(rig.installRoot.resolve("svc-2.0.0/manifest.yaml")).exists();
    assertThat(rig.app().store().inventory())
        .extracting(InventoryEntry::version)
        .containsExactlyInAnyOrder("1.0.0", "2.0.0");
    // the node's own record of what runs, by which controller and spec generation
    RunRecord r = RunRecord.read(rig.installRoot.resolve(RunRecord.fileName("svc"))).orElseThrow();
    assertThat(r)
        .extracting(
            RunRecord::version,
            RunRecord::previousVersion,
            RunRecord::generation,
            RunRecord::address,
            RunRecord::state,
            RunRecord::controller)
        .containsExactly(
            "2.0.0",
            Optional.of("1.0.0"),
            o.generation(),
            o.status().address(),
            RunRecord.State.RUNNING,
            rig.app().controllerId());
    assertThat(r.process().map(ProcessRef::pid)).contains(now);
  }

  // ------------------------------------------------------------------ 5: bad specs

  @Test
  void brokenSpecFile_syntaxError_keepsTheLastGoodStateUntilFixed() {
    one("svc", rig.service("svc", "1.0.0", "svc-1"));
    long pid = rig.pid("svc");
    long revision = rig.app().store().lastRevision();
    String good = rig.service("svc", "1.0.0", "svc-1").toString();

    rig.write("svc.yaml", good.replace("version: \"1.0.0\"", "version: \"1.0.0\n  broken: [x"));

    Waits.atMost(CONVERGE).alias("a spec_error event").until(() -> !specErrors(revision).isEmpty());
    Map<String, Object> error = specErrors(revision).getFirst();
    assertThat((String) error.get("file")).endsWith("svc.yaml");
    assertThat((Integer) error.get("line")).isPositive();
    assertThat((Integer) error.get("column")).isPositive();
    Waits.atMost(Duration.ofSeconds(10))
        .during(Duration.ofSeconds(2))
        .alias("nothing is stopped")
        .until(
            () ->
                rig.service("svc").status().phase() == Phase.RUNNING
                    && rig.service("svc").status().pid().equals(Optional.of(pid)));
    assertThat(rig.eventsAfter(revision)).extracting(Event::type).containsOnly(Event.SPEC_ERROR);

    // a controller restarted meanwhile has no last good spec of it: it still touches nothing
    rig.stopController();
    rig.start();
    rig.awaitIdle(CONVERGE);
    Waits.atMost(Duration.ofSeconds(10))
        .during(Duration.ofSeconds(2))
        .alias("nothing is stopped or forgotten after a restart")
        .until(
            () ->
                rig.find("svc").map(o -> o.status().pid().equals(Optional.of(pid))).orElse(false)
                    && Rig.alive(pid));
    assertThat(rig.eventsAfter(revision)).extracting(Event::type).containsOnly(Event.SPEC_ERROR);

    rig.write("svc.yaml", rig.service("svc", "1.0.0", "svc-1").label("fixed", "yes").toString());

    rig.await(
        CONVERGE,
        "svc",
        "the fixed spec applied",
        o ->
            "yes".equals(o.metadata().labels().get("fixed"))
                && o.status().phase() == Phase.RUNNING);
    assertThat(rig.service("svc").status().pid()).contains(pid);
  }

  @Test
  void duplicateService_inTwoFiles_errorNamesBothAndNothingChanges() {
    one("svc", rig.service("svc", "1.0.0", "svc-1"));
    long pid = rig.pid("svc");
    long revision = rig.app().store().lastRevision();

    rig.write("other.yaml", rig.service("svc", "1.0.0", "svc-1").env("X", "1").toString());

    Waits.atMost(CONVERGE).alias("a spec_error event").until(() -> !specErrors(revision).isEmpty());
    assertThat(specErrors(revision))
        .extracting(e -> (String) e.get("message"))
        .anySatisfy(m -> assertThat(m).contains("svc.yaml", "other.yaml"));
    Waits.atMost(Duration.ofSeconds(10))
        .during(Duration.ofSeconds(2))
        .alias("nothing changes")
        .until(
            () ->
                rig.service("svc").status().phase() == Phase.RUNNING
                    && rig.service("svc").status().pid().equals(Optional.of(pid))
                    && rig.service("svc").spec().env().isEmpty());
    assertThat(rig.eventsAfter(revision)).extracting(Event::type).containsOnly(Event.SPEC_ERROR);
  }

  // ------------------------------------------------------------------ 6: prune

  @Test
  void deletedSpecFile_servicesPruned_dependentsFirstAndOnlyWhatTheControllerInstalled()
      throws IOException {
    Path foreign = Files.createDirectories(rig.installRoot.resolve("foreign-1.0.0"));
    Files.writeString(foreign.resolve("data.txt"), "not the controller's");
    lightChain();
    rig.start();
    rig.awaitRunning(CONVERGE, "store", "api", "web");
    List<Long> pids = List.of(rig.pid("store"), rig.pid("api"), rig.pid("web"));
    long revision = rig.app().store().lastRevision();

    Files.delete(rig.specs.resolve("services.yaml"));

    Waits.atMost(CONVERGE)
        .alias("every service removed")
        .until(() -> rig.app().store().observed().services().isEmpty());
    assertThat(rig.app().store().observed().leases()).as("addresses released").isEmpty();
    assertThat(rig.app().store().inventory()).isEmpty();
    assertThat(pids).noneMatch(Rig::alive);
    assertThat(names(rig.installRoot)).containsExactly("foreign-1.0.0");
    assertThat(foreign.resolve("data.txt")).hasContent("not the controller's");

    List<Event> after = rig.eventsAfter(revision);
    assertThat(removed(after)).containsExactly("web", "api", "store");
    long webStopped = stopped(after, "web");
    long apiStopping = transition(after, "api", Phase.STOPPING);
    long apiStopped = stopped(after, "api");
    long storeStopping = transition(after, "store", Phase.STOPPING);
    assertThat(webStopped).as("web stopped before api stops").isLessThan(apiStopping);
    assertThat(apiStopped).as("api stopped before store stops").isLessThan(storeStopping);
    assertThat(rig.app().store().observed().network("local")).isPresent();
  }

  // ------------------------------------------------------------------ 7: Git

  @Test
  void gitSpecDir_commitChangesSpec_sourceRevisionIsTheCommit() {
    Git git = Git.init(rig.specs);
    rig.light("svc-1", "svc", "1.0.0", Rig.HEALTHY);
    rig.write("network.yaml", rig.network());
    rig.write("svc.yaml", rig.service("svc", "1.0.0", "svc-1").toString());
    String first = git.commitAll("first");
    rig.start();
    rig.awaitRunning(CONVERGE, "svc");
    assertThat(rig.service("svc").status().sourceRevision()).contains(first);
    assertThat(rig.events().stream().filter(e -> e.key().equals("Service/svc")).toList())
        .as("the loop's events name the commit it worked from")
        .isNotEmpty()
        .allSatisfy(
            e ->
                assertThat(Json.mapper().readTree(e.dataJson()).path("sourceRevision").asText())
                    .isEqualTo(first));

    // edited first, committed after the edit was applied (as a user does)
    rig.write("svc.yaml", rig.service("svc", "1.0.0", "svc-1").label("rev", "2").toString());
    rig.await(
        CONVERGE, "svc", "the edit applied", o -> "2".equals(o.metadata().labels().get("rev")));
    String second = git.commitAll("second");

    rig.await(
        CONVERGE,
        "svc",
        "in sync with " + second,
        o -> o.status().sourceRevision().equals(Optional.of(second)));
    rig.light("other-1", "other", "1.0.0", Rig.HEALTHY);
    rig.write("other.yaml", rig.service("other", "1.0.0", "other-1").toString());
    String third = git.commitAll("third");
    rig.awaitRunning(CONVERGE, "other");
    rig.await(
        CONVERGE,
        "other",
        "deployed from " + third,
        o -> o.status().sourceRevision().equals(Optional.of(third)));
    rig.await(
        CONVERGE,
        "svc",
        "in sync with " + third,
        o -> o.status().sourceRevision().equals(Optional.of(third)));
  }

  // ------------------------------------------------------------------ 8: drift

  @Test
  void killedProcess_observed_restarted() {
    one("svc", rig.service("svc", "1.0.0", "svc-1"));
    long pid = rig.pid("svc");

    Rig.kill9(pid);

    rig.awaitNewProcess(CONVERGE, "svc", pid);
    assertThat(rig.servicePids()).containsExactly(rig.pid("svc"));
  }

  @Test
  void healthScriptPassesWhileProcessIsDead_crashRecordedFailingAndRestarted() throws IOException {
    rig.light("svc-1", "svc", "1.0.0", Rig.LIAR);
    rig.write("network.yaml", rig.network());
    rig.write("svc.yaml", rig.service("svc", "1.0.0", "svc-1").toString());
    rig.start();
    rig.awaitRunning(CONVERGE, "svc");
    rig.awaitIdle(CONVERGE);
    long pid = rig.pid("svc");
    int before = rig.events(Event.HEALTH_CHECK_RESULT, "svc").size();

    Files.writeString(rig.installRoot.resolve("svc-1.0.0/lie"), "");

    rig.awaitNewProcess(CONVERGE, "svc", pid);
    Map<String, Object> lie = Rig.data(rig.events(Event.HEALTH_CHECK_RESULT, "svc").get(before));
    assertThat(lie).containsEntry("state", "failing").containsEntry("reason", "ProcessExited");
    assertThat(String.valueOf(lie.get("output")))
        .contains("the health script of svc 1.0.0 said passing, but its process (pid " + pid)
        .contains("is gone")
        .contains("all good");
    assertThat(rig.servicePids()).containsExactly(rig.pid("svc"));
  }

  @Test
  void deletedInstallDir_observed_reinstalledAndRunning() throws IOException {
    one("svc", rig.service("svc", "1.0.0", "svc-1"));
    long pid = rig.pid("svc");
    Path home = rig.installRoot.resolve("svc-1.0.0");

    deleteTree(home);

    rig.await(
        CONVERGE,
        "svc",
        "reinstalled and running",
        o ->
            Files.exists(home.resolve("scripts/start.sh"))
                && o.status().phase() == Phase.RUNNING
                && o.status().pid().isPresent()
                && o.status().pid().get() != pid);
    assertThat(Rig.alive(pid)).as("the process of the deleted install is stopped").isFalse();
    assertThat(rig.servicePids()).containsExactly(rig.pid("svc"));
  }

  @Test
  void startScriptExitsImmediately_everyTime_failsAtTheStartLimit() {
    Controller.Options o = rig.options();
    rig.options(
        new Controller.Options(
            o.workers(),
            o.backoffBase(),
            o.backoffCap(),
            o.resyncInterval(),
            o.healthPoll(),
            o.dependencyPoll(),
            3,
            Duration.ofSeconds(60)));
    rig.light("crash-1", "crash", "1.0.0", Rig.HEALTHY, "echo \"crashing\"\nexit 3");
    rig.write("network.yaml", rig.network());
    rig.write("crash.yaml", rig.service("crash", "1.0.0", "crash-1").toString());
    rig.start();

    rig.await(
        CONVERGE,
        "crash",
        "gives up at the start limit",
        s -> degraded(s).equals("StartLimitReached"));
    assertThat(rig.service("crash").status().phase()).isEqualTo(Phase.FAILED);
    int attempts = starts("crash");
    assertThat(attempts).isEqualTo(3);
    Waits.atMost(Duration.ofSeconds(10))
        .during(Duration.ofSeconds(3))
        .alias("no more start attempts")
        .until(() -> starts("crash") == attempts);
  }

  @Test
  void requiredCommandMissingOnTheControllersHost_failedDegradedAndNeverStarted() {
    Path pkg = rig.light("needs-1", "needs", "1.0.0", Rig.HEALTHY);
    String manifest = "name: needs\nversion: \"1.0.0\"\n";
    Rig.writeAtomically(
        pkg.resolve("manifest.yaml"),
        manifest + "requires:\n  commands: [sh, svcreg-no-such-command-xyz]\n");
    rig.write("network.yaml", rig.network());
    rig.write("needs.yaml", rig.service("needs", "1.0.0", "needs-1").toString());
    rig.start();

    ObservedService o =
        rig.await(
            CONVERGE,
            "needs",
            "failed: a required command is missing",
            s -> s.status().phase() == Phase.FAILED && degraded(s).equals("RequirementMissing"));
    String message =
        "cannot install needs 1.0.0 on the controller's host: missing command"
            + " svcreg-no-such-command-xyz (requires in its manifest.yaml; commands are looked up"
            + " in the scripts' PATH "
            + ServiceEnvironment.path(System.getenv())
            + "); install it there";
    assertThat(o.status().lastError()).contains(message);
    assertThat(o.status().condition(Condition.DEGRADED).map(Condition::message)).contains(message);
    assertThat(o.status().pid()).isEmpty();
    Waits.atMost(Duration.ofSeconds(10))
        .during(Duration.ofSeconds(2))
        .alias("never installed or started while the command is missing")
        .until(
            () ->
                starts("needs") == 0
                    && rig.servicePids().isEmpty()
                    && !Files.exists(rig.installRoot.resolve("needs-1.0.0")));

    // the package no longer needs it: the next retry installs and starts it
    Rig.writeAtomically(pkg.resolve("manifest.yaml"), manifest);
    rig.await(
        CONVERGE,
        "needs",
        "running and no longer degraded",
        s -> s.status().phase() == Phase.RUNNING && degraded(s).isEmpty());
  }

  // ------------------------------------------------------------------ 9: rollback

  @Test
  void unhealthyNewVersion_progressDeadline_rolledBackAndStaysRolledBack() {
    one("svc", rig.service("svc", "1.0.0", "svc-1").progressDeadline("3s"));
    rig.light("svc-2", "svc", "2.0.0", Rig.UNHEALTHY);
    long revision = rig.app().store().lastRevision();

    rig.write("svc.yaml", rig.service("svc", "2.0.0", "svc-2").progressDeadline("3s").toString());

    rig.await(
        CONVERGE,
        "svc",
        "rolled back to 1.0.0",
        o ->
            o.status().deployedVersion().equals(Optional.of("1.0.0"))
                && o.status().phase() == Phase.RUNNING
                && degraded(o).equals("RolledBack"));
    assertThat(
            rig.eventsAfter(revision).stream()
                .filter(e -> e.type().equals(Event.SERVICE_STATE_CHANGED))
                .map(e -> Rig.data(e).get("to")))
        .contains("failed");
    assertThat(rig.service("svc").status().previousVersion()).contains("2.0.0");
    long pid = rig.pid("svc");
    assertThat(Rig.environ(pid)).containsEntry("SERVICE_VERSION", "1.0.0");
    long settled = rig.app().store().lastRevision();
    Waits.atMost(Duration.ofSeconds(15))
        .during(Duration.ofSeconds(4))
        .alias("it stays rolled back")
        .until(
            () ->
                rig.service("svc").status().deployedVersion().equals(Optional.of("1.0.0"))
                    && rig.service("svc").status().pid().equals(Optional.of(pid)));
    assertThat(rig.eventsAfter(settled))
        .extracting(Event::type)
        .doesNotContain(Event.DEPLOYMENT_PROGRESS, Event.SERVICE_STATE_CHANGED);

    // its process dies: the version it was rolled back to starts again, not the failed one
    Rig.kill9(pid);
    ObservedService again =
        rig.await(
            CONVERGE,
            "svc",
            "1.0.0 running again",
            o ->
                o.status().phase() == Phase.RUNNING
                    && o.status().pid().isPresent()
                    && o.status().pid().get() != pid);
    assertThat(again.status().deployedVersion()).contains("1.0.0");
    assertThat(Rig.environ(rig.pid("svc"))).containsEntry("SERVICE_VERSION", "1.0.0");

    rig.bump("svc-1", "svc-3", "3.0.0");
    rig.write("svc.yaml", rig.service("svc", "3.0.0", "svc-3").progressDeadline("3s").toString());

    ObservedService v3 =
        rig.await(
            CONVERGE,
            "svc",
            "a new spec rolls out again",
            o ->
                o.status().deployedVersion().equals(Optional.of("3.0.0"))
                    && o.status().phase() == Phase.RUNNING);
    assertThat(degraded(v3)).as("healthy at the spec's version: not degraded").isEmpty();
  }

  // ------------------------------------------------------------------ 10: restart

  @Test
  void controllerClosed_servicesKeepRunning_newControllerAdoptsThemWithoutActions() {
    rig.light("store-1", "store", "1.0.0", Rig.HEALTHY);
    rig.light("api-1", "api", "1.0.0", Rig.HEALTHY);
    rig.write("network.yaml", rig.network());
    rig.write(
        "services.yaml",
        rig.service("store", "1.0.0", "store-1").toString(),
        rig.service("api", "1.0.0", "api-1").dependsOn("store").toString());
    rig.start();
    rig.awaitRunning(CONVERGE, "store", "api");
    rig.awaitIdle(CONVERGE);
    List<Long> pids = List.of(rig.pid("store"), rig.pid("api"));
    long revision = rig.app().store().lastRevision();
    String id = rig.app().controllerId();

    rig.stopController();
    assertThat(pids).allMatch(Rig::alive);

    rig.start();
    assertThat(rig.app().controllerId()).as("the identity kept in its store").isEqualTo(id);
    rig.awaitIdle(CONVERGE);
    Waits.atMost(Duration.ofSeconds(10))
        .during(Duration.ofSeconds(3))
        .alias("the same processes keep running")
        .until(
            () ->
                rig.find("store").flatMap(s -> s.status().pid()).equals(Optional.of(pids.get(0)))
                    && rig.find("api")
                        .flatMap(s -> s.status().pid())
                        .equals(Optional.of(pids.get(1)))
                    && pids.stream().allMatch(Rig::alive));
    assertThat(rig.servicePids()).containsExactlyInAnyOrderElementsOf(pids);
    assertThat(rig.eventsAfter(revision))
        .extracting(Event::type)
        .doesNotContain(
            Event.DEPLOYMENT_PROGRESS,
            Event.SERVICE_STATE_CHANGED,
            Event.SERVICE_REGISTERED,
            Event.ENDPOINT_UPDATED);
    assertThat(
            Planner.plan(SpecLoader.load(List.of(rig.specs)), rig.app().store().observed())
                .actions())
        .isEmpty();
  }

  // ------------------------------------------------------------------ 11: addresses

  @Test
  void newStoppedService_installedOnce_hasItsAddressRecorded() {
    // no resync repairs it here: the first reconcile must record the address it leased
    rig.options(rig.options().withResyncInterval(Duration.ofMinutes(5)));
    rig.light("q-1", "q", "1.0.0", Rig.HEALTHY);
    rig.write("network.yaml", rig.network());
    rig.write("q.yaml", rig.service("q", "1.0.0", "q-1").state("stopped").toString());
    rig.start();

    rig.await(
        CONVERGE,
        "q",
        "installed and stopped",
        o ->
            o.status().phase() == Phase.STOPPED
                && o.status().deployedVersion().equals(Optional.of("1.0.0")));
    rig.awaitIdle(CONVERGE);

    assertThat(rig.service("q").status().address()).contains(Ipv4.of(rig.net + ".2"));
    assertThat(rig.app().store().leases("q"))
        .extracting(l -> l.address().toString())
        .containsExactly(rig.net + ".2");
  }

  @Test
  void fullSubnet_oneServiceTooMany_degradedWhileTheOtherRuns() {
    // no resync helps here: a freed address must reach the waiting service by itself
    rig.options(rig.options().withResyncInterval(Duration.ofMinutes(5)));
    rig.light("a-1", "a", "1.0.0", Rig.HEALTHY);
    rig.light("b-1", "b", "1.0.0", Rig.HEALTHY);
    // a /30 has two usable addresses; with one reserved, one is left for two services
    rig.write("network.yaml", Rig.network("local", rig.net + ".0/30", List.of(rig.net + ".1")));
    rig.write(
        "services.yaml",
        rig.service("a", "1.0.0", "a-1").toString(),
        rig.service("b", "1.0.0", "b-1").toString());
    rig.start();

    rig.awaitRunning(CONVERGE, "a");
    rig.await(
        CONVERGE,
        "b",
        "degraded: no free address",
        s ->
            s.status()
                .condition(Condition.DEGRADED)
                .filter(c -> c.status() == ConditionStatus.TRUE)
                .filter(c -> c.message().contains("no free address"))
                .isPresent());
    assertThat(rig.service("a").status().address()).contains(Ipv4.of(rig.net + ".2"));
    assertThat(rig.service("b").status().address()).isEmpty();
    assertThat(rig.service("b").status().pid()).isEmpty();
    assertThat(rig.app().store().observed().leases()).hasSize(1);

    // a is deleted: its address goes to b, which runs and is no longer degraded
    rig.write("services.yaml", rig.service("b", "1.0.0", "b-1").toString());
    ObservedService b =
        rig.await(
            CONVERGE,
            "b",
            "running on the freed address",
            o -> o.status().phase() == Phase.RUNNING && degraded(o).isEmpty());
    assertThat(b.status().address()).contains(Ipv4.of(rig.net + ".2"));
    assertThat(rig.find("a")).isEmpty();
  }

  // ------------------------------------------------------------------ helpers

  /** Three light services in a chain: web → api → store. */
  private void lightChain() {
    rig.light("store-1", "store", "1.0.0", Rig.HEALTHY);
    rig.light("api-1", "api", "1.0.0", Rig.HEALTHY);
    rig.light("web-1", "web", "1.0.0", Rig.HEALTHY);
    rig.write("network.yaml", rig.network());
    rig.write(
        "services.yaml",
        rig.service("store", "1.0.0", "store-1").toString(),
        rig.service("api", "1.0.0", "api-1").dependsOn("store").toString(),
        rig.service("web", "1.0.0", "web-1").dependsOn("api").toString());
  }

  /** One light service {@code name} (package {@code name-1}) from {@code spec}, started. */
  private void one(String name, SpecText spec) {
    rig.light(name + "-1", name, "1.0.0", Rig.HEALTHY);
    rig.write("network.yaml", rig.network());
    rig.write(name + ".yaml", spec.toString());
    rig.start();
    rig.awaitRunning(CONVERGE, name);
    rig.awaitIdle(CONVERGE);
  }

  private Map<String, String> addresses(String... names) {
    return Stream.of(names)
        .collect(
            Collectors.toMap(
                n -> n,
                n -> rig.service(n).status().address().orElseThrow().toString(),
                (a, b) -> a,
                java.util.TreeMap::new));
  }

  private List<Map<String, Object>> specErrors(long revision) {
    return rig.eventsAfter(revision).stream()
        .filter(e -> e.type().equals(Event.SPEC_ERROR))
        .map(Rig::data)
        .toList();
  }

  private int starts(String service) {
    return (int)
        rig.events(Event.DEPLOYMENT_PROGRESS, service).stream()
            .filter(e -> "start".equals(Rig.data(e).get("phase")))
            .count();
  }

  /** The reason of a true {@code Degraded} condition, or "" when not degraded. */
  private static String degraded(ObservedService o) {
    return o.status()
        .condition(Condition.DEGRADED)
        .filter(c -> c.status() == ConditionStatus.TRUE)
        .map(Condition::reason)
        .orElse("");
  }

  private static List<String> removed(List<Event> events) {
    return events.stream()
        .filter(e -> e.type().equals(Event.SERVICE_REMOVED))
        .map(e -> (String) Rig.data(e).get("service"))
        .toList();
  }

  private static long transition(List<Event> events, String service, Phase to) {
    return events.stream()
        .filter(e -> e.type().equals(Event.SERVICE_STATE_CHANGED))
        .filter(e -> e.key().equals("Service/" + service))
        .filter(e -> to.wireName().equals(Rig.data(e).get("to")))
        .mapToLong(Event::revision)
        .min()
        .orElseThrow(() -> new AssertionError(service + " never went to " + to.wireName()));
  }

  private static long stopped(List<Event> events, String service) {
    return transition(events, service, Phase.STOPPED);
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> list = Files.list(dir)) {
      return list.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private URI uri(String ip, String path) {
    return URI.create("http://" + ip + ":" + rig.port + path);
  }

  private HttpResponse<String> get(String ip, String path) throws Exception {
    return send(HttpRequest.newBuilder(uri(ip, path)).GET());
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(
        request.timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  /** Runs the real {@code git} in the spec directory (its own identity, no signing). */
  private record Git(Path dir) {

    static Git init(Path dir) {
      Git g = new Git(dir);
      g.run("init", "-q", "-b", "main");
      g.run("config", "user.name", "Test");
      g.run("config", "user.email", "test@example.invalid");
      g.run("config", "commit.gpgsign", "false");
      return g;
    }

    String commitAll(String message) {
      run("add", "-A");
      run("commit", "-q", "-m", message);
      return run("rev-parse", "HEAD").strip();
    }

    String run(String... args) {
      List<String> cmd = new ArrayList<>(List.of("git", "-C", dir.toString()));
      cmd.addAll(List.of(args));
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
      pb.environment().keySet().removeIf(k -> k.startsWith("GIT_"));
      try {
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
          throw new AssertionError("git " + String.join(" ", args) + " failed: " + out);
        }
        return out;
      } catch (IOException e) {
        throw new AssertionError("cannot run git", e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
    }
  }
}
