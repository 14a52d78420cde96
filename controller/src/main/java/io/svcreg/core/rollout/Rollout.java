package io.svcreg.core.rollout;

import io.svcreg.core.Action;
import io.svcreg.core.Lease;
import io.svcreg.core.ObservedService;
import io.svcreg.core.Reasons;
import io.svcreg.core.ResourceChange;
import io.svcreg.core.ServiceStates;
import io.svcreg.schema.Cidr;
import io.svcreg.schema.Condition;
import io.svcreg.schema.ConditionStatus;
import io.svcreg.schema.Health;
import io.svcreg.schema.HealthCheck;
import io.svcreg.schema.HealthState;
import io.svcreg.schema.Ipv4;
import io.svcreg.schema.Phase;
import io.svcreg.schema.Problem;
import io.svcreg.schema.RunState;
import io.svcreg.schema.Service;
import io.svcreg.schema.ServiceSpec;
import io.svcreg.schema.ServiceStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Decides what to do about one service, as values: what to write, which steps to carry out, and
 * when to look again. Pure: no I/O, clock or threads; {@link Situation#now()} is the time.
 *
 * <p>A reconcile of a service runs three kinds of decision, each followed by its steps (every
 * step's result goes to {@link #afterStep}, which decides what follows):
 *
 * <ol>
 *   <li>{@link #observe}: what the node said about the deployed version and its process is recorded
 *       (a vanished install, an interrupted step, a crash), with the operator's intent.
 *   <li>{@link #decide}: the planner's actions for the service are carried out in order, an
 *       operator's pending restart or re-deploy of a settled service, or the health check that is
 *       due; a service that is no longer declared is torn down and forgotten.
 *   <li>After the steps: a started process must outlive its start grace period, then pass its
 *       health check within {@code rollout.progressDeadline}, or the rollout fails (rolled back to
 *       the previous version with {@code autoRollback}); a running service's health is checked
 *       every {@code health.interval}.
 * </ol>
 *
 * <h2>Start limit</h2>
 *
 * <p>A process that dies, or fails to start, counts as a crash of the service's spec; {@link
 * Rules#startLimit()} crashes within {@link Rules#startLimitWindow()} make the service {@code
 * failed} with {@code Degraded}/{@value Reasons#START_LIMIT_REACHED}, and the loop gives up until
 * the spec changes or an operator starts it. A new spec starts with no crashes.
 *
 * <h2>Operator intent</h2>
 *
 * <p>{@code stop} holds the service stopped ({@code Held}) until {@code start}; {@code start}
 * resets the start limit; {@code restart} starts a new process of the installed version; {@code
 * deploy_package} installs the package again (also a version that was rolled back) and restarts. A
 * command is forgotten once carried out (or tried: a failure is recorded as usual).
 */
public final class Rollout {

  /** Degraded reasons of a node that could not be asked; cleared once it answers again. */
  static final List<String> NODE_REASONS =
      List.of(
          "NodeUnreachable",
          "HostKeyRefused",
          "AuthenticationFailed",
          "ConnectionLost",
          "NodeTimeout",
          "NodeNotReady");

  /** The reason of a failed start whose execution type the node cannot run. */
  static final String EXECUTION_UNSUPPORTED = "ExecutionUnsupported";

  /** The reason of a {@code Degraded} condition set when an address could not be configured. */
  static final String ADDRESS_FAILED = "AddressFailed";

  /** The reason of a removal that keeps a directory because processes still run from it. */
  static final String DIRECTORY_IN_USE = "InstallDirectoryInUse";

  /** How long a running service without a health check waits before the loop looks again. */
  static final Duration NO_CHECK_INTERVAL = Duration.ofSeconds(30);

  private Rollout() {}

  // ------------------------------------------------------------------ entry points

  /**
   * Records what the node said about the service's deployed version and process, and what the
   * operator's intent implies for its conditions. Without {@link Decision#next()} the loop plans
   * the service on the corrected record and calls {@link #decide} (after the steps, if any).
   */
  public static Decision observe(Situation s, Rules rules) {
    Draft d = new Draft(s, rules);
    if (s.want().isPresent() && d.have != null) {
      operatorState(d);
    }
    List<Step> steps = new ArrayList<>();
    if (d.have != null && d.status().deployedVersion().isPresent()) {
      Decision stop = observed(d, steps);
      if (stop != null) {
        return stop;
      }
    }
    Run run = new Run(Run.Mode.OBSERVE, Optional.empty(), false);
    return new Decision(d.writes(), steps, Optional.empty(), run);
  }

  /**
   * Decides what to do about the service, given the planner's actions for it ({@link
   * Situation#planned()}, on the record as {@link #observe} left it).
   */
  public static Decision decide(Situation s, Rules rules) {
    Draft d = new Draft(s, rules);
    Optional<Service> want = s.want();
    boolean held = s.intent().held();
    Optional<ResourceChange> change = s.planned().change();
    if (want.isPresent() && d.have != null && settled(want.get(), d.have, held)) {
      Intent intent = s.intent();
      if (intent.redeploy() || intent.restart()) {
        return carryOut(d);
      }
      Optional<String> revision = s.sourceRevision();
      if (revision.isPresent() && !revision.equals(d.status().sourceRevision())) {
        // unchanged by a new commit of the spec directory: in sync with that commit now
        d.status(d.builder().sourceRevision(revision).build());
      }
      List<String> moved = movedUnder(d);
      if (!moved.isEmpty()) {
        String node = d.status().node().orElse(want.get().spec().node());
        String reason = String.join("; ", moved);
        d.note(false, "restarting: " + reason);
        List<Step> steps = new ArrayList<>();
        steps.add(stopStep(d, node));
        steps.addAll(
            startSteps(d, node, d.status().deployedVersion().orElse(want.get().spec().version())));
        return next(d, steps, new Run(Run.Mode.PLAN, Optional.empty(), false));
      }
      return maintainHealth(d);
    }

    List<Action> actions = s.planned().actions();
    if (want.isPresent() && d.have != null) {
      actions = withoutDone(d, actions);
    }
    if (want.isPresent() && d.have == null) {
      register(d, want.get(), change);
    }
    if (want.isPresent() && actions.isEmpty() && change.isPresent()) {
      List<Problem> mine = s.planned().problems();
      if (!mine.isEmpty()) {
        return degraded(d, "PlanProblem", mine.getFirst().message());
      }
    }
    boolean allocates = false;
    for (Action a : actions) {
      if (a instanceof Action.AllocateAddress x) {
        allocate(d, new Lease(x.network(), x.address(), x.service()));
        allocates = true;
      }
    }
    if (want.isPresent() && d.have != null && !allocates) {
      adoptLease(d, want.get(), change, actions);
    }
    if (held) {
      actions = keptStopped(d, actions);
    }
    if (want.isPresent()) {
      consumeCovered(d, actions, held);
    }
    if (want.isPresent()
        && change.isPresent()
        && d.have != null
        && change.get().generation() > d.have.generation()) {
      // a new generation gets a fresh start: forget crashes and a rollback of the old one, and
      // what failed the old one (also when it needs nothing done: a spec back at what runs)
      d.ledger(d.ledger.withoutCrashes());
      d.status(d.builder().clearCondition(Condition.DEGRADED).build());
    }
    List<Action> acting =
        actions.stream().filter(a -> !(a instanceof Action.AllocateAddress)).toList();
    if (acting.isEmpty()) {
      if (want.isEmpty()) {
        return s.removable() ? remove(d) : d.end(Outcome.DONE);
      }
      if (d.have == null) {
        return d.end(Outcome.DONE);
      }
      return progress(d, change);
    }
    if (want.isEmpty() && s.removingDependent().isPresent()) {
      // removals go dependents first
      return d.end(new Outcome.RequeueAfter(rules.dependencyPoll()));
    }
    return next(d, toSteps(d, acting), new Run(Run.Mode.PLAN, change, false));
  }

  /**
   * What follows {@code step}, the first step of {@code last}, which gave {@code result}; {@code s}
   * is the situation after {@code last}'s writes.
   */
  public static Decision afterStep(
      Situation s, Step step, StepResult result, Decision last, Rules rules) {
    Draft d = new Draft(s, rules);
    Run run = last.run();
    List<Step> rest = last.steps().subList(1, last.steps().size());
    Decision done = handle(d, step, result, run);
    if (done != null) {
      return done;
    }
    if (step instanceof Step.Start && result instanceof StepResult.Started) {
      run = run.withStarted();
    }
    return rest.isEmpty() ? finish(d, run) : next(d, rest, run);
  }

  // ------------------------------------------------------------------ observe

  /** The operator's hold and start-limit reset, mirrored into the conditions. */
  private static void operatorState(Draft d) {
    Intent intent = d.s.intent();
    boolean reset = intent.resetStartLimit();
    if (reset) {
      d.ledger(d.ledger.withoutCrashes());
      d.intent(d.intent.withReset(false));
    }
    StatusBuilder b = d.builder();
    if (intent.held()) {
      b.condition(
          Condition.HELD,
          ConditionStatus.TRUE,
          Reasons.STOPPED_BY_OPERATOR,
          "stopped by an operator; the action start runs it again",
          d.now());
    } else {
      b.clearCondition(Condition.HELD);
    }
    for (String type : List.of(Condition.DEGRADED, Condition.PROGRESSING)) {
      d.status()
          .condition(type)
          .filter(
              c ->
                  (reset && Reasons.START_LIMIT_REACHED.equals(c.reason()))
                      || (intent.redeploy() && Reasons.ROLLED_BACK.equals(c.reason())))
          .ifPresent(c -> b.clearCondition(type));
    }
    d.status(b.build());
  }

  /** Records what the node said; a decision when the reconcile stops here. */
  private static Decision observed(Draft d, List<Step> steps) {
    ServiceStatus st = d.status();
    String version = st.deployedVersion().orElseThrow();
    String name = d.s.name();
    switch (d.s.probe()) {
      case Probe.NotAsked n -> {
        return null;
      }
      case Probe.Unreachable u -> {
        return nodeUnavailable(d, u.reason(), u.message());
      }
      case Probe.Seen seen -> {
        if (st.condition(Condition.DEGRADED)
            .filter(c -> NODE_REASONS.contains(c.reason()))
            .isPresent()) {
          d.status(d.builder().clearCondition(Condition.DEGRADED).build());
        }
        String node = st.node().orElse(d.have.spec().node());
        if (!seen.installed()) {
          if (seen.running() && st.pid().isPresent()) {
            steps.add(stopStep(d, node));
          }
          d.note(
              true,
              "version "
                  + version
                  + " is no longer installed; "
                  + (d.s.want().isPresent()
                      ? "reinstalling"
                      : "it is reinstalled once its spec is valid again"));
          d.status(
              d.builder()
                  .deployedVersion(Optional.empty())
                  .pid(Optional.empty())
                  .phase(Phase.STOPPED)
                  .lastError(Optional.of("install directory of " + version + " disappeared"))
                  .build());
          d.ledger(d.ledger.withProcess(Optional.empty()));
          return null;
        }
        if (st.phase() == Phase.STARTING && st.pid().isEmpty()) {
          // a start was recorded but not its process (the controller was killed in between): what
          // it may have started is stopped, and the service starts again
          // recorded stopped only once that is done: a controller killed before the strays are
          // stopped must find the interrupted start again, or it would start a second copy
          d.note(true, "a start was interrupted; stopping what it may have left running");
          steps.add(new Step.StopStrays(node));
          return null;
        }
        boolean unfinished =
            st.phase() == Phase.DEPLOYING || (st.phase() == Phase.STOPPING && seen.running());
        if (unfinished) {
          // a step that was recorded but never finished (the controller was killed, or the
          // reconcile failed in the middle): record what is true instead
          Phase now = seen.running() ? Phase.RUNNING : Phase.STOPPED;
          d.note(
              true,
              (st.phase() == Phase.DEPLOYING ? "an install" : "a stop")
                  + " was interrupted; the service is "
                  + now.wireName());
          d.status(d.builder().phase(now).build());
          return null;
        }
        if (seen.running() && seen.current().isPresent()) {
          adopt(d, seen.current().get(), node);
        }
        boolean expectsProcess =
            st.phase() == Phase.RUNNING
                || st.phase() == Phase.STOPPING
                || (st.phase() == Phase.STARTING && confirmed(d));
        if (expectsProcess && !seen.running()) {
          Optional<Outcome> gone = processGone(d, Health.UNKNOWN, "the process exited", false);
          if (gone.isPresent()) {
            return d.end(gone.get());
          }
          return null;
        }
        Cidr subnet = d.s.bound().get(d.have.spec().network());
        if (seen.addressMissing() && subnet != null && st.address().isPresent()) {
          // e.g. the node rebooted: what runs there (a systemd unit) lost its address
          d.note(
              true,
              "address "
                  + st.address().get()
                  + " is missing on node "
                  + node
                  + "; configuring it again");
          steps.add(new Step.Bind(node, st.address(), subnet, Optional.empty()));
        }
        return null;
      }
    }
  }

  /**
   * Records the process that runs the service now in place of the recorded one (systemd started its
   * unit again): the loop did not start it, so nothing counts against the start limit.
   */
  private static void adopt(Draft d, Probe.Running now, String node) {
    ServiceStatus st = d.status();
    d.note(
        true,
        "runs as pid "
            + now.pid()
            + " on node "
            + node
            + " now (pid "
            + st.pid().map(String::valueOf).orElse("none")
            + " before): started again by systemd");
    Optional<ProcessId> was = d.process();
    ProcessId p =
        new ProcessId(
            now.pid(),
            now.startTime(),
            0,
            true,
            d.now(),
            st.deployedVersion().orElse(d.have.spec().version()),
            was.map(ProcessId::address).or(st::address).orElse(Ipv4.of("0.0.0.0")),
            was.map(ProcessId::dependencies).orElse(Map.of()));
    d.status(d.builder().pid(Optional.of(now.pid())).build());
    d.ledger(d.ledger.withProcess(Optional.of(p)).withHealthFailures(0));
  }

  /** Whether the recorded process outlived its start grace period (or nothing says it did not). */
  private static boolean confirmed(Draft d) {
    Optional<ProcessId> p = d.process();
    return p.isEmpty() || p.get().confirmed();
  }

  /**
   * Nothing is known about the node: keeps the recorded state, says why in {@code Degraded} (once
   * per reason), and retries with backoff.
   */
  private static Decision nodeUnavailable(Draft d, String reason, String message) {
    Optional<Condition> c = d.status().condition(Condition.DEGRADED);
    if (c.isEmpty() || !c.get().reason().equals(reason)) {
      d.note(true, message);
      d.status(
          d.builder()
              .condition(Condition.DEGRADED, ConditionStatus.TRUE, reason, message, d.now())
              .build());
    }
    return d.end(new Outcome.Retry(message));
  }

  /**
   * Records that the process died (a crash): phase {@code failed}, started again by the next plan
   * unless that reaches the start limit (then {@code Terminal}); {@code health} and {@code message}
   * say how it was found, in a {@code health_check_result} event too when {@code byHealthCheck}.
   */
  private static Optional<Outcome> processGone(
      Draft d, Health health, String message, boolean byHealthCheck) {
    Instant now = d.now();
    long pid = d.status().pid().orElse(0L);
    d.ledger(
        d.ledger
            .withCrash(d.have.specHash(), now, d.rules.startLimitWindow())
            .withProcess(Optional.empty())
            .withHealthFailures(0));
    boolean limit = d.ledger.crashes().size() >= d.rules.startLimit();
    d.note(
        true,
        "process "
            + pid
            + " is gone"
            + (limit ? "; start limit reached, giving up until the spec changes" : "; restarting"));
    StatusBuilder b =
        d.builder()
            .phase(Phase.FAILED)
            .pid(Optional.empty())
            .health(health)
            .lastError(Optional.of("process exited"))
            .condition(Condition.READY, ConditionStatus.FALSE, "ProcessExited", message, now);
    if (limit) {
      b.condition(
          Condition.DEGRADED,
          ConditionStatus.TRUE,
          Reasons.START_LIMIT_REACHED,
          startLimitMessage(d.rules, "exited"),
          now);
    }
    if (byHealthCheck) {
      Map<String, Object> data = new LinkedHashMap<>();
      data.put("state", health.state().wireName());
      data.put("output", health.output());
      data.put("reason", "ProcessExited");
      d.status(b.build(), "health_check_result", data);
    } else {
      d.status(b.build());
    }
    return limit ? Optional.of(new Outcome.Terminal("start limit reached")) : Optional.empty();
  }

  private static String startLimitMessage(Rules rules, String what) {
    return "the process "
        + what
        + " "
        + rules.startLimit()
        + " times within "
        + rules.startLimitWindow().toSeconds()
        + "s; change the spec to try again";
  }

  // ------------------------------------------------------------------ decide

  /** Whether nothing is to be done for this service but watching its health. */
  static boolean settled(Service want, ObservedService o, boolean held) {
    ServiceStatus st = o.status();
    ServiceSpec spec = want.spec();
    RunState state =
        spec.state() == RunState.RUNNING && !held ? RunState.RUNNING : RunState.STOPPED;
    return o.specHash().equals(want.specHash())
        && o.metadata().equals(want.metadata())
        && st.observedGeneration() == o.generation()
        && st.address().isPresent()
        && ServiceStates.reached(st, spec.version(), state);
  }

  /**
   * Why a running process no longer runs with what it would be started with: its address, or a
   * dependency's {@code ip:port}, changed since it started (empty when nothing did).
   */
  private static List<String> movedUnder(Draft d) {
    List<String> why = new ArrayList<>();
    Optional<ProcessId> p = d.process();
    ServiceStatus st = d.status();
    if (p.isEmpty() || st.phase() != Phase.RUNNING || st.address().isEmpty()) {
      return why;
    }
    if (!p.get().address().equals(st.address().get())) {
      why.add("address " + p.get().address() + " → " + st.address().get());
    }
    for (Map.Entry<String, String> e : p.get().dependencies().entrySet()) {
      Dependency dep = d.s.dependencies().get(e.getKey());
      if (dep != null && dep.address().isPresent() && !dep.address().get().equals(e.getValue())) {
        why.add("dependency " + e.getKey() + ": " + e.getValue() + " → " + dep.address().get());
      }
    }
    return why;
  }

  /**
   * Drops the actions of a spec change that this loop already carried out for this very spec. The
   * stored spec is replaced only when the service reaches its desired state, so until then the
   * planner proposes the change's deploy and restart again on every reconcile: without this, a
   * service waiting for its dependencies would be installed again every poll, and a new process
   * still starting would be restarted again and again, never becoming healthy.
   */
  private static List<Action> withoutDone(Draft d, List<Action> actions) {
    String hash = d.s.want().orElseThrow().specHash();
    ServiceStatus st = d.status();
    Ledger l = d.ledger;
    return actions.stream()
        .filter(
            a ->
                switch (a) {
                  case Action.Deploy x ->
                      !(l.deployedFor().equals(Optional.of(hash))
                          && st.deployedVersion().equals(Optional.of(x.version())));
                  case Action.Restart x ->
                      !(l.startedFor().equals(Optional.of(hash))
                          && st.phase() == Phase.STARTING
                          && st.pid().isPresent());
                  default -> true;
                })
        .toList();
  }

  /** Records a declared service the loop has not known before. */
  private static void register(Draft d, Service want, Optional<ResourceChange> change) {
    d.register(registration(want, change, d.s.sourceRevision()));
  }

  /**
   * The first record of a declared service: its generation from the planner's change (1 for a new
   * one), phase {@code registered}, its node, and the spec directory's commit.
   */
  public static ObservedService registration(
      Service want, Optional<ResourceChange> change, Optional<String> sourceRevision) {
    long generation = change.map(ResourceChange::generation).orElse(1L);
    ServiceStatus st =
        new StatusBuilder(ServiceStatus.registered())
            .node(Optional.of(want.spec().node()))
            .sourceRevision(sourceRevision)
            .build();
    return new ObservedService(want.metadata(), generation, want.specHash(), want.spec(), st);
  }

  /** The data of the {@code service_registered} event of a new record. */
  public static Map<String, Object> registeredEvent(ObservedService o) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("service", o.metadata().name());
    data.put("version", o.spec().version());
    data.put("generation", o.generation());
    return data;
  }

  /** Leases {@code lease} to the service and records its address. */
  private static void allocate(Draft d, Lease lease) {
    d.leased.add(lease);
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("network", lease.network());
    data.put("address", lease.address().toString());
    d.status(d.builder().address(Optional.of(lease.address())).build(), "endpoint_updated", data);
  }

  /**
   * Records the address of the service's lease in its network when its status holds another (or
   * none): a lease handed out to many services at once is recorded by each service's reconcile.
   */
  private static void adoptLease(
      Draft d, Service want, Optional<ResourceChange> change, List<Action> actions) {
    String network = want.spec().network();
    List<Lease> mine = d.s.leases().stream().filter(l -> l.network().equals(network)).toList();
    Optional<Ipv4> address =
        change
            .flatMap(ResourceChange::address)
            .filter(a -> mine.stream().anyMatch(l -> l.address().equals(a)))
            .or(() -> mine.size() == 1 ? Optional.of(mine.getFirst().address()) : Optional.empty());
    if (address.isEmpty() || d.status().address().equals(address)) {
      return;
    }
    Ipv4 a = address.get();
    boolean released =
        actions.stream()
            .anyMatch(x -> x instanceof Action.ReleaseAddress r && r.address().equals(a));
    if (released) {
      return;
    }
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("network", network);
    data.put("address", a.toString());
    d.status(d.builder().address(Optional.of(a)).build(), "endpoint_updated", data);
  }

  /**
   * The actions of a service held stopped by an operator: nothing that starts a process, and a stop
   * first (before an install, which then records the new version) when its process may run.
   */
  private static List<Action> keptStopped(Draft d, List<Action> actions) {
    List<Action> out = new ArrayList<>();
    boolean up = d.have != null && ServiceStates.isUp(d.status());
    if (up && actions.stream().noneMatch(a -> a instanceof Action.Stop)) {
      String node = d.status().node().orElse(d.s.want().orElseThrow().spec().node());
      out.add(new Action.Stop(d.s.name(), node));
    }
    for (Action a : actions) {
      if (!startsProcess(a)) {
        out.add(a);
      }
    }
    return out;
  }

  /** A re-plan that installs or starts anyway carries out a pending re-deploy or restart. */
  private static void consumeCovered(Draft d, List<Action> actions, boolean held) {
    Intent intent = d.intent;
    if (!intent.restart() && !intent.redeploy()) {
      return;
    }
    boolean deploys = actions.stream().anyMatch(a -> a instanceof Action.Deploy);
    boolean stopped = held || d.s.want().orElseThrow().spec().state() == RunState.STOPPED;
    boolean starts = actions.stream().anyMatch(Rollout::startsProcess) || (deploys && stopped);
    d.intent(
        intent
            .withRedeploy(intent.redeploy() && !deploys)
            .withRestart(intent.restart() && !starts));
  }

  private static boolean startsProcess(Action a) {
    return a instanceof Action.Start || a instanceof Action.Restart || a instanceof Action.Rollback;
  }

  /**
   * An operator's pending re-deploy or restart of a settled service: install the spec's package
   * again (even when that version is installed), then stop and start it, unless it is to be
   * stopped; health and rollback follow as after a new version.
   */
  private static Decision carryOut(Draft d) {
    Service want = d.s.want().orElseThrow();
    Intent intent = d.s.intent();
    String node = d.status().node().orElse(want.spec().node());
    boolean run = !intent.held() && want.spec().state() == RunState.RUNNING;
    String version = want.spec().version();
    List<Step> steps = new ArrayList<>();
    if (intent.redeploy()) {
      steps.add(
          new Step.Install(node, version, want.spec().packageRef(), true, d.status().phase()));
    }
    if (run) {
      d.note(false, "restarting on an operator's request");
      steps.add(stopStep(d, node));
      steps.addAll(
          startSteps(
              d, node, intent.redeploy() ? version : d.status().deployedVersion().orElse(version)));
    }
    return next(d, steps, new Run(Run.Mode.CARRY_OUT, Optional.empty(), false));
  }

  /** The steps that carry out the planner's actions, in order. */
  private static List<Step> toSteps(Draft d, List<Action> actions) {
    List<Step> steps = new ArrayList<>();
    String installed = null;
    for (Action a : actions) {
      switch (a) {
        case Action.AllocateAddress x -> {}
        case Action.Deploy x -> {
          steps.add(
              new Step.Install(x.node(), x.version(), x.packageRef(), false, d.status().phase()));
          installed = x.version();
        }
        case Action.Start x -> steps.addAll(startSteps(d, x.node(), version(d, installed)));
        case Action.Stop x -> steps.add(stopStep(d, x.node()));
        case Action.Restart x -> {
          d.note(false, "restarting: " + x.reason());
          steps.add(stopStep(d, x.node()));
          steps.addAll(startSteps(d, x.node(), version(d, installed)));
        }
        case Action.Rollback x -> {
          steps.add(stopStep(d, x.node()));
          steps.add(new Step.RollBack(x.fromVersion(), x.toVersion()));
          steps.addAll(startSteps(d, x.node(), x.toVersion()));
        }
        case Action.Undeploy x -> steps.add(new Step.Uninstall(x.node()));
        case Action.ReleaseAddress x -> {
          Cidr subnet = d.s.bound().get(x.network());
          if (subnet != null && d.have != null) {
            String node = d.status().node().orElse(d.have.spec().node());
            steps.add(new Step.Unbind(x.network(), node, x.address(), subnet));
          }
          steps.add(new Step.Release(new Lease(x.network(), x.address(), x.service())));
        }
      }
    }
    return steps;
  }

  /** The version a start runs: the one installed by this reconcile, else the deployed one. */
  private static String version(Draft d, String installedNow) {
    if (installedNow != null) {
      return installedNow;
    }
    return d.status().deployedVersion().orElse(d.s.want().map(w -> w.spec().version()).orElse(""));
  }

  /**
   * A start of {@code version} on {@code node}, after its address is configured there where svcreg
   * configures addresses on nodes; the address and dependencies are filled in as they are about to
   * run.
   */
  private static List<Step> startSteps(Draft d, String node, String version) {
    Step start = new Step.Start(node, version, Optional.empty(), Map.of());
    Cidr subnet = d.s.want().map(w -> d.s.bound().get(w.spec().network())).orElse(null);
    return subnet == null
        ? List.of(start)
        : List.of(new Step.Bind(node, Optional.empty(), subnet, Optional.of(version)), start);
  }

  /** A stop of the recorded process (a stop of nothing records the service stopped). */
  private static Step stopStep(Draft d, String node) {
    ServiceStatus st = d.status();
    Optional<Long> pid = st.pid();
    Instant started =
        d.process()
            .filter(p -> pid.isPresent() && p.pid() == pid.get())
            .map(ProcessId::startTime)
            .orElse(Instant.EPOCH);
    String version = st.deployedVersion().orElse(d.have.spec().version());
    return new Step.Stop(node, version, pid, started);
  }

  // ------------------------------------------------------------------ steps

  /** A decision to carry out {@code steps}: writes what the first is about to do. */
  private static Decision next(Draft d, List<Step> steps, Run run) {
    List<Step> left = new ArrayList<>(steps);
    while (!left.isEmpty()) {
      Step first = left.getFirst();
      Prepared p = before(d, first, run);
      switch (p) {
        case Prepared.Halt h -> {
          return h.decision();
        }
        case Prepared.Written w -> left.removeFirst();
        case Prepared.Ready r -> {
          left.set(0, r.step());
          return new Decision(d.writes(), left, Optional.empty(), run);
        }
      }
    }
    return finish(d, run);
  }

  /** What preparing a step gave. */
  private sealed interface Prepared {
    /** The step runs as {@code step}. */
    record Ready(Step step) implements Prepared {}

    /** The step is carried out by the writes alone (or there is nothing to do). */
    record Written() implements Prepared {}

    /** The steps end here. */
    record Halt(Decision decision) implements Prepared {}
  }

  /** Writes what {@code step} is about to do; or ends the steps (e.g. dependencies not ready). */
  private static Prepared before(Draft d, Step step, Run run) {
    Instant now = d.now();
    return switch (step) {
      case Step.Install x -> {
        if (d.s.want().isEmpty()) {
          // its spec is held (invalid): there is nothing to install until it is fixed
          yield new Prepared.Halt(d.end(Outcome.DONE));
        }
        Service want = d.s.want().get();
        if (!d.s.reaches(want.spec().network(), x.node())) {
          yield new Prepared.Halt(unreachable(d, want, x.node()));
        }
        boolean up = ServiceStates.isUp(d.status());
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("phase", "install");
        data.put("version", x.version());
        d.status(
            d.builder()
                .phase(up ? d.status().phase() : Phase.DEPLOYING)
                .node(Optional.of(x.node()))
                .condition(
                    Condition.PROGRESSING,
                    ConditionStatus.TRUE,
                    "Deploying",
                    "installing " + x.version(),
                    now)
                .build(),
            "deployment_progress",
            data);
        yield new Prepared.Ready(x);
      }
      case Step.Start x -> {
        Service want = d.s.want().orElseThrow();
        Map<String, String> deps = new TreeMap<>();
        for (String dep : want.spec().dependsOn()) {
          Dependency dd = d.s.dependencies().get(dep);
          if (dd == null || !dd.ready()) {
            d.status(
                d.builder()
                    .condition(
                        Condition.PROGRESSING,
                        ConditionStatus.TRUE,
                        "WaitingForDependencies",
                        "waiting for " + dep + " to run and be healthy",
                        now)
                    .build());
            yield new Prepared.Halt(d.end(new Outcome.RequeueAfter(d.rules.dependencyPoll())));
          }
          dd.address().ifPresent(a -> deps.put(dep, a));
        }
        Optional<Ipv4> ip = d.status().address();
        if (ip.isEmpty()) {
          yield new Prepared.Halt(d.end(new Outcome.Retry("no address leased yet")));
        }
        if (!d.s.reaches(want.spec().network(), x.node())) {
          yield new Prepared.Halt(unreachable(d, want, x.node()));
        }
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("phase", "start");
        data.put("version", x.version());
        d.status(
            d.builder()
                .phase(Phase.STARTING)
                .condition(
                    Condition.PROGRESSING,
                    ConditionStatus.TRUE,
                    "Starting",
                    "starting " + x.version(),
                    now)
                .build(),
            "deployment_progress",
            data);
        yield new Prepared.Ready(new Step.Start(x.node(), x.version(), ip, deps));
      }
      case Step.Stop x -> {
        String network = d.have.spec().network();
        if (x.pid().isEmpty() || !d.s.reaches(network, x.node())) {
          d.status(d.builder().phase(Phase.STOPPED).pid(Optional.empty()).build());
          d.ledger(d.ledger.withProcess(Optional.empty()));
          yield new Prepared.Written();
        }
        d.status(d.builder().phase(Phase.STOPPING).build());
        yield new Prepared.Ready(x);
      }
      case Step.Release x -> {
        d.released.add(x.lease());
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("released", x.lease().address().toString());
        if (d.have != null) {
          StatusBuilder b = d.builder();
          if (d.status().address().equals(Optional.of(x.lease().address()))) {
            b.address(Optional.empty()).endpoints(List.of());
          }
          d.status(b.build(), "endpoint_updated", data);
        } else {
          d.event("endpoint_updated", data);
        }
        yield new Prepared.Written();
      }
      case Step.RollBack x -> {
        Service want = d.s.want().orElseThrow();
        d.note(true, "rolling back " + x.from() + " → " + x.to());
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("phase", "rollback");
        data.put("from", x.from());
        data.put("to", x.to());
        d.status(
            d.builder()
                .deployedVersion(Optional.of(x.to()))
                .previousVersion(Optional.of(x.from()))
                .condition(
                    Condition.DEGRADED,
                    ConditionStatus.TRUE,
                    Reasons.ROLLED_BACK,
                    "version "
                        + x.from()
                        + " did not become healthy within "
                        + want.spec().rollout().progressDeadline()
                        + "; rolled back to "
                        + x.to(),
                    now)
                .build(),
            "deployment_progress",
            data);
        yield new Prepared.Written();
      }
      case Step.Bind x -> {
        String network = d.s.want().map(w -> w.spec().network()).orElse(d.have.spec().network());
        Optional<Ipv4> address = d.status().address();
        if (address.isEmpty() || !d.s.reaches(network, x.node())) {
          // nothing to configure (a start halts on it), or nowhere to configure it
          yield new Prepared.Written();
        }
        yield new Prepared.Ready(new Step.Bind(x.node(), address, x.subnet(), x.version()));
      }
      case Step.Unbind x ->
          d.s.reaches(x.network(), x.node()) ? new Prepared.Ready(x) : new Prepared.Written();
      case Step.Confirm x -> new Prepared.Ready(x);
      case Step.CheckHealth x -> new Prepared.Ready(x);
      case Step.StopStrays x -> new Prepared.Ready(x);
      case Step.Uninstall x -> new Prepared.Ready(x);
    };
  }

  /** A node of the service that no deployer reaches: {@code Degraded}, waits for a change. */
  private static Decision unreachable(Draft d, Service want, String node) {
    return degraded(
        d,
        "NodeUnreachable",
        "node "
            + node
            + " of network "
            + want.spec().network()
            + " is not declared in the network, or this controller has no deployer for it");
  }

  /** Records a step's result; a decision when the steps end here, else null. */
  private static Decision handle(Draft d, Step step, StepResult result, Run run) {
    return switch (step) {
      case Step.Install x ->
          switch (result) {
            case StepResult.Installed ok -> {
              installed(d, x, ok);
              yield null;
            }
            case StepResult.Failed f when x.forced() -> {
              d.note(true, f.message());
              Map<String, Object> data = new LinkedHashMap<>();
              data.put("phase", "failed");
              data.put("version", x.version());
              data.put("message", f.message());
              Instant now = d.now();
              d.status(
                  d.builder()
                      .phase(x.restore())
                      .lastError(Optional.of(f.message()))
                      .condition(
                          Condition.PROGRESSING,
                          ConditionStatus.FALSE,
                          f.reason(),
                          f.message(),
                          now)
                      .condition(
                          Condition.DEGRADED, ConditionStatus.TRUE, f.reason(), f.message(), now)
                      .build(),
                  "deployment_progress",
                  data);
              yield end(d, run, new Outcome.Terminal(f.message()));
            }
            case StepResult.Failed f -> {
              // a running service's new version that cannot be installed leaves the running
              // version as it is, phase included: failed would let the next plan start the new
              // version beside the old process instead of restarting it
              Phase phase = ServiceStates.isUp(d.status()) ? d.status().phase() : Phase.FAILED;
              fail(d, f.reason(), f.message(), phase);
              yield end(d, run, new Outcome.Retry(f.message()));
            }
            default -> throw unexpected(step, result);
          };
      case Step.Start x ->
          switch (result) {
            case StepResult.Started ok -> {
              started(d, x, ok);
              yield null;
            }
            case StepResult.Failed f -> end(d, run, startFailed(d, run, f));
            default -> throw unexpected(step, result);
          };
      case Step.Confirm x ->
          switch (result) {
            case StepResult.Started ok -> {
              d.ledger(d.ledger.withProcess(d.process().map(ProcessId::confirm)));
              yield null;
            }
            case StepResult.Failed f -> end(d, run, startFailed(d, run, f));
            default -> throw unexpected(step, result);
          };
      case Step.Stop x ->
          switch (result) {
            case StepResult.Stopped ok -> {
              d.status(
                  d.builder()
                      .phase(Phase.STOPPED)
                      .pid(Optional.empty())
                      .health(Health.UNKNOWN)
                      .condition(
                          Condition.READY,
                          ConditionStatus.FALSE,
                          "Stopped",
                          "stopped (" + ok.how() + ")",
                          d.now())
                      .build());
              d.ledger(d.ledger.withProcess(Optional.empty()).withHealthFailures(0));
              yield null;
            }
            case StepResult.Failed f -> {
              fail(d, f.reason(), f.message());
              yield end(d, run, new Outcome.Retry(f.message()));
            }
            default -> throw unexpected(step, result);
          };
      case Step.StopStrays x -> {
        if (result instanceof StepResult.Failed f) {
          // still recorded as an interrupted start: looked at again, nothing started meanwhile
          d.note(true, f.message());
          yield end(d, run, new Outcome.Retry(f.message()));
        }
        d.status(d.builder().phase(Phase.STOPPED).build());
        yield null;
      }
      case Step.Uninstall x ->
          switch (result) {
            case StepResult.Uninstalled ok when !ok.kept().isEmpty() ->
                end(d, run, keptOnRemoval(d, x.node(), ok.kept()));
            case StepResult.Uninstalled ok -> {
              clearInUse(d);
              if (ok.forgotten()) {
                d.note(
                    true,
                    "no deployer for node " + x.node() + " any more; forgetting its files there");
              }
              if (run.mode() == Run.Mode.PLAN && d.have != null) {
                d.status(
                    d.builder().deployedVersion(Optional.empty()).phase(Phase.REMOVING).build());
              }
              yield null;
            }
            case StepResult.Failed f -> end(d, run, new Outcome.Retry(f.message()));
            default -> throw unexpected(step, result);
          };
      case Step.CheckHealth x ->
          switch (result) {
            case StepResult.Health h ->
                run.mode() == Run.Mode.STARTING
                    ? startingHealth(d, run.change(), h)
                    : runningHealth(d, h);
            default -> throw unexpected(step, result);
          };
      case Step.Bind x ->
          switch (result) {
            case StepResult.Bound ok -> {
              if (!ok.device().isEmpty()) {
                d.note(
                    false,
                    "address "
                        + x.address().map(Ipv4::toString).orElse("")
                        + "/"
                        + x.subnet().prefix()
                        + " configured on "
                        + ok.device()
                        + " of node "
                        + x.node());
              }
              d.status(clearAddressFailure(d));
              yield null;
            }
            case StepResult.Failed f -> end(d, run, addressFailed(d, f));
            default -> throw unexpected(step, result);
          };
      case Step.Unbind x ->
          switch (result) {
            case StepResult.Bound ok -> {
              if (!ok.device().isEmpty()) {
                d.note(false, "address " + x.address() + " removed from node " + x.node());
              }
              yield null;
            }
            case StepResult.Failed f -> end(d, run, addressFailed(d, f));
            default -> throw unexpected(step, result);
          };
      case Step.Release x -> null;
      case Step.RollBack x -> null;
    };
  }

  /**
   * An address that could not be configured or removed: said in {@code Degraded} (the process, if
   * any, is left as it is) and tried again with backoff.
   */
  private static Outcome addressFailed(Draft d, StepResult.Failed f) {
    d.note(true, f.message());
    if (d.have != null) {
      d.status(
          d.builder()
              .lastError(Optional.of(f.message()))
              .condition(Condition.DEGRADED, ConditionStatus.TRUE, f.reason(), f.message(), d.now())
              .build());
    }
    return new Outcome.Retry(f.message());
  }

  /** Clears the {@code Degraded} condition of a removal that kept a directory in use. */
  private static void clearInUse(Draft d) {
    if (d.have != null
        && d.status()
            .condition(Condition.DEGRADED)
            .filter(c -> DIRECTORY_IN_USE.equals(c.reason()))
            .isPresent()) {
      d.status(d.builder().clearCondition(Condition.DEGRADED).lastError(Optional.empty()).build());
    }
  }

  /** The status without a {@code Degraded} condition an address failure set. */
  private static ServiceStatus clearAddressFailure(Draft d) {
    StatusBuilder b = d.builder();
    d.status()
        .condition(Condition.DEGRADED)
        .filter(c -> ADDRESS_FAILED.equals(c.reason()))
        .ifPresent(c -> b.clearCondition(Condition.DEGRADED));
    return b.build();
  }

  private static IllegalArgumentException unexpected(Step step, StepResult result) {
    return new IllegalArgumentException(
        "a " + step.getClass().getSimpleName() + " step cannot give " + result);
  }

  /** Records an installed version. */
  private static void installed(Draft d, Step.Install x, StepResult.Installed ok) {
    ServiceStatus st = d.status();
    boolean up = ServiceStates.isUp(st);
    // a running service keeps its version until it is restarted with the new one
    StatusBuilder b = d.builder().lastError(Optional.empty());
    if (!up) {
      b.deployedVersion(Optional.of(x.version()))
          .previousVersion(ServiceStates.previousVersion(st, x.version()))
          .phase(Phase.STOPPED);
    }
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("phase", "installed");
    data.put("version", x.version());
    data.put("home", ok.home());
    d.status(b.build(), "deployment_progress", data);
    d.ledger(d.ledger.withDeployedFor(d.s.want().orElseThrow().specHash()));
    for (StepResult.Kept k : ok.kept()) {
      reportKept(d, x.node(), k, "install");
    }
  }

  /**
   * A removal that kept directories because processes still run from them: each reported, the
   * service {@code Degraded} with reason {@value #DIRECTORY_IN_USE}, and the removal tried again
   * with the loop's backoff (nothing is deleted under a live process, nor forgotten while one
   * runs).
   */
  private static Outcome keptOnRemoval(Draft d, String node, List<StepResult.Kept> kept) {
    String message = "";
    for (StepResult.Kept k : kept) {
      message = reportKept(d, node, k, "removal attempt");
    }
    if (d.have != null) {
      d.status(
          d.builder()
              .lastError(Optional.of(message))
              .condition(
                  Condition.DEGRADED, ConditionStatus.TRUE, DIRECTORY_IN_USE, message, d.now())
              .build());
    }
    return new Outcome.Retry(message);
  }

  /**
   * Reports a directory kept because processes run from it: a warning in the log and a {@code
   * deployment_progress} event with phase {@code kept}; {@code next}: what looks at it again.
   * Returns the message.
   */
  private static String reportKept(Draft d, String node, StepResult.Kept k, String next) {
    String message =
        "kept "
            + k.path()
            + " on node "
            + node
            + (k.processes().size() == 1 ? ": a live process runs" : ": live processes run")
            + " from it ("
            + k.describe()
            + "); not deleted, looked at again at the next "
            + next
            + " of "
            + d.s.name();
    d.note(true, message);
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("phase", "kept");
    if (!k.version().isEmpty()) {
      data.put("version", k.version());
    }
    data.put("node", node);
    data.put("home", k.path());
    data.put(
        "processes",
        k.processes().stream()
            .map(
                h -> Map.<String, Object>of("pid", h.pid(), "command", h.command(), "how", h.how()))
            .toList());
    data.put("message", message);
    d.event("deployment_progress", data);
    return message;
  }

  /** Records a started process. */
  private static void started(Draft d, Step.Start x, StepResult.Started ok) {
    Service want = d.s.want().orElseThrow();
    ServiceStatus st = d.status();
    Ipv4 ip = x.address().orElseThrow();
    List<String> endpoints =
        want.spec().endpoints().stream().map(e -> ip + ":" + e.port()).toList();
    d.status(
        d.builder()
            .deployedVersion(Optional.of(x.version()))
            .previousVersion(ServiceStates.previousVersion(st, x.version()))
            .pid(Optional.of(ok.pid()))
            .containerId(ok.containerId())
            .endpoints(endpoints)
            .lastError(Optional.empty())
            .build(),
        "endpoint_updated",
        Map.of("endpoints", endpoints));
    d.ledger(
        d.ledger
            .withProcess(
                Optional.of(
                    new ProcessId(
                        ok.pid(),
                        ok.startTime(),
                        ok.logOffset(),
                        ok.confirmed(),
                        d.now(),
                        x.version(),
                        ip,
                        x.dependencies())))
            .withStartedFor(want.specHash())
            .withHealthFailures(0));
  }

  /**
   * A start that failed (or whose process did not outlive its grace period) counts as a crash: at
   * the start limit the spec is given up on, else the start is retried with backoff.
   */
  private static Outcome startFailed(Draft d, Run run, StepResult.Failed f) {
    Service want = d.s.want().orElseThrow();
    if (EXECUTION_UNSUPPORTED.equals(f.reason())) {
      // nothing a retry changes: said once, until the spec (or the node) changes
      d.status(d.builder().phase(Phase.FAILED).pid(Optional.empty()).build());
      d.ledger(d.ledger.withProcess(Optional.empty()));
      return degraded(d, f.reason(), f.message()).next().orElseThrow();
    }
    String message = f.message() + (f.logTail().isEmpty() ? "" : ": " + f.logTail());
    d.ledger(
        d.ledger
            .withCrash(want.specHash(), d.now(), d.rules.startLimitWindow())
            .withProcess(Optional.empty()));
    d.status(d.builder().pid(Optional.empty()).build());
    if (d.ledger.crashes().size() >= d.rules.startLimit()) {
      // like a process that keeps dying: give up on this spec until it changes
      applied(
          d,
          run.change(),
          d.builder()
              .phase(Phase.FAILED)
              .lastError(Optional.of(message))
              .condition(
                  Condition.DEGRADED,
                  ConditionStatus.TRUE,
                  Reasons.START_LIMIT_REACHED,
                  startLimitMessage(d.rules, "failed to start") + ": " + message,
                  d.now())
              .build(),
          false);
      d.note(true, "start limit reached: " + message);
      return new Outcome.Terminal("start limit reached");
    }
    fail(d, f.reason(), message);
    return new Outcome.Retry(f.message());
  }

  /** The steps end early with {@code outcome}; an operator's command is forgotten all the same. */
  private static Decision end(Draft d, Run run, Outcome outcome) {
    if (run.mode() == Run.Mode.CARRY_OUT) {
      d.intent(d.intent.withRestart(false).withRedeploy(false));
      if (outcome instanceof Outcome.Terminal && d.have != null) {
        // the running process was left alone: its health is watched as before
        return progress(d, Optional.empty());
      }
    }
    return d.end(outcome);
  }

  /** What follows the last step. */
  private static Decision finish(Draft d, Run run) {
    return switch (run.mode()) {
      case NONE -> d.end(Outcome.DONE);
      case OBSERVE -> new Decision(d.writes(), List.of(), Optional.empty(), run);
      case PLAN, CARRY_OUT -> {
        if (run.mode() == Run.Mode.CARRY_OUT) {
          d.intent(d.intent.withRestart(false).withRedeploy(false));
        }
        if (d.s.want().isEmpty()) {
          // torn down: forgotten by the next reconcile, once the inventory is seen empty
          yield d.end(new Outcome.RequeueAfter(Duration.ZERO));
        }
        if (run.started()) {
          // the process runs with this spec now: record it, so that the re-plans while it becomes
          // healthy see no change
          applied(d, run.change(), d.status(), true);
        }
        yield progress(d, run.change());
      }
      case STARTING, RUNNING -> progress(d, run.change());
      case REMOVE -> {
        d.remove();
        yield d.end(Outcome.DONE);
      }
    };
  }

  /** Forgets a torn-down service, after removing what the inventory still records of it. */
  private static Decision remove(Draft d) {
    List<Step> steps = new ArrayList<>();
    for (String node : d.s.leftoverNodes()) {
      steps.add(new Step.Uninstall(node));
    }
    return next(d, steps, new Run(Run.Mode.REMOVE, Optional.empty(), false));
  }

  // ------------------------------------------------------------------ progress and health

  /**
   * After the actions (or with none): a started process must outlive its grace period and become
   * healthy within its progress deadline; the spec is recorded as applied once the service reached
   * its desired state; a running service's health is watched.
   */
  private static Decision progress(Draft d, Optional<ResourceChange> change) {
    Service want = d.s.want().orElseThrow();
    ServiceStatus st = d.status();
    Run starting = new Run(Run.Mode.STARTING, change, false);
    if (st.phase() == Phase.STARTING) {
      Optional<ProcessId> p = d.process();
      if (p.isPresent() && !p.get().confirmed()) {
        Instant due = p.get().startedAt().plus(d.rules.startGrace());
        // what the node said is about this process unless it was started by this reconcile
        boolean died =
            d.s.probe() instanceof Probe.Seen seen
                && !seen.running()
                && p.get().startedAt().isBefore(d.now());
        if (d.now().isBefore(due) && !died) {
          return d.end(new Outcome.RequeueAfter(Duration.between(d.now(), due)));
        }
        String node = st.node().orElse(want.spec().node());
        return next(d, List.of(new Step.Confirm(node, p.get())), starting);
      }
      if (want.spec().health().isPresent()) {
        return next(d, List.of(healthStep(d)), starting);
      }
      return startingHealth(d, change, null);
    }
    boolean held = d.s.intent().held();
    boolean reached =
        want.spec().state() == RunState.RUNNING && !held
            ? st.phase() == Phase.RUNNING
            : st.phase() == Phase.STOPPED;
    if (reached || st.phase() == Phase.FAILED) {
      ObservedService o = d.have;
      boolean specDiffers =
          !o.specHash().equals(want.specHash())
              || !o.metadata().equals(want.metadata())
              || st.observedGeneration() != o.generation();
      if (specDiffers) {
        applied(d, change, st, true);
      }
    }
    if (d.status().phase() == Phase.RUNNING) {
      return maintainHealth(d);
    }
    return d.end(Outcome.DONE);
  }

  /** The periodic health check of a running service when due. */
  private static Decision maintainHealth(Draft d) {
    Service want = d.s.want().orElseThrow();
    if (d.status().phase() != Phase.RUNNING || want.spec().health().isEmpty()) {
      return d.end(Outcome.DONE);
    }
    Duration interval = interval(want);
    Optional<Instant> last = d.s.lastHealthCheck();
    if (last.isPresent()) {
      Instant due = last.get().plus(interval);
      if (d.now().isBefore(due)) {
        return d.end(new Outcome.RequeueAfter(Duration.between(d.now(), due)));
      }
    }
    return next(d, List.of(healthStep(d)), new Run(Run.Mode.RUNNING, Optional.empty(), false));
  }

  private static Step.CheckHealth healthStep(Draft d) {
    Service want = d.s.want().orElseThrow();
    HealthCheck hc = want.spec().health().orElseThrow();
    ServiceStatus st = d.status();
    Optional<Long> pid = st.pid();
    Instant started =
        d.process()
            .filter(p -> pid.isPresent() && p.pid() == pid.get())
            .map(ProcessId::startTime)
            .orElse(Instant.EPOCH);
    return new Step.CheckHealth(
        st.node().orElse(want.spec().node()),
        st.deployedVersion().orElse(want.spec().version()),
        hc.script(),
        hc.timeout().toDuration(),
        pid,
        started);
  }

  /** The health of a starting service: running once it passes, failed after its deadline. */
  private static Decision startingHealth(
      Draft d, Optional<ResourceChange> change, StepResult.Health result) {
    Service want = d.s.want().orElseThrow();
    ServiceStatus st = d.status();
    Instant now = d.now();
    if (result != null && result.kind() == StepResult.Health.Kind.PROCESS_EXITED) {
      return healthFoundCrash(d, result);
    }
    if (result != null && result.kind() == StepResult.Health.Kind.NODE_UNAVAILABLE) {
      // the node did not answer: no verdict on the service's health
      return nodeUnavailable(d, result.reason(), result.message());
    }
    if (result == null || result.kind() == StepResult.Health.Kind.PASSING) {
      // running the previous version after a rollback (not the spec's version)
      boolean rolledBack =
          st.condition(Condition.DEGRADED)
                  .map(c -> Reasons.ROLLED_BACK.equals(c.reason()))
                  .orElse(false)
              && !st.deployedVersion().equals(Optional.of(want.spec().version()));
      StatusBuilder running = d.builder();
      if (!rolledBack) {
        // the spec's version runs healthy: whatever degraded it before is over
        running.clearCondition(Condition.DEGRADED);
      }
      applied(
          d,
          change,
          running
              .phase(Phase.RUNNING)
              .health(health(result, now))
              .condition(
                  Condition.READY, ConditionStatus.TRUE, "Healthy", "running and healthy", now)
              .condition(
                  Condition.PROGRESSING,
                  ConditionStatus.FALSE,
                  rolledBack ? Reasons.ROLLED_BACK : "Completed",
                  rolledBack
                      ? "rolled back"
                      : "version " + st.deployedVersion().orElse("") + " is available",
                  now)
              .build(),
          true);
      d.ledger(d.ledger.withHealthFailures(0));
      return d.end(new Outcome.RequeueAfter(interval(want)));
    }
    Instant startedAt =
        st.condition(Condition.PROGRESSING).map(Condition::lastTransitionTime).orElse(now);
    Duration deadline = want.spec().rollout().progressDeadline().toDuration();
    if (now.isAfter(startedAt.plus(deadline))) {
      boolean canRollBack =
          want.spec().rollout().autoRollback()
              && st.previousVersion().isPresent()
              && !st.previousVersion().equals(st.deployedVersion());
      String msg =
          "version "
              + st.deployedVersion().orElse("")
              + " did not become healthy within "
              + want.spec().rollout().progressDeadline()
              + ": "
              + result.output().strip();
      StatusBuilder b =
          d.builder()
              .phase(Phase.FAILED)
              .health(health(result, now))
              .lastError(Optional.of(msg))
              .condition(
                  Condition.PROGRESSING,
                  ConditionStatus.FALSE,
                  Reasons.PROGRESS_DEADLINE_EXCEEDED,
                  msg,
                  now);
      if (!canRollBack) {
        b.condition(
            Condition.DEGRADED,
            ConditionStatus.TRUE,
            Reasons.START_LIMIT_REACHED,
            msg + "; nothing to roll back to",
            now);
      }
      applied(d, change, b.build(), false);
      d.note(true, msg);
      return d.end(
          canRollBack ? new Outcome.RequeueAfter(Duration.ZERO) : new Outcome.Terminal(msg));
    }
    return d.end(new Outcome.RequeueAfter(d.rules.healthPoll()));
  }

  /** The periodic health check's result: only transitions are recorded. */
  private static Decision runningHealth(Draft d, StepResult.Health result) {
    Service want = d.s.want().orElseThrow();
    if (result.kind() == StepResult.Health.Kind.PROCESS_EXITED) {
      return healthFoundCrash(d, result);
    }
    if (result.kind() == StepResult.Health.Kind.NODE_UNAVAILABLE) {
      // the node did not answer: no verdict on the service's health (not counted as a failure)
      return nodeUnavailable(d, result.reason(), result.message());
    }
    int threshold = want.spec().health().orElseThrow().failureThreshold();
    boolean passed = result.kind() == StepResult.Health.Kind.PASSING;
    HealthState was = d.status().health().state();
    int failures = passed ? 0 : Math.min(d.ledger.healthFailures() + 1, Integer.MAX_VALUE - 1);
    HealthState state =
        passed
            ? HealthState.PASSING
            : failures >= threshold
                ? HealthState.FAILING
                : was == HealthState.UNKNOWN ? HealthState.PASSING : was;
    d.ledger(d.ledger.withHealthFailures(failures));
    if (state != was) {
      Instant now = d.now();
      boolean ok = state == HealthState.PASSING;
      Map<String, Object> data = new LinkedHashMap<>();
      data.put("state", state.wireName());
      data.put("output", result.output());
      d.status(
          d.builder()
              .health(new Health(state, Optional.of(now), result.output()))
              .condition(
                  Condition.READY,
                  ok ? ConditionStatus.TRUE : ConditionStatus.FALSE,
                  ok ? "Healthy" : "HealthCheckFailing",
                  ok ? "running and healthy" : "health check failing: " + result.output().strip(),
                  now)
              .build(),
          "health_check_result",
          data);
    }
    return d.end(new Outcome.RequeueAfter(interval(want)));
  }

  /**
   * A health check found the process gone (whatever the script said): a crash, recorded with the
   * health {@code failing} and the check's message; the next reconcile starts it again.
   */
  private static Decision healthFoundCrash(Draft d, StepResult.Health f) {
    d.note(true, f.message());
    String out = f.output().isBlank() ? f.message() : f.message() + "\n" + f.output();
    Optional<Outcome> gone =
        processGone(
            d, new Health(HealthState.FAILING, Optional.of(d.now()), out), f.message(), true);
    return d.end(gone.orElse(new Outcome.RequeueAfter(Duration.ZERO)));
  }

  private static Duration interval(Service want) {
    return want.spec().health().map(h -> h.interval().toDuration()).orElse(NO_CHECK_INTERVAL);
  }

  private static Health health(StepResult.Health result, Instant now) {
    if (result == null) {
      return new Health(HealthState.UNKNOWN, Optional.of(now), "no health check");
    }
    HealthState state =
        result.kind() == StepResult.Health.Kind.PASSING ? HealthState.PASSING : HealthState.FAILING;
    return new Health(state, Optional.of(now), result.output());
  }

  // ------------------------------------------------------------------ records

  /** Records the desired spec as applied, with its generation and the status {@code st}. */
  private static void applied(
      Draft d, Optional<ResourceChange> change, ServiceStatus st, boolean quietIfSame) {
    Service want = d.s.want().orElseThrow();
    ObservedService o = d.have;
    long generation =
        o.specHash().equals(want.specHash())
            ? o.generation()
            : Math.max(o.generation() + 1, change.map(ResourceChange::generation).orElse(0L));
    ServiceStatus next =
        new StatusBuilder(st)
            .observedGeneration(generation)
            .sourceRevision(d.s.sourceRevision())
            .build();
    ObservedService updated =
        new ObservedService(want.metadata(), generation, want.specHash(), want.spec(), next);
    if (quietIfSame && updated.equals(o)) {
      return;
    }
    List<EventDraft> events = new ArrayList<>();
    if (!o.specHash().equals(want.specHash()) || !o.metadata().equals(want.metadata())) {
      List<Map<String, String>> fields = new ArrayList<>();
      change.ifPresent(
          c ->
              c.fields()
                  .forEach(
                      f -> {
                        Map<String, String> m = new LinkedHashMap<>();
                        m.put("field", f.path());
                        m.put("old", f.oldValue().orElse(""));
                        m.put("new", f.newValue().orElse(""));
                        fields.add(m);
                      }));
      Map<String, Object> updatedData = new LinkedHashMap<>();
      updatedData.put("service", want.name());
      updatedData.put("generation", generation);
      updatedData.put("version", want.spec().version());
      events.add(new EventDraft("service_updated", d.key(), updatedData));
      Map<String, Object> diff = new LinkedHashMap<>();
      diff.put("change", "update");
      diff.put("generation", generation);
      diff.put("fields", fields);
      events.add(new EventDraft("reconcile_diff", d.key(), diff));
    }
    d.record(updated, events);
  }

  /** Records a failure: phase {@code failed}, its message, and why in {@code Degraded}. */
  private static void fail(Draft d, String reason, String message) {
    fail(d, reason, message, Phase.FAILED);
  }

  /** Records a failure: the service in {@code phase}, its message, and why in {@code Degraded}. */
  private static void fail(Draft d, String reason, String message, Phase phase) {
    d.note(true, message);
    d.status(
        d.builder()
            .phase(phase)
            .lastError(Optional.of(message))
            .condition(Condition.DEGRADED, ConditionStatus.TRUE, reason, message, d.now())
            .build());
  }

  /** What keeps the service from its desired state, in {@code Degraded}; waits for a change. */
  private static Decision degraded(Draft d, String reason, String message) {
    if (d.have == null) {
      d.note(true, message);
      return d.end(new Outcome.Terminal(message));
    }
    Optional<Condition> c = d.status().condition(Condition.DEGRADED);
    if (c.isEmpty() || !c.get().reason().equals(reason) || !c.get().message().equals(message)) {
      d.note(true, message);
      d.status(
          d.builder()
              .lastError(Optional.of(message))
              .condition(Condition.DEGRADED, ConditionStatus.TRUE, reason, message, d.now())
              .build());
    }
    return d.end(new Outcome.Terminal(message));
  }

  private static ObservedService withStatus(ObservedService o, ServiceStatus st) {
    return new ObservedService(o.metadata(), o.generation(), o.specHash(), o.spec(), st);
  }

  /** The writes of one decision, built up from a situation. */
  private static final class Draft {
    final Situation s;
    final Rules rules;
    ObservedService have;
    Intent intent;
    Ledger ledger;
    private boolean haveChanged;
    private boolean removed;
    private boolean intentChanged;
    private boolean ledgerChanged;
    final List<Lease> leased = new ArrayList<>(0);
    final List<Lease> released = new ArrayList<>(0);
    private final List<EventDraft> events = new ArrayList<>(0);
    private final List<Note> notes = new ArrayList<>(0);

    Draft(Situation s, Rules rules) {
      this.s = s;
      this.rules = rules;
      this.have = s.have().orElse(null);
      this.intent = s.intent();
      this.ledger = s.ledger();
    }

    Instant now() {
      return s.now();
    }

    String key() {
      return "Service/" + s.name();
    }

    ServiceStatus status() {
      return have.status();
    }

    StatusBuilder builder() {
      return new StatusBuilder(have.status());
    }

    Optional<ProcessId> process() {
      return ledger.process();
    }

    void intent(Intent i) {
      if (!i.equals(intent)) {
        intent = i;
        intentChanged = true;
      }
    }

    void ledger(Ledger l) {
      if (!l.equals(ledger)) {
        ledger = l;
        ledgerChanged = true;
      }
    }

    void note(boolean warning, String text) {
      notes.add(new Note(warning, text));
    }

    void event(String type, Map<String, Object> data) {
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("service", s.name());
      d.putAll(data);
      events.add(new EventDraft(type, key(), d));
    }

    /** Replaces the status (a no-op when it is the same). */
    void status(ServiceStatus next) {
      status(next, null, null);
    }

    /** Replaces the status and journals an event of {@code type} (unless null) with it. */
    void status(ServiceStatus next, String type, Map<String, Object> data) {
      if (have == null) {
        return;
      }
      ServiceStatus before = have.status();
      if (next.equals(before) && type == null) {
        return;
      }
      have = withStatus(have, next);
      haveChanged = true;
      if (type != null) {
        event(type, data);
      }
      stateEvent(before, next);
    }

    /** Replaces the whole record, with {@code extra} events before its state change. */
    void record(ObservedService next, List<EventDraft> extra) {
      ServiceStatus before = have.status();
      have = next;
      haveChanged = true;
      events.addAll(extra);
      stateEvent(before, next.status());
    }

    void register(ObservedService o) {
      have = o;
      haveChanged = true;
      events.add(new EventDraft("service_registered", key(), registeredEvent(o)));
    }

    void remove() {
      if (s.have().isPresent() || have != null) {
        removed = true;
        events.add(new EventDraft("service_removed", key(), Map.of("service", s.name())));
      }
      have = null;
      intent = Intent.none(s.name());
      intentChanged = true;
      ledger = Ledger.empty(s.name());
      ledgerChanged = true;
    }

    private void stateEvent(ServiceStatus before, ServiceStatus after) {
      if (before.phase() != after.phase()) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("service", s.name());
        d.put("from", before.phase().wireName());
        d.put("to", after.phase().wireName());
        after.lastError().ifPresent(e -> d.put("message", e));
        events.add(new EventDraft("service_state_changed", key(), d));
      }
    }

    Writes writes() {
      return new Writes(
          haveChanged && !removed ? Optional.of(have) : Optional.empty(),
          removed,
          intentChanged ? Optional.of(intent) : Optional.empty(),
          ledgerChanged ? Optional.of(ledger) : Optional.empty(),
          leased,
          released,
          events,
          notes);
    }

    Decision end(Outcome outcome) {
      return new Decision(writes(), List.of(), Optional.of(outcome), Run.NONE);
    }
  }
}
