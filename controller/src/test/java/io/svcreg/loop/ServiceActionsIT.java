package io.svcreg.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.svcreg.Waits;
import io.svcreg.core.ConflictException;
import io.svcreg.core.NotFoundException;
import io.svcreg.core.ObservedService;
import io.svcreg.core.Reasons;
import io.svcreg.schema.Condition;
import io.svcreg.schema.ConditionStatus;
import io.svcreg.schema.HealthState;
import io.svcreg.schema.Phase;
import io.svcreg.store.Event;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An operator's commands ({@code start}, {@code stop}, {@code restart}, {@code deploy_package}) on
 * a real controller with real processes and a real store: what each does to the service, that a
 * stop holds across resyncs and controller restarts, and the errors of a bad request.
 */
class ServiceActionsIT {

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

  @Test
  void restart_runningService_newProcessOfTheSameVersionHealthy() {
    one("svc", rig.service("svc", "1.0.0", "svc-1"));
    long pid = rig.pid("svc");

    ActionReceipt r = controller().serviceAction("svc", ServiceCommand.RESTART);

    assertThat(r).isEqualTo(new ActionReceipt("svc", "restart", "1.0.0", r.revision()));
    Event recorded = event(r.revision());
    assertThat(recorded.type()).isEqualTo(Event.SERVICE_UPDATED);
    assertThat(Rig.data(recorded)).containsEntry("action", "restart");
    ObservedService o = awaitNewProcess("svc", pid);
    assertThat(o.status().deployedVersion()).contains("1.0.0");
    assertThat(Rig.alive(pid)).as("the old process is stopped").isFalse();
    assertThat(held(o)).isFalse();
    assertThat(rig.servicePids()).containsExactly(rig.pid("svc"));
  }

  @Test
  void stop_runningService_staysStoppedAcrossResyncAndControllerRestartUntilStart() {
    one("svc", rig.service("svc", "1.0.0", "svc-1"));
    long pid = rig.pid("svc");

    ActionReceipt r = controller().serviceAction("svc", ServiceCommand.STOP);

    assertThat(r.action()).isEqualTo("stop");
    assertThat(Rig.data(event(r.revision()))).containsEntry("action", "stop");
    ObservedService stopped =
        rig.await(
            CONVERGE,
            "svc",
            "stopped and held",
            o -> o.status().phase() == Phase.STOPPED && o.status().pid().isEmpty() && held(o));
    assertThat(stopped.status().condition(Condition.HELD).orElseThrow().reason())
        .isEqualTo(Reasons.STOPPED_BY_OPERATOR);
    assertThat(Rig.alive(pid)).isFalse();

    controller().resync();
    rig.awaitIdle(CONVERGE);
    staysStopped();

    rig.stopController();
    rig.start();
    rig.awaitIdle(CONVERGE);
    staysStopped();

    ActionReceipt started = controller().serviceAction("svc", ServiceCommand.START);

    assertThat(started.revision()).isGreaterThan(r.revision());
    ObservedService running = awaitNewProcess("svc", pid);
    assertThat(held(running)).isFalse();
    assertThat(rig.servicePids()).containsExactly(rig.pid("svc"));
  }

  @Test
  void commands_recordedButNotCarriedOutBeforeTheControllerStops_carriedOutByTheNext()
      throws IOException {
    rig.light("a-1", "a", "1.0.0", Rig.HEALTHY);
    rig.light("b-1", "b", "1.0.0", Rig.HEALTHY);
    rig.write("network.yaml", rig.network());
    rig.write(
        "services.yaml",
        rig.service("a", "1.0.0", "a-1").toString(),
        rig.service("b", "1.0.0", "b-1").toString());
    rig.start();
    rig.awaitRunning(CONVERGE, "a", "b");
    rig.awaitIdle(CONVERGE);
    long a = rig.pid("a");
    long b = rig.pid("b");
    Files.writeString(tmp.resolve("packages/b-1/scripts/extra.sh"), "echo new\n");
    // the loop stops (as at a kill) after the commands are recorded and before it acts on them
    Controller c = controller();
    c.close();
    c.queue().awaitTermination(CONVERGE);

    c.serviceAction("a", ServiceCommand.STOP);
    c.deployPackage("b");
    rig.stopController();
    assertThat(Rig.alive(a)).isTrue();
    assertThat(Rig.alive(b)).isTrue();
    rig.start();

    rig.await(
        CONVERGE,
        "a",
        "stopped by the next controller",
        o -> o.status().phase() == Phase.STOPPED && held(o));
    assertThat(Rig.alive(a)).isFalse();
    awaitNewProcess("b", b);
    assertThat(rig.installRoot.resolve("b-1.0.0/scripts/extra.sh")).exists();
  }

