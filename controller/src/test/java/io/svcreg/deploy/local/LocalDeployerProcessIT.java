package io.svcreg.deploy.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.Waits;
import io.svcreg.deploy.DeployReasons;
import io.svcreg.deploy.DeployTimeouts;
import io.svcreg.deploy.HealthResult;
import io.svcreg.deploy.InstallOutcome;
import io.svcreg.deploy.Launch;
import io.svcreg.deploy.NodeRecords;
import io.svcreg.deploy.Observation;
import io.svcreg.deploy.ProcessRef;
import io.svcreg.deploy.RecordReads;
import io.svcreg.deploy.RunRecord;
import io.svcreg.deploy.StartOutcome;
import io.svcreg.deploy.StopOutcome;
import io.svcreg.deploy.StopStep;
import io.svcreg.deploy.TestPackages;
import io.svcreg.deploy.Trees;
import io.svcreg.deploy.UninstallOutcome;
import io.svcreg.schema.Endpoint;
import io.svcreg.schema.ExecutionType;
import io.svcreg.schema.HealthState;
import io.svcreg.schema.Ipv4;
import io.svcreg.schema.Protocol;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.Stream;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Starting, stopping, observing and health-checking real processes from real packages. */
class LocalDeployerProcessIT {

  /** Short stop steps, so escalation tests take seconds. */
  private static final DeployTimeouts FAST =
      new DeployTimeouts(
          Duration.ofMillis(500),
          Duration.ofSeconds(1),
          Duration.ofSeconds(1),
          Duration.ofSeconds(5));

  @TempDir Path tmp;
  private Path root;
  private LocalDeployer deployer;
  private final List<ProcessRef> started = new ArrayList<>();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /** The controller's environment as the tests see it, with the JDK running them as JAVA_HOME. */
  static Map<String, String> controllerEnv() {
    Map<String, String> env = new HashMap<>(System.getenv());
    env.put("JAVA_HOME", System.getProperty("java.home"));
    return env;
  }

  @BeforeEach
  void setUp() {
    root = tmp.resolve("opt");
    deployer = newDeployer(DeployTimeouts.DEFAULTS);
  }

  private LocalDeployer newDeployer(DeployTimeouts timeouts) {
    return new LocalDeployer(
        root, timeouts, InstantSource.system(), Waiter.system(), controllerEnv());
  }

  @AfterEach
  void killLeftovers() throws InterruptedException {
    for (ProcessRef ref : started) {
      if (ProcFs.groupAlive(ref.pid())) {
        Scripts.signalGroup(ref.pid(), "KILL");
      }
    }
  }

  private static Launch launch(String service, String ip, int port) {
    return new Launch(
        service,
        "1.0.0",
        Ipv4.of(ip),
        List.of(new Endpoint("http", port, Protocol.HTTP)),
        Map.of(),
        Map.of());
  }

  /** Starts and confirms a service that keeps running (the loop confirms after the grace). */
  private ProcessRef start(LocalDeployer d, Launch launch) {
    StartOutcome outcome = d.start(launch);
    assertThat(outcome)
        .as(() -> "start of " + launch.service() + ": " + outcome)
        .isInstanceOf(StartOutcome.Started.class);
    StartOutcome.Started s = (StartOutcome.Started) outcome;
    started.add(s.process());
    assertThat(s.confirmed()).as("a local start does not wait for its grace period").isFalse();
    // the loop looks again once the grace period is over
    Waits.atMost(Duration.ofSeconds(30)).pollDelay(d.timeouts().startGrace()).until(() -> true);
    StartOutcome confirmed = d.confirm(launch, s.process(), s.logOffset());
    assertThat(confirmed)
        .as(() -> "confirmed start of " + launch.service() + ": " + confirmed)
        .isEqualTo(new StartOutcome.Started(s.process(), s.logOffset(), true));
    return s.process();
  }

  /** Starts a service whose start script exits, and confirms it once the script is gone. */
  private StartOutcome startExiting(Launch launch) {
    StartOutcome outcome = deployer.start(launch);
    if (!(outcome instanceof StartOutcome.Started s)) {
      return outcome;
    }
    Waits.atMost(Duration.ofSeconds(10))
        .until(
            () ->
                !deployer
                    .observe(launch.service(), launch.version(), Optional.of(s.process()))
                    .running());
    return deployer.confirm(launch, s.process(), s.logOffset());
  }

