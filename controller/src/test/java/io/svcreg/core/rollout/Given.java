package io.svcreg.core.rollout;

import io.svcreg.core.Action;
import io.svcreg.core.ChangeType;
import io.svcreg.core.ObservedService;
import io.svcreg.core.ResourceChange;
import io.svcreg.schema.Cidr;
import io.svcreg.schema.Condition;
import io.svcreg.schema.ConditionStatus;
import io.svcreg.schema.Endpoint;
import io.svcreg.schema.ExecutionType;
import io.svcreg.schema.Health;
import io.svcreg.schema.HealthCheck;
import io.svcreg.schema.HealthState;
import io.svcreg.schema.Ipv4;
import io.svcreg.schema.Location;
import io.svcreg.schema.Metadata;
import io.svcreg.schema.Phase;
import io.svcreg.schema.Protocol;
import io.svcreg.schema.ResourceKey;
import io.svcreg.schema.RunState;
import io.svcreg.schema.Service;
import io.svcreg.schema.ServiceSpec;
import io.svcreg.schema.ServiceStatus;
import io.svcreg.schema.SpecHash;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The situation of one service at {@link #NOW}, as a builder. By default: {@code web} declared with
 * version 2.0.0 on node n1 of network lan, running, no health check; recorded as settled at
 * generation 1 (running 2.0.0 with previous version 1.0.0, pid 100 confirmed an hour ago, {@code
 * Ready}); no intent, no crashes, nothing asked of the node, nothing planned.
 */
final class Given {

  static final Instant NOW = Instant.parse("2025-03-01T12:00:00Z");
  static final String NAME = "web";
  static final String NODE = "n1";
  static final String NETWORK = "lan";
  static final Ipv4 ADDRESS = Ipv4.of("10.0.0.1");
  static final long PID = 100;
  static final long NEW_PID = 200;

  /** The process was seen: installed and running. */
  static final Probe ALIVE = new Probe.Seen(true, true);

  /** The version is installed, the recorded process is not running. */
  static final Probe DEAD = new Probe.Seen(true, false);

  private static final Instant LONG_AGO = NOW.minus(Duration.ofHours(1));

  private String version = "2.0.0";
  private boolean specHeld;
  private String recordedVersion;
  private Optional<HealthCheck> health = Optional.empty();
  private io.svcreg.schema.Rollout rollout = io.svcreg.schema.Rollout.DEFAULT;
  private List<String> dependsOn = List.of();

  private Phase phase = Phase.RUNNING;
  private Optional<String> deployed; // null: the recorded spec's version
  private Optional<String> previous = Optional.of("1.0.0");
  private Optional<Long> pid = Optional.of(PID);
  private Optional<HealthState> healthState = Optional.empty();
  private final Map<String, Condition> conditions = new LinkedHashMap<>();

  private Optional<ProcessId> process = Optional.of(process(PID, LONG_AGO, true));
  private String crashSpec;
  private final List<Instant> crashes = new ArrayList<>();
  private int healthFailures;

  private Intent intent = Intent.none(NAME);
  private Probe probe = Probe.NOT_ASKED;
  private final List<Action> actions = new ArrayList<>();
  private Optional<ResourceChange> change = Optional.empty();
  private final Map<String, Dependency> dependencies = new LinkedHashMap<>();
  private Optional<Instant> lastHealthCheck = Optional.empty();
  private Map<String, Cidr> bound = Map.of();

  private Given() {
    condition(Condition.READY, ConditionStatus.TRUE, "Healthy");
    condition(Condition.PROGRESSING, ConditionStatus.FALSE, "Completed");
  }

  /** The default situation: a settled running service. */
  static Given given() {
    return new Given();
  }

  static Instant secondsAgo(long s) {
    return NOW.minusSeconds(s);
  }

  // ------------------------------------------------------------------ the spec

  /** The declared version. */
  Given version(String v) {
    version = v;
    return this;
  }

  /**
   * The version of the spec the record holds (another spec than the declared one); also the
   * deployed version unless set.
   */
  Given recorded(String v) {
    recordedVersion = v;
    return this;
  }

  /** A health check: interval 10s, timeout 5s, failure threshold 3. */
  Given health() {
    health =
        Optional.of(
            new HealthCheck(
                "scripts/health.sh",
                HealthCheck.DEFAULT_INTERVAL,
                HealthCheck.DEFAULT_TIMEOUT,
                HealthCheck.DEFAULT_FAILURE_THRESHOLD));
    return this;
  }

  /** {@code rollout.autoRollback: false}. */
  Given noAutoRollback() {
    rollout = new io.svcreg.schema.Rollout(rollout.progressDeadline(), false);
    return this;
  }

  Given dependsOn(String... names) {
    dependsOn = List.of(names);
    return this;
  }

  // ------------------------------------------------------------------ the record

  Given phase(Phase p) {
    phase = p;
    return this;
  }

  Given deployed(String v) {
    deployed = Optional.ofNullable(v);
    return this;
  }

  Given previous(String v) {
    previous = Optional.ofNullable(v);
    return this;
  }

  Given healthState(HealthState s) {
    healthState = Optional.of(s);
    return this;
  }

  /** A condition that became {@code status} an hour ago. */
  Given condition(String type, ConditionStatus status, String reason) {
    return condition(type, status, reason, LONG_AGO);
  }

  Given condition(String type, ConditionStatus status, String reason, Instant since) {
    conditions.put(type, new Condition(type, status, reason, reason, since));
    return this;
  }

  /** Process {@code p}, confirmed an hour ago. */
  Given pid(long p) {
    pid = Optional.of(p);
    process = Optional.of(process(p, LONG_AGO, true));
    return this;
  }

  /** No process: no pid recorded, none in the ledger. */
  Given noProcess() {
    pid = Optional.empty();
    process = Optional.empty();
    return this;
  }

  /** Failed, its process gone (as after a crash). */
  Given failed() {
    noProcess();
    phase = Phase.FAILED;
    return condition(Condition.READY, ConditionStatus.FALSE, "ProcessExited");
  }

  /** Stopped, no process. */
  Given stopped() {
    noProcess();
    phase = Phase.STOPPED;
    return condition(Condition.READY, ConditionStatus.FALSE, "Stopped");
  }

  /**
   * Starting: pid {@link #NEW_PID} started {@code ago} ({@code confirmed} when it outlived its
   * grace), {@code Progressing} {@code Starting} since then.
   */
  Given starting(Duration ago, boolean confirmed) {
    Instant at = NOW.minus(ago);
    phase = Phase.STARTING;
    pid = Optional.of(NEW_PID);
    process = Optional.of(process(NEW_PID, at, confirmed));
    conditions.remove(Condition.READY);
    return condition(Condition.PROGRESSING, ConditionStatus.TRUE, "Starting", at);
  }

  // ------------------------------------------------------------------ the ledger

  /** Crashes counted for the declared spec. */
  Given crashes(Instant... at) {
    crashes.addAll(List.of(at));
    return this;
  }

  /** {@code n} crashes within the last few seconds, for the declared spec. */
  Given recentCrashes(int n) {
    for (int i = n; i > 0; i--) {
      crashes.add(secondsAgo(5L * i));
    }
    return this;
  }

  /** The crashes were counted for the spec with this hash. */
  Given crashSpec(String hash) {
    crashSpec = hash;
    return this;
  }

  Given healthFailures(int n) {
    healthFailures = n;
    return this;
  }

  // ------------------------------------------------------------------ around

  /** The service's spec is held (invalid in the spec directory): nothing is declared for it. */
  Given specHeld() {
    specHeld = true;
    return this;
  }

  Given held() {
    intent = intent.withHeld(Optional.of(LONG_AGO));
    return this;
  }

  /** The operator's {@code start}: forget the start limit. */
  Given resetStartLimit() {
    intent = intent.withReset(true);
    return this;
  }

  /** The operator's {@code restart} (which also resets the start limit). */
  Given restartCommand() {
    intent = intent.withReset(true).withRestart(true);
    return this;
  }

  /** A restart pending alone. */
  Given restartPending() {
    intent = intent.withRestart(true);
    return this;
  }

  /** The operator's {@code deploy_package} (which also resets the start limit). */
  Given redeployCommand() {
    intent = intent.withReset(true).withRedeploy(true);
    return this;
  }

  Given probe(Probe p) {
    probe = p;
    return this;
  }

  Given planned(Action... a) {
    actions.addAll(List.of(a));
    return this;
  }

  /** The planner's change of the service, with this generation. */
  Given change(long g) {
    change =
        Optional.of(
            new ResourceChange(
                ResourceKey.service(NAME), ChangeType.UPDATE, g, List.of(), Optional.empty()));
    return this;
  }

  Given dependency(String name, boolean ready, String address) {
    dependencies.put(name, new Dependency(name, ready, Optional.ofNullable(address)));
    return this;
  }

  /** The service's network is one whose addresses svcreg configures on nodes (a LAN). */
  Given lan(String subnet) {
    this.bound = Map.of(NETWORK, Cidr.of(subnet));
    return this;
  }

  Given lastHealthCheck(Instant at) {
    lastHealthCheck = Optional.of(at);
    return this;
  }

  // ------------------------------------------------------------------ actions

  static Action start() {
    return new Action.Start(NAME, NODE);
  }

  static Action deploy(String v) {
    return new Action.Deploy(NAME, NODE, v, "packages/web");
  }

  static Action restart(String reason) {
    return new Action.Restart(NAME, NODE, reason);
  }

  static Action rollback(String from, String to) {
    return new Action.Rollback(NAME, NODE, from, to);
  }

  // ------------------------------------------------------------------ building

  /** The declared service. */
  Service want() {
    return Service.of(
        new Metadata(NAME, Map.of(), Map.of()), spec(version), new Location("web.yaml", 1, 1));
  }

  /** The planner's actions for the service. */
  Planned planned() {
    return new Planned(actions, change, List.of());
  }

  /** The situation, before planning (nothing planned), as the loop reads it. */
  Situation situation() {
    Service want = want();
    String recorded = recordedVersion != null ? recordedVersion : version;
    ServiceSpec recordedSpec = spec(recorded);
    String recordedHash = SpecHash.of(recordedSpec);
    Optional<String> dep = deployed != null ? deployed : Optional.of(recorded);
    ServiceStatus status =
        new ServiceStatus(
            phase,
            1,
            dep,
            previous,
            Optional.of(NODE),
            Optional.of(ADDRESS),
            List.of(ADDRESS + ":8080"),
            pid,
            new Health(
                healthState.orElse(health.isPresent() ? HealthState.PASSING : HealthState.UNKNOWN),
                Optional.of(LONG_AGO),
                ""),
            List.copyOf(conditions.values()),
            Optional.empty(),
            Optional.empty());
    ObservedService have =
        new ObservedService(want.metadata(), 1, recordedHash, recordedSpec, status);
    Optional<ProcessId> p =
        process.map(
            x ->
                new ProcessId(
                    x.pid(),
                    x.startTime(),
                    x.logOffset(),
                    x.confirmed(),
                    x.startedAt(),
                    dep.orElse(recorded),
                    x.address(),
                    x.dependencies()));
    Ledger ledger =
        new Ledger(
            NAME,
            p,
            crashes.isEmpty() ? "" : crashSpec != null ? crashSpec : want.specHash(),
            crashes,
            Optional.of(recordedHash),
            Optional.of(recordedHash),
            healthFailures);
    return new Situation(
        NAME,
        specHeld ? Optional.empty() : Optional.of(want),
        false,
        Optional.of(have),
        intent,
        ledger,
        probe,
        Planned.NOTHING,
        dependencies,
        Set.of(NETWORK + "/" + NODE),
        Optional.empty(),
        List.of(),
        lastHealthCheck,
        Optional.empty(),
        List.of(),
        bound,
        NOW);
  }

  private ServiceSpec spec(String v) {
    return new ServiceSpec(
        v,
        "packages/web",
        NETWORK,
        NODE,
        Optional.empty(),
        ExecutionType.MANAGED_PROCESS,
        List.of(new Endpoint("http", 8080, Protocol.TCP)),
        dependsOn,
        Map.of(),
        health,
        RunState.RUNNING,
        rollout);
  }

  private static ProcessId process(long pid, Instant at, boolean confirmed) {
    return new ProcessId(pid, at, 0, confirmed, at, "", ADDRESS, Map.of());
  }
}