  @Test
  void stop_heldWhileTheSpecGetsANewVersion_installedButNotStartedUntilStart() {
    one("svc", rig.service("svc", "1.0.0", "svc-1"));
    controller().serviceAction("svc", ServiceCommand.STOP);
    rig.await(CONVERGE, "svc", "stopped", o -> o.status().phase() == Phase.STOPPED && held(o));
    rig.bump("svc-1", "svc-2", "2.0.0");

    rig.write("svc.yaml", rig.service("svc", "2.0.0", "svc-2").toString());

    rig.await(
        CONVERGE,
        "svc",
        "2.0.0 installed, still stopped",
        o ->
            o.status().deployedVersion().equals(Optional.of("2.0.0"))
                && o.status().phase() == Phase.STOPPED
                && held(o));
    rig.awaitIdle(CONVERGE);
    assertThat(rig.servicePids()).isEmpty();

    controller().serviceAction("svc", ServiceCommand.START);

    rig.awaitRunning(CONVERGE, "svc");
    assertThat(Rig.environ(rig.pid("svc"))).containsEntry("SERVICE_VERSION", "2.0.0");
  }

  @Test
  void stop_thenServiceRemovedAndDeclaredAgain_theNewOneRuns() throws IOException {
    one("svc", rig.service("svc", "1.0.0", "svc-1"));
    controller().serviceAction("svc", ServiceCommand.STOP);
    rig.await(CONVERGE, "svc", "stopped", o -> o.status().phase() == Phase.STOPPED && held(o));

    Files.delete(rig.specs.resolve("svc.yaml"));
    Waits.atMost(CONVERGE).alias("svc removed").until(() -> rig.find("svc").isEmpty());
    rig.write("svc.yaml", rig.service("svc", "1.0.0", "svc-1").toString());

    rig.awaitRunning(CONVERGE, "svc");
    assertThat(held(rig.service("svc"))).isFalse();
  }

  @Test
  void start_afterTheStartLimit_triesAgain() {
    Controller.Options o = rig.options();
    rig.options(
        new Controller.Options(
            o.workers(),
            o.backoffBase(),
            o.backoffCap(),
            o.resyncInterval(),
            o.healthPoll(),
            o.dependencyPoll(),
            2,
            Duration.ofSeconds(60)));
    rig.light("crash-1", "crash", "1.0.0", Rig.HEALTHY, "exit 3");
    rig.write("network.yaml", rig.network());
    rig.write("crash.yaml", rig.service("crash", "1.0.0", "crash-1").toString());
    rig.start();
    rig.await(CONVERGE, "crash", "gives up", s -> degraded(s).equals("StartLimitReached"));
    rig.awaitIdle(CONVERGE);
    int before = starts("crash");

    controller().serviceAction("crash", ServiceCommand.START);

    Waits.atMost(CONVERGE)
        .alias("started again, up to the start limit again")
        .until(
            () ->
                starts("crash") == before + 2
                    && degraded(rig.service("crash")).equals("StartLimitReached"));
  }