  private void install(String service, Path source) {
    assertThat(deployer.install(service, "1.0.0", source))
        .isInstanceOf(InstallOutcome.Installed.class);
  }

  private Path handMade(String name, String start, String stop, String health) {
    return TestPackages.directory(tmp.resolve("src-" + name), name, start, stop, health);
  }

  private String log(String service) {
    Path log = deployer.home(service, "1.0.0").resolve("logs/service.log");
    try {
      return Files.exists(log) ? Files.readString(log) : "(no log)";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private HttpResponse<String> get(String ip, int port, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://" + ip + ":" + port + path))
            .timeout(Duration.ofSeconds(5))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private void awaitHealthy(Launch launch) {
    Waits.atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () ->
                deployer.checkHealth(launch, "scripts/health.sh", Duration.ofSeconds(5)).state()
                    == HealthState.PASSING);
  }

  @Test
  void storePackage_startedDetached_answersAndPassesHealthThenStopScriptStopsIt() throws Exception {
    String ip = "127.0.0.31";
    int port = TestPackages.freePort(ip);
    Launch store = launch("store", ip, port);
    install("store", TestPackages.EXAMPLES.resolve("store"));
    HealthResult before = deployer.checkHealth(store, "scripts/health.sh", Duration.ofSeconds(5));
    assertThat(before.state()).isEqualTo(HealthState.FAILING);

    ProcessRef ref = start(deployer, store);
    awaitHealthy(store);

    HttpResponse<String> put =
        http.send(
            HttpRequest.newBuilder(URI.create("http://" + ip + ":" + port + "/kv/greeting"))
                .PUT(HttpRequest.BodyPublishers.ofString("hello"))
                .timeout(Duration.ofSeconds(5))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(put.statusCode()).isEqualTo(201);
    assertThat(get(ip, port, "/kv/greeting").body()).isEqualTo("hello");
    assertThat(deployer.checkHealth(store, "scripts/health.sh", Duration.ofSeconds(5)))
        .isEqualTo(new HealthResult.Passing("store: healthy"));
    assertThat(ProcFs.stat(ref.pid()).orElseThrow().pgid())
        .as("its own process group")
        .isEqualTo(ref.pid());
    assertThat(ProcFs.stat(ref.pid()).orElseThrow().session())
        .as("its own session")
        .isEqualTo(ref.pid());
    assertThat(deployer.observe("store", "1.0.0", Optional.of(ref)))
        .isEqualTo(new Observation(true, true));
    assertThat(log("store")).contains("store 1.0.0 listening on http://" + ip + ":" + port);

    StopOutcome stop = deployer.stop(store, ref);

    assertThat(stop)
        .as(() -> "log:\n" + log("store"))
        .isEqualTo(new StopOutcome.Stopped(StopStep.STOP_SCRIPT));
    assertThat(ProcFs.groupAlive(ref.pid())).isFalse();
    assertThat(deployer.observe("store", "1.0.0", Optional.of(ref)))
        .isEqualTo(new Observation(true, false));
    assertThat(deployer.checkHealth(store, "scripts/health.sh", Duration.ofSeconds(5)).state())
        .isEqualTo(HealthState.FAILING);
    assertThat(deployer.stop(store, ref)).isEqualTo(new StopOutcome.Stopped(StopStep.NOT_RUNNING));
  }

  @Test
  void start_scripts_getTheContractEnvironmentAndNotTheControllersSecrets() throws Exception {
    Path src =
        handMade(
            "envdump",
            "env | sort > \"$SERVICE_HOME/env.txt\"; echo \"cwd=$PWD\" >> \"$SERVICE_HOME/env.txt\";"
                + " exec sleep 1000",
            "exit 0",
            null);
    install("envdump", src);
    Map<String, String> controller = new HashMap<>(controllerEnv());
    controller.put("SVCREG_TOKEN", "secret");
    LocalDeployer d =
        new LocalDeployer(
            root, DeployTimeouts.DEFAULTS, InstantSource.system(), Waiter.system(), controller);
    Launch launch =
        new Launch(
            "envdump",
            "1.0.0",
            Ipv4.of("127.0.0.32"),
            List.of(new Endpoint("admin-ui", 9901, Protocol.TCP)),
            Map.of("store", "127.0.0.31:8080"),
            Map.of("LOG_LEVEL", "debug"));

    start(d, launch);

    Path home = d.home("envdump", "1.0.0");
    Path dump = home.resolve("env.txt");
    Waits.atMost(Duration.ofSeconds(10))
        .until(() -> Files.exists(dump) && Files.readString(dump).contains("cwd="));
    assertThat(Files.readAllLines(dump))
        .contains(
            "SERVICE_NAME=envdump",
            "SERVICE_VERSION=1.0.0",
            "SERVICE_HOME=" + home,
            "SERVICE_IP=127.0.0.32",
            "SERVICE_PORT_ADMIN_UI=9901",
            "STORE_ADDR=127.0.0.31:8080",
            "LOG_LEVEL=debug",
            "JAVA_HOME=" + System.getProperty("java.home"),
            "cwd=" + home)
        .noneMatch(l -> l.startsWith("SVCREG_TOKEN"));
  }

  @Test
  void start_scriptFailsAtOnce_failsWithTheLogTail() {
    install("broken", handMade("broken", "echo \"cannot bind\" >&2; exit 3", "exit 0", null));

    StartOutcome outcome = startExiting(launch("broken", "127.0.0.33", 9));

    assertThat(outcome).isInstanceOf(StartOutcome.Failed.class);
    StartOutcome.Failed f = (StartOutcome.Failed) outcome;
    assertThat(f.reason()).isEqualTo(DeployReasons.EXITED_DURING_START);
    assertThat(f.message()).contains("exited with code 3 within 1s");
    assertThat(f.logTail()).isEqualTo("cannot bind");
  }

  @Test
  void start_scriptExitsZeroAtOnce_failsBecauseItMustStayInTheForeground() {
    install("daemonizes", handMade("daemonizes", "echo forked; exit 0", "exit 0", null));

    StartOutcome outcome = startExiting(launch("daemonizes", "127.0.0.33", 9));

    assertThat(outcome).isInstanceOf(StartOutcome.Failed.class);
    assertThat(((StartOutcome.Failed) outcome).message()).contains("code 0", "foreground");
  }

  @Test
  void start_systemdExecution_refusedOnTheControllersHost() {
    install("unit", handMade("unit", "exec sleep 1000", "exit 0", null));
    Launch l = launch("unit", "127.0.0.33", 9);
    Launch asUnit =
        new Launch(
            l.service(),
            l.version(),
            l.ip(),
            l.endpoints(),
            l.dependencyAddresses(),
            l.env(),
            ExecutionType.SYSTEMD,
            l.subnet(),
            l.origin());

    StartOutcome outcome = deployer.start(asUnit);

    assertThat(outcome).isInstanceOf(StartOutcome.Failed.class);
    assertThat(((StartOutcome.Failed) outcome).reason())
        .isEqualTo(DeployReasons.EXECUTION_UNSUPPORTED);
    assertThat(((StartOutcome.Failed) outcome).message()).contains("SSH nodes only");
  }

  @Test
  void start_notInstalled_fails() {
    StartOutcome outcome = deployer.start(launch("ghost", "127.0.0.33", 9));

    assertThat(outcome).isInstanceOf(StartOutcome.Failed.class);
    assertThat(((StartOutcome.Failed) outcome).reason()).isEqualTo(DeployReasons.NOT_INSTALLED);
  }

  @Test
  void stop_hangingStopScriptAndProcessIgnoringSigterm_endsWithSigkill() throws Exception {
    install(
        "stubborn",
        handMade(
            "stubborn",
            "trap '' TERM; while :; do sleep 0.2; done",
            "echo $$ > \"$SERVICE_HOME/stop.pid\"; exec sleep 1000",
            null));
    LocalDeployer fast = newDeployer(FAST);
    ProcessRef ref = start(fast, launch("stubborn", "127.0.0.34", 9));
    long begin = System.nanoTime();

    StopOutcome outcome = fast.stop(launch("stubborn", "127.0.0.34", 9), ref);

    Duration took = Duration.ofNanos(System.nanoTime() - begin);
    assertThat(outcome).isEqualTo(new StopOutcome.Stopped(StopStep.SIGKILL));
    assertThat(took).isBetween(Duration.ofSeconds(2), Duration.ofSeconds(15));
    assertThat(ProcFs.groupAlive(ref.pid())).isFalse();
    long stopPid =
        Long.parseLong(Files.readString(fast.home("stubborn", "1.0.0").resolve("stop.pid")).trim());
    assertThat(ProcFs.exists(stopPid)).as("the hanging stop.sh was killed").isFalse();
  }

  @Test
  void stop_failingStopScript_escalatesAtOnceToSigterm() {
    install("plain", handMade("plain", "exec sleep 1000", "echo 'no idea how'; exit 1", null));
    LocalDeployer slowScript =
        newDeployer(
            new DeployTimeouts(
                Duration.ofMillis(500),
                Duration.ofSeconds(30),
                Duration.ofSeconds(10),
                Duration.ofSeconds(5)));
    ProcessRef ref = start(slowScript, launch("plain", "127.0.0.35", 9));
    long begin = System.nanoTime();

    StopOutcome outcome = slowScript.stop(launch("plain", "127.0.0.35", 9), ref);

    assertThat(outcome).isEqualTo(new StopOutcome.Stopped(StopStep.SIGTERM));
    assertThat(Duration.ofNanos(System.nanoTime() - begin)).isLessThan(Duration.ofSeconds(10));
  }

  @Test
  void stop_interrupted_failsAndLeavesTheServiceRunning() {
    install("calm", handMade("calm", "exec sleep 1000", "exec sleep 1000", null));
    Launch calm = launch("calm", "127.0.0.35", 9);
    ProcessRef ref = start(deployer, calm);
    Waiter interrupted =
        new Waiter(
            InstantSource.system(),
            Duration.ofMillis(20),
            d -> {
              throw new InterruptedException();
            });
    LocalDeployer shuttingDown =
        new LocalDeployer(
            root, DeployTimeouts.DEFAULTS, InstantSource.system(), interrupted, controllerEnv());

    StopOutcome outcome = shuttingDown.stop(calm, ref);

    assertThat(Thread.interrupted()).as("the interrupt is kept").isTrue();
    assertThat(outcome).isInstanceOf(StopOutcome.Failed.class);
    assertThat(((StopOutcome.Failed) outcome).reason()).isEqualTo(DeployReasons.INTERRUPTED);
    assertThat(deployer.observe("calm", "1.0.0", Optional.of(ref)).running()).isTrue();
  }

  @Test
  void stop_serviceWithChildren_stopsTheWholeProcessGroup() throws Exception {
    install(
        "parent",
        handMade(
            "parent", "sleep 1000 & echo $! > \"$SERVICE_HOME/child.pid\"; wait", "exit 0", null));
    LocalDeployer fast = newDeployer(FAST);
    ProcessRef ref = start(fast, launch("parent", "127.0.0.36", 9));
    Path childPid = fast.home("parent", "1.0.0").resolve("child.pid");
    Waits.atMost(Duration.ofSeconds(10))
        .until(() -> Files.exists(childPid) && !Files.readString(childPid).isBlank());
    long child = Long.parseLong(Files.readString(childPid).trim());
    assertThat(ProcFs.exists(child)).isTrue();

    StopOutcome outcome = fast.stop(launch("parent", "127.0.0.36", 9), ref);

    assertThat(outcome).isEqualTo(new StopOutcome.Stopped(StopStep.SIGTERM));
    assertThat(ProcFs.exists(child)).as("the child in the service's group").isFalse();
  }

  @Test
  void observe_processKilled_isNotRunning() throws Exception {
    install("victim", handMade("victim", "exec sleep 1000", "exit 0", null));
    ProcessRef ref = start(deployer, launch("victim", "127.0.0.37", 9));
    assertThat(deployer.observe("victim", "1.0.0", Optional.of(ref)).running()).isTrue();

    Scripts.signalGroup(ref.pid(), "KILL");

    Waits.atMost(Duration.ofSeconds(10))
        .until(() -> !deployer.observe("victim", "1.0.0", Optional.of(ref)).running());
    assertThat(deployer.observe("victim", "1.0.0", Optional.of(ref)))
        .isEqualTo(new Observation(true, false));
    assertThat(deployer.observe("victim", "1.0.0", Optional.empty()))
        .isEqualTo(new Observation(true, false));
  }

  @Test
  void observe_installDirectoryDeletedUnderARunningService_isNotInstalledButRunning()
      throws Exception {
    install("doomed", handMade("doomed", "exec sleep 1000", "exit 0", null));
    ProcessRef ref = start(deployer, launch("doomed", "127.0.0.37", 9));

    Trees.delete(deployer.home("doomed", "1.0.0"));

    assertThat(deployer.observe("doomed", "1.0.0", Optional.of(ref)))
        .isEqualTo(new Observation(false, true));
    assertThat(deployer.stop(launch("doomed", "127.0.0.37", 9), ref))
        .as("no stop.sh left: SIGTERM")
        .isEqualTo(new StopOutcome.Stopped(StopStep.SIGTERM));
  }

  @Test
  void observeAndStop_pidWithAnotherStartTime_isNotOursAndLeftAlone() {
    ProcessHandle self = ProcessHandle.current();
    Instant realStart = self.info().startInstant().orElseThrow();
    ProcessRef reused = new ProcessRef(self.pid(), realStart.minus(Duration.ofHours(1)));

    assertThat(deployer.observe("x", "1.0.0", Optional.of(reused)).running()).isFalse();
    assertThat(deployer.stop(launch("x", "127.0.0.38", 9), reused))
        .isEqualTo(new StopOutcome.Stopped(StopStep.NOT_RUNNING));
    assertThat(
            deployer
                .observe("x", "1.0.0", Optional.of(new ProcessRef(self.pid(), realStart)))
                .running())
        .as("the same pid with its real start time")
        .isTrue();
  }

  @Test
  void checkHealth_hangingScript_isKilledWithItsChildrenAtTheTimeout() throws Exception {
    install(
        "slowhealth",
        handMade(
            "slowhealth",
            "exec sleep 1000",
            "exit 0",
            "echo checking; sleep 1000 & echo $! > \"$SERVICE_HOME/health-child.pid\"; wait"));
    Launch launch = launch("slowhealth", "127.0.0.39", 9);
    long begin = System.nanoTime();

    HealthResult r = deployer.checkHealth(launch, "scripts/health.sh", Duration.ofMillis(500));

    assertThat(Duration.ofNanos(System.nanoTime() - begin)).isLessThan(Duration.ofSeconds(5));
    assertThat(r)
        .isEqualTo(
            new HealthResult.Failing(
                DeployReasons.HEALTH_CHECK_TIMEOUT,
                "the health check of slowhealth 1.0.0 did not finish within 500ms; killed it",
                OptionalInt.empty(),
                "checking"));
    long child =
        Long.parseLong(
            Files.readString(deployer.home("slowhealth", "1.0.0").resolve("health-child.pid"))
                .trim());
    Waits.atMost(Duration.ofSeconds(5)).until(() -> !ProcFs.exists(child));
    assertThat(TestPackages.names(deployer.home("slowhealth", "1.0.0").resolve("logs")))
        .as("the output file is removed")
        .isEmpty();
  }

  @Test
  void checkHealth_failingScript_reportsExitCodeAndTheLast20Lines() {
    install(
        "sick",
        handMade(
            "sick",
            "exec sleep 1000",
            "exit 0",
            "for i in $(seq 1 30); do echo \"line $i\"; done; exit 3"));

    HealthResult r =
        deployer.checkHealth(
            launch("sick", "127.0.0.39", 9), "scripts/health.sh", Duration.ofSeconds(5));

    assertThat(r).isInstanceOf(HealthResult.Failing.class);
    HealthResult.Failing f = (HealthResult.Failing) r;
    assertThat(f.reason()).isEqualTo(DeployReasons.HEALTH_CHECK_FAILED);
    assertThat(f.exitCode()).hasValue(3);
    assertThat(f.output().lines()).hasSize(20).first().isEqualTo("line 11");
    assertThat(f.message()).isEqualTo("the health check of sick 1.0.0 exited with code 3");
  }

  @Test
  void checkHealth_scriptPassesButTheProcessIsGone_failsProcessExited() throws Exception {
    install("liar", handMade("liar", "exec sleep 1000", "exit 0", "echo all good; exit 0"));
    Launch launch = launch("liar", "127.0.0.41", 9);
    ProcessRef ref = start(deployer, launch);
    Duration t = Duration.ofSeconds(5);
    assertThat(deployer.checkHealth(launch, Optional.of(ref), "scripts/health.sh", t))
        .isEqualTo(new HealthResult.Passing("all good"));

    Scripts.signalGroup(ref.pid(), "KILL");
    Waits.atMost(Duration.ofSeconds(5)).until(() -> !ProcFs.exists(ref.pid()));

    assertThat(deployer.checkHealth(launch, Optional.of(ref), "scripts/health.sh", t))
        .isEqualTo(
            new HealthResult.Failing(
                DeployReasons.PROCESS_EXITED,
                "the health script of liar 1.0.0 said passing, but its process (pid "
                    + ref.pid()
                    + ") is gone",
                OptionalInt.of(0),
                "all good"));
    // a pid that belongs to another process now (here: this JVM) is not the service either
    ProcessRef reused = new ProcessRef(ProcessHandle.current().pid(), ref.startTime());
    assertThat(
            ((HealthResult.Failing)
                    deployer.checkHealth(launch, Optional.of(reused), "scripts/health.sh", t))
                .reason())
        .isEqualTo(DeployReasons.PROCESS_EXITED);
  }

  @Test
  void checkHealth_processAlive_hangingOrFailingScriptKeepsItsReason() throws Exception {
    install(
        "moody",
        handMade(
            "moody",
            "exec sleep 1000",
            "exit 0",
            "if [ -f \"$SERVICE_HOME/hang\" ]; then sleep 60; fi; echo not ready; exit 4"));
    Launch launch = launch("moody", "127.0.0.42", 9);
    ProcessRef ref = start(deployer, launch);

    HealthResult fail =
        deployer.checkHealth(launch, Optional.of(ref), "scripts/health.sh", Duration.ofSeconds(5));
    assertThat(fail)
        .isEqualTo(
            new HealthResult.Failing(
                DeployReasons.HEALTH_CHECK_FAILED,
                "the health check of moody 1.0.0 exited with code 4",
                OptionalInt.of(4),
                "not ready"));

    Files.writeString(deployer.home("moody", "1.0.0").resolve("hang"), "");
    HealthResult hang =
        deployer.checkHealth(launch, Optional.of(ref), "scripts/health.sh", Duration.ofMillis(500));
    assertThat(((HealthResult.Failing) hang).reason())
        .isEqualTo(DeployReasons.HEALTH_CHECK_TIMEOUT);
    assertThat(ProcFs.matches(ref)).isTrue();
  }

  @Test
  void checkHealth_scriptMissingOrOutsideHome_isFailing() {
    install("nohealth", handMade("nohealth", "exec sleep 1000", "exit 0", null));
    Launch launch = launch("nohealth", "127.0.0.39", 9);

    for (String script : List.of("scripts/health.sh", "../../etc/passwd")) {
      HealthResult r = deployer.checkHealth(launch, script, Duration.ofSeconds(5));
      assertThat(r).isInstanceOf(HealthResult.Failing.class);
      assertThat(((HealthResult.Failing) r).reason())
          .isEqualTo(DeployReasons.HEALTH_SCRIPT_MISSING);
    }
  }

  @Test
  void rollback_previousVersionStaysInstalled_andStartsAgain() throws Exception {
    Path src = handMade("flip", "exec sleep 1000", "kill -TERM \"$SERVICE_PID\"", null);
    assertThat(deployer.install("flip", "1.0.0", src)).isInstanceOf(InstallOutcome.Installed.class);
    Launch v1 = launch("flip", "127.0.0.40", 9);
    ProcessRef first = start(deployer, v1);
    assertThat(deployer.install("flip", "2.0.0", src)).isInstanceOf(InstallOutcome.Installed.class);
    Launch v2 = new Launch("flip", "2.0.0", v1.ip(), v1.endpoints(), Map.of(), Map.of());
    assertThat(deployer.stop(v1, first)).isEqualTo(new StopOutcome.Stopped(StopStep.STOP_SCRIPT));
    ProcessRef second = start(deployer, v2);

    // version 2 is bad: roll back
    assertThat(deployer.stop(v2, second)).isEqualTo(new StopOutcome.Stopped(StopStep.STOP_SCRIPT));
    ProcessRef again = start(deployer, v1);

    assertThat(deployer.observe("flip", "1.0.0", Optional.of(again)))
        .isEqualTo(new Observation(true, true));
    assertThat(deployer.installed("flip")).containsExactly("1.0.0", "2.0.0");
    assertThat(deployer.install("flip", "3.0.0", src)).isInstanceOf(InstallOutcome.Installed.class);
    assertThat(deployer.installed("flip"))
        .as("the running 1.0.0 is kept as the previous version")
        .containsExactly("3.0.0", "1.0.0");
  }

  @Test
  void stopStrays_serviceLeftRunningUntrackedByAKilledController_stopsOnlyItsProcesses()
      throws Exception {
    install("stray", handMade("stray", "exec sleep 1000", "exit 0", null));
    install("other", handMade("other", "exec sleep 1000", "exit 0", null));
    LocalDeployer fast = newDeployer(FAST);
    ProcessRef lost = start(fast, launch("stray", "127.0.0.42", 9));
    ProcessRef neighbour = start(fast, launch("other", "127.0.0.43", 9));

    // the next controller never learnt of `lost` (it recorded the start, not its process): it
    // stops what runs of the service untracked, then starts it again
    LocalDeployer next = newDeployer(FAST);
    assertThat(next.stopStrays("stray")).isEqualTo(new StopOutcome.Stopped(StopStep.SIGTERM));
    assertThat(runRecord("stray"))
        .as("the run record once its strays are stopped")
        .hasValueSatisfying(
            r -> {
              assertThat(r.state()).isEqualTo(RunRecord.State.STOPPED);
              assertThat(r.process()).isEmpty();
              assertThat(r.version()).isEqualTo("1.0.0");
            });
    ProcessRef again = start(next, launch("stray", "127.0.0.42", 9));

    assertThat(ProcFs.groupAlive(lost.pid())).as("the untracked first start").isFalse();
    assertThat(deployer.observe("stray", "1.0.0", Optional.of(again)).running()).isTrue();
    assertThat(deployer.observe("other", "1.0.0", Optional.of(neighbour)).running())
        .as("another service's process")
        .isTrue();
  }

  @Test
  void uninstall_serviceLeftRunningUntracked_stopsItBeforeRemovingItsFiles() {
    install("orphan", handMade("orphan", "exec sleep 1000", "exit 0", null));
    ProcessRef lost = start(newDeployer(FAST), launch("orphan", "127.0.0.44", 9));

    assertThat(newDeployer(FAST).uninstall("orphan"))
        .isEqualTo(new UninstallOutcome.Uninstalled(List.of("1.0.0")));
    assertThat(ProcFs.groupAlive(lost.pid())).isFalse();
  }

  @Test
  void start_manyServices_controllerHoldsNoDescriptorPerRunningService() throws IOException {
    int n = 20;
    for (int i = 0; i < n; i++) {
      install("fd-" + i, handMade("fd-" + i, "echo up >&2; exec sleep 1000", "exit 0", null));
    }
    int before = openDescriptors();

    for (int i = 0; i < n; i++) {
      start(deployer, launch("fd-" + i, "127.0.0.45", 9));
    }

    assertThat(openDescriptors() - before)
        .as("descriptors the controller keeps open for %d running services", n)
        .isLessThan(n / 2);
    assertThat(log("fd-0")).as("stderr still goes to the service's log").contains("up");
  }

  // ------------------------------------------------------------------ run records

  private static final Instant T = Instant.parse("2026-03-01T10:15:30Z");

  /** A launch of {@code service} made by controller {@code c0ffee}. */
  private static Launch origin(String service, Optional<String> previous) {
    return launch(service, "127.0.0.46", 9).from(new Launch.Origin("c0ffee", 3, "", previous));
  }

  private Optional<RunRecord> runRecord(String service) {
    return RunRecord.read(root.resolve(RunRecord.fileName(service)));
  }

  @Test
  void runRecord_startAndStop_writtenBeforeAndAfterEach() throws Exception {
    LocalDeployer d =
        new LocalDeployer(root, FAST, InstantSource.fixed(T), Waiter.system(), controllerEnv());
    assertThat(
            d.install("rec", "1.0.0", TestPackages.recordChecking(tmp.resolve("src-rec"), "rec")))
        .isInstanceOf(InstallOutcome.Installed.class);
    Launch launch = origin("rec", Optional.of("0.9.0"));
    RunRecord starting =
        RunRecord.of(launch, RunRecord.State.STARTING, Optional.empty(), Optional.empty(), T);

    ProcessRef ref;
    StopOutcome stop;
    try (RecordReads reads = RecordReads.of(root.resolve(RunRecord.fileName("rec")))) {
      // start.sh exits at once unless the record says starting
      StartOutcome out = d.start(launch);
      assertThat(out).isInstanceOf(StartOutcome.Started.class);
      ref = ((StartOutcome.Started) out).process();
      started.add(ref);
      assertThat(runRecord("rec"))
          .contains(starting.then(RunRecord.State.STARTING, Optional.of(ref), T));
      Waits.atMost(Duration.ofSeconds(30)).pollDelay(FAST.startGrace()).until(() -> true);
      assertThat(d.confirm(launch, ref, 0)).isInstanceOf(StartOutcome.Started.class);
      assertThat(runRecord("rec"))
          .contains(starting.then(RunRecord.State.RUNNING, Optional.of(ref), T));

      // stop.sh fails unless the record says stopping: then the stop would need SIGTERM
      stop = d.stop(launch, ref);
      assertThat(reads.broken()).as("reads that found a part of the record").isEmpty();
      assertThat(reads.whole()).isPositive();
    }
    assertThat(stop).as(() -> log("rec")).isEqualTo(new StopOutcome.Stopped(StopStep.STOP_SCRIPT));
    assertThat(runRecord("rec"))
        .contains(starting.then(RunRecord.State.STOPPED, Optional.empty(), T));
    assertThat(TestPackages.names(root))
        .as("the record, and no temporary file")
        .containsExactly(RunRecord.fileName("rec"), "rec-1.0.0");
  }

  @Test
  void runRecord_startExitsWithinItsGracePeriod_isStopped() {
    install("quits", handMade("quits", "echo bye; exit 3", "exit 0", null));

    assertThat(startExiting(origin("quits", Optional.empty())))
        .isInstanceOf(StartOutcome.Failed.class);
    assertThat(runRecord("quits").orElseThrow())
        .extracting(RunRecord::state, RunRecord::process)
        .containsExactly(RunRecord.State.STOPPED, Optional.empty());
  }

  @Test
  void runRecord_cannotBeWritten_serviceIsNotStarted() throws IOException {
    install(
        "norec", handMade("norec", "touch \"$SERVICE_HOME/ran\"; exec sleep 1000", "exit 0", null));
    // a directory where the record goes: it cannot be replaced
    Files.createDirectories(root.resolve(RunRecord.fileName("norec")).resolve("x"));

    StartOutcome out = deployer.start(origin("norec", Optional.empty()));

    assertThat(out).isInstanceOf(StartOutcome.Failed.class);
    StartOutcome.Failed f = (StartOutcome.Failed) out;
    assertThat(f.reason()).isEqualTo(DeployReasons.START_FAILED);
    assertThat(f.message())
        .startsWith(
            "cannot record the start of norec 1.0.0 in "
                + root.resolve(RunRecord.fileName("norec"))
                + ", so it was not started: ");
    assertThat(deployer.home("norec", "1.0.0").resolve("ran")).doesNotExist();
  }

  @Test
  void records_installsAndRunRecords_listedAndTheRecordDeletedWithTheService() {
    install("listed", handMade("listed", "exec sleep 1000", "exit 0", null));
    install("idle", handMade("idle", "exec sleep 1000", "exit 0", null));
    Launch launch = origin("listed", Optional.empty());
    ProcessRef ref = start(deployer, launch);

    NodeRecords r = deployer.records();

    assertThat(r.installs())
        .extracting(
            i -> i.marker().service(),
            i -> i.marker().version(),
            NodeRecords.Installed::home,
            NodeRecords.Installed::complete)
        .containsExactly(
            Tuple.tuple("idle", "1.0.0", root.resolve("idle-1.0.0").toString(), true),
            Tuple.tuple("listed", "1.0.0", root.resolve("listed-1.0.0").toString(), true));
    assertThat(r.runs()).containsExactly(runRecord("listed").orElseThrow());
    assertThat(r.runs().get(0))
        .extracting(RunRecord::state, RunRecord::process, RunRecord::controller)
        .containsExactly(RunRecord.State.RUNNING, Optional.of(ref), "c0ffee");

    assertThat(deployer.stop(launch, ref)).isInstanceOf(StopOutcome.Stopped.class);
    assertThat(deployer.uninstall("listed"))
        .isEqualTo(new UninstallOutcome.Uninstalled(List.of("1.0.0")));
    assertThat(deployer.records().runs()).isEmpty();
    assertThat(deployer.records().installs()).hasSize(1);
  }

  private static int openDescriptors() throws IOException {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return (int) fds.count();
    }
  }
}