  @Test
  void deployPackage_changedContentOfTheSameVersion_reinstalledAndRestarted() throws IOException {
    one("svc", rig.service("svc", "1.0.0", "svc-1"));
    long pid = rig.pid("svc");
    Path marker = rig.installRoot.resolve("svc-1.0.0/config/extra.txt");
    Files.createDirectories(tmp.resolve("packages/svc-1/config"));
    Files.writeString(tmp.resolve("packages/svc-1/config/extra.txt"), "new\n");
    assertThat(marker).doesNotExist();

    ActionReceipt r = controller().deployPackage("svc");

    assertThat(r).isEqualTo(new ActionReceipt("svc", "deploy", "1.0.0", r.revision()));
    Event recorded = event(r.revision());
    assertThat(recorded.type()).isEqualTo(Event.DEPLOYMENT_PROGRESS);
    assertThat(Rig.data(recorded)).containsEntry("phase", "requested");
    awaitNewProcess("svc", pid);
    assertThat(marker).hasContent("new");
    assertThat(
            rig.eventsAfter(r.revision()).stream()
                .filter(e -> e.type().equals(Event.DEPLOYMENT_PROGRESS))
                .map(e -> Rig.data(e).get("phase")))
        .containsSubsequence("install", "installed", "start");
  }

  @Test
  void deployPackage_brokenPackage_rolledBackUntilAFixedPackageIsDeployed() {
    one("svc", rig.service("svc", "1.0.0", "svc-1").progressDeadline("3s"));
    rig.bump("svc-1", "svc-2", "2.0.0");
    rig.write("svc.yaml", rig.service("svc", "2.0.0", "svc-2").progressDeadline("3s").toString());
    rig.await(
        CONVERGE,
        "svc",
        "2.0.0 running",
        o ->
            o.status().deployedVersion().equals(Optional.of("2.0.0"))
                && o.status().phase() == Phase.RUNNING);
    rig.awaitIdle(CONVERGE);
    long pid = rig.pid("svc");
    rig.light("svc-2", "svc", "2.0.0", Rig.UNHEALTHY);

    ActionReceipt r = controller().deployPackage("svc");

    assertThat(r.version()).isEqualTo("2.0.0");
    ObservedService o =
        rig.await(
            CONVERGE,
            "svc",
            "rolled back to 1.0.0",
            s ->
                s.status().deployedVersion().equals(Optional.of("1.0.0"))
                    && s.status().phase() == Phase.RUNNING
                    && degraded(s).equals("RolledBack"));
    assertThat(o.status().pid()).isPresent().get().isNotEqualTo(pid);
    assertThat(
            rig.eventsAfter(r.revision()).stream()
                .filter(e -> e.type().equals(Event.DEPLOYMENT_PROGRESS))
                .map(e -> Rig.data(e).get("phase")))
        .containsSubsequence("install", "installed", "start", "rollback");

    rig.light("svc-2", "svc", "2.0.0", Rig.HEALTHY);
    controller().deployPackage("svc");

    ObservedService fixed =
        rig.await(
            CONVERGE,
            "svc",
            "the fixed 2.0.0 rolled out",
            s ->
                s.status().deployedVersion().equals(Optional.of("2.0.0"))
                    && s.status().phase() == Phase.RUNNING
                    && s.status().health().state() == HealthState.PASSING);
    assertThat(degraded(fixed)).isEmpty();
    assertThat(Rig.environ(rig.pid("svc"))).containsEntry("SERVICE_VERSION", "2.0.0");
  }

  @Test
  void deployPackage_missingPackage_failsAndTheServiceKeepsRunning() throws IOException {
    one("svc", rig.service("svc", "1.0.0", "svc-1"));
    long pid = rig.pid("svc");
    Files.move(tmp.resolve("packages/svc-1"), tmp.resolve("packages/gone"));

    ActionReceipt r = controller().deployPackage("svc");

    Waits.atMost(CONVERGE)
        .alias("the failed deploy is recorded")
        .until(
            () ->
                rig.eventsAfter(r.revision()).stream()
                    .anyMatch(
                        e ->
                            e.type().equals(Event.DEPLOYMENT_PROGRESS)
                                && "failed".equals(Rig.data(e).get("phase"))));
    rig.awaitIdle(CONVERGE);
    ObservedService o = rig.service("svc");
    assertThat(o.status().phase()).isEqualTo(Phase.RUNNING);
    assertThat(o.status().pid()).contains(pid);
    assertThat(o.status().lastError()).get().asString().contains("missing");
    assertThat(Rig.alive(pid)).isTrue();
  }

  @Test
  void commands_unknownService_notFound() {
    one("svc", rig.service("svc", "1.0.0", "svc-1"));
    long revision = rig.app().store().lastRevision();

    assertThatThrownBy(() -> controller().serviceAction("nope", ServiceCommand.STOP))
        .isInstanceOf(NotFoundException.class)
        .hasMessageContaining("nope");
    assertThatThrownBy(() -> controller().deployPackage("nope"))
        .isInstanceOf(NotFoundException.class);
    assertThat(rig.eventsAfter(revision)).isEmpty();
  }

  @Test
  void start_specSaysStopped_conflictNamingTheSpec() {
    rig.light("svc-1", "svc", "1.0.0", Rig.HEALTHY);
    rig.write("network.yaml", rig.network());
    rig.write("svc.yaml", rig.service("svc", "1.0.0", "svc-1").state("stopped").toString());
    rig.start();
    rig.await(CONVERGE, "svc", "installed, stopped", o -> o.status().phase() == Phase.STOPPED);
    rig.awaitIdle(CONVERGE);
    long revision = rig.app().store().lastRevision();

    assertThatThrownBy(() -> controller().serviceAction("svc", ServiceCommand.START))
        .isInstanceOf(ConflictException.class)
        .hasMessageContaining("state: stopped")
        .hasMessageContaining("svc.yaml");
    assertThatThrownBy(() -> controller().serviceAction("svc", ServiceCommand.RESTART))
        .isInstanceOf(ConflictException.class);
    assertThat(rig.eventsAfter(revision)).isEmpty();
  }

  @Test
  void restart_heldStopped_conflictSayingToStart() {
    one("svc", rig.service("svc", "1.0.0", "svc-1"));
    controller().serviceAction("svc", ServiceCommand.STOP);
    rig.await(CONVERGE, "svc", "stopped", o -> o.status().phase() == Phase.STOPPED);

    assertThatThrownBy(() -> controller().serviceAction("svc", ServiceCommand.RESTART))
        .isInstanceOf(ConflictException.class)
        .hasMessageContaining("start");
  }

  @Test
  void serviceCommand_wireNames_parse() {
    assertThat(ServiceCommand.parse("restart")).contains(ServiceCommand.RESTART);
    assertThat(ServiceCommand.parse("Stop")).isEmpty();
    assertThat(List.of(ServiceCommand.values()))
        .extracting(ServiceCommand::wireName)
        .containsExactly("start", "stop", "restart");
  }

  // ------------------------------------------------------------------ helpers

  private Controller controller() {
    return rig.app().controller();
  }

  private void one(String name, SpecText spec) {
    rig.light(name + "-1", name, "1.0.0", Rig.HEALTHY);
    rig.write("network.yaml", rig.network());
    rig.write(name + ".yaml", spec.toString());
    rig.start();
    rig.awaitRunning(CONVERGE, name);
    rig.awaitIdle(CONVERGE);
  }

  private ObservedService awaitNewProcess(String name, long oldPid) {
    return rig.awaitNewProcess(CONVERGE, name, oldPid);
  }

  private void staysStopped() {
    Waits.atMost(Duration.ofSeconds(10))
        .during(Duration.ofSeconds(2))
        .alias("svc stays stopped")
        .until(
            () ->
                rig.find("svc")
                    .map(o -> o.status().phase() == Phase.STOPPED && o.status().pid().isEmpty())
                    .orElse(false));
    assertThat(rig.servicePids()).isEmpty();
  }

  private Event event(long revision) {
    return rig.eventsAfter(revision - 1).getFirst();
  }

  private int starts(String service) {
    return (int)
        rig.events(Event.DEPLOYMENT_PROGRESS, service).stream()
            .filter(e -> "start".equals(Rig.data(e).get("phase")))
            .count();
  }

  private static boolean held(ObservedService o) {
    return o.status()
        .condition(Condition.HELD)
        .map(c -> c.status() == ConditionStatus.TRUE)
        .orElse(false);
  }

  private static String degraded(ObservedService o) {
    return o.status()
        .condition(Condition.DEGRADED)
        .filter(c -> c.status() == ConditionStatus.TRUE)
        .map(Condition::reason)
        .orElse("");
  }
}
