package io.svcreg.loop;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import io.svcreg.core.Action;
import io.svcreg.core.ConflictException;
import io.svcreg.core.NotFoundException;
import io.svcreg.core.ObservedNetwork;
import io.svcreg.core.ObservedService;
import io.svcreg.core.ObservedState;
import io.svcreg.core.Plan;
import io.svcreg.core.Planner;
import io.svcreg.core.Reasons;
import io.svcreg.core.ResourceChange;
import io.svcreg.core.SvcregException;
import io.svcreg.deploy.DeployReasons;
import io.svcreg.deploy.Deployer;
import io.svcreg.deploy.HealthResult;
import io.svcreg.deploy.HealthTracker;
import io.svcreg.deploy.InstallOutcome;
import io.svcreg.deploy.Launch;
import io.svcreg.deploy.NodeUnavailable;
import io.svcreg.deploy.Observation;
import io.svcreg.deploy.ProcessRef;
import io.svcreg.deploy.StartOutcome;
import io.svcreg.deploy.StopOutcome;
import io.svcreg.deploy.UninstallOutcome;
import io.svcreg.schema.Condition;
import io.svcreg.schema.ConditionStatus;
import io.svcreg.schema.Endpoint;
import io.svcreg.schema.Health;
import io.svcreg.schema.HealthCheck;
import io.svcreg.schema.HealthState;
import io.svcreg.schema.Ipv4;
import io.svcreg.schema.Json;
import io.svcreg.schema.Kind;
import io.svcreg.schema.Network;
import io.svcreg.schema.NetworkSpec;
import io.svcreg.schema.NetworkStatus;
import io.svcreg.schema.NetworkType;
import io.svcreg.schema.Phase;
import io.svcreg.schema.Problem;
import io.svcreg.schema.Resource;
import io.svcreg.schema.ResourceKey;
import io.svcreg.schema.RunState;
import io.svcreg.schema.Service;
import io.svcreg.schema.ServiceSpec;
import io.svcreg.schema.ServiceStatus;
import io.svcreg.schema.SpecSet;
import io.svcreg.source.Attachment;
import io.svcreg.source.HostTopology;
import io.svcreg.source.SpecUpdate;
import io.svcreg.source.TopologyChange;
import io.svcreg.store.Event;
import io.svcreg.store.InventoryEntry;
import io.svcreg.store.Store;
import io.svcreg.store.Transaction;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * The reconcile loop: takes the desired state from the spec source, keeps the observed state in the
 * {@link Store}, and converges one key at a time through a {@link WorkQueue}. Each reconcile
 * re-observes reality for its service (installed version, process alive), asks the pure {@link
 * Planner} what to do, and executes that service's actions, recording every step in the store
 * before and after the side effect. Waits (dependencies, health after a start) are re-queues, not
 * blocked workers.
 */
public final class Controller implements AutoCloseable {

  private static final Logger LOG = System.getLogger(Controller.class.getName());

  /** Degraded reasons of a node that could not be asked; cleared once it answers again. */
  private static final Set<String> NODE_REASONS =
      Set.of(
          DeployReasons.NODE_UNREACHABLE,
          DeployReasons.HOST_KEY_REFUSED,
          DeployReasons.AUTH_FAILED,
          DeployReasons.CONNECTION_LOST,
          DeployReasons.NODE_TIMEOUT);

  /** Meta key of the last host topology detection (JSON). */
  static final String TOPOLOGY_META = "topology";

  /** Meta key prefix of a service's process: {@code "<pid> <start instant>"}. */
  static final String PROCESS_META = "process/";

  /** Meta key prefix of a service stopped by an operator: held stopped until {@code start}. */
  static final String HOLD_META = "hold/";

  /**
   * Meta key prefix of an operator's commands not yet carried out: space-separated words of {@link
   * #RESET}, {@link #RESTART} and {@link #DEPLOY}.
   */
  static final String COMMAND_META = "command/";

  /**
   * Pending command word: forget the start limit (a {@code start}, like systemd's reset-failed).
   */
  static final String RESET = "reset";

  /** Pending command word: start a new process of the installed version. */
  static final String RESTART = "restart";

  /** Pending command word: re-install the spec's package and restart. */
  static final String DEPLOY = "deploy";

  /** Tunables of the loop. */
  public record Options(
      int workers,
      Duration backoffBase,
      Duration backoffCap,
      Duration resyncInterval,
      Duration healthPoll,
      Duration dependencyPoll,
      int startLimit,
      Duration startLimitWindow) {

    /** 4 workers, backoff 200 ms–5 min, resync 5 min, health poll 250 ms, start limit 5/60 s. */
    public static final Options DEFAULTS =
        new Options(
            4,
            Duration.ofMillis(200),
            Duration.ofMinutes(5),
            Duration.ofMinutes(5),
            Duration.ofMillis(250),
            Duration.ofSeconds(1),
            5,
            Duration.ofSeconds(60));

    /** These options with another resync interval. */
    public Options withResyncInterval(Duration d) {
      return new Options(
          workers,
          backoffBase,
          backoffCap,
          d,
          healthPoll,
          dependencyPoll,
          startLimit,
          startLimitWindow);
    }
  }

  /** Chooses the deployer of a node; empty when the node cannot be reached by this controller. */
  public interface Deployers {
    /** The deployer for {@code node} of {@code network}, a network of this type. */
    Optional<Deployer> forNode(NetworkType type, String network, String node);

    /**
     * The deployer for {@code node} of {@code network}, declared by {@code spec} (with the node's
     * address, SSH settings and install root); by default {@link #forNode(NetworkType, String,
     * String)}.
     */
    default Optional<Deployer> forNode(String network, NetworkSpec spec, String node) {
      return forNode(spec.type(), network, node);
    }
  }

  private final Store store;
  private final Deployers deployers;
  private final InstantSource clock;
  private final Options options;
  private final WorkQueue<ResourceKey> queue;
  private final Object planLock = new Object();
  private final List<Consumer<List<Event>>> listeners = new CopyOnWriteArrayList<>();
  private final Object commandLock = new Object();

  private volatile SpecSet desired = new SpecSet(List.of(), Set.of(), true, List.of(), List.of());
  private volatile Map<ResourceKey, Resource> desiredIndex = Map.of();
  private volatile Optional<String> sourceRevision = Optional.empty();
  private volatile boolean specsLoaded;

  private final Object topologyLock = new Object();
  private Map<String, Attachment> topology;

  private final Map<String, HealthTracker> trackers = new ConcurrentHashMap<>();
  private final Map<String, Instant> nextCheck = new ConcurrentHashMap<>();
  private final Map<String, Crashes> crashes = new ConcurrentHashMap<>();

  /** The recent crashes of a service under one spec (start limit). */
  private record Crashes(String specHash, Deque<Instant> times) {
    Crashes(String specHash) {
      this(specHash, new ArrayDeque<>());
    }
  }

  /** The spec hash of each service's last successful deploy and start by this controller. */
  private final Map<String, String> deployedFor = new ConcurrentHashMap<>();

  private final Map<String, String> startedFor = new ConcurrentHashMap<>();

  /** A controller over {@code store}; call {@link #onSpecs} to give it the desired state. */
  public Controller(Store store, Deployers deployers, InstantSource clock, Options options) {
    this.store = store;
    this.deployers = deployers;
    this.clock = clock;
    this.options = options;
    this.queue =
        new WorkQueue<>(
            "reconcile",
            options.workers(),
            options.backoffBase(),
            options.backoffCap(),
            this::reconcile);
  }

  /** Calls {@code listener} with the events of every commit the loop makes. */
  public void addListener(Consumer<List<Event>> listener) {
    listeners.add(listener);
  }

  /** The desired state of the last reading of the spec directory (empty before the first). */
  public SpecSet desired() {
    return desired;
  }

  /** The work queue (depth and reconcile counts for status and metrics). */
  public WorkQueue<ResourceKey> queue() {
    return queue;
  }

  /** Whether the desired state was read at least once and nothing is queued or running. */
  public boolean converging() {
    return !specsLoaded || !queue.idle();
  }

  /** Takes a new reading of the spec directory and queues the keys it touches. */
  public void onSpecs(SpecUpdate update) {
    SpecSet effective = update.effective();
    Map<ResourceKey, Resource> index = new HashMap<>();
    for (Resource r : effective.resources()) {
      index.put(r.key(), r);
    }
    Optional<String> oldRevision = sourceRevision;
    desired = effective;
    desiredIndex = index;
    sourceRevision = update.sourceRevision();
    boolean first = !specsLoaded;
    specsLoaded = true;

    Transaction tx = new Transaction();
    for (Problem p : update.newProblems()) {
      tx.event(
          "spec_error",
          "",
          Map.of(
              "file", p.file(),
              "line", p.line(),
              "column", p.column(),
              "path", p.path(),
              "message", p.message()));
    }
    if (!update.sourceRevision().equals(oldRevision) && update.sourceRevision().isPresent()) {
      if (!update.sourceRevision().equals(store.meta("sourceRevision"))) {
        tx.putMeta("sourceRevision", update.sourceRevision().get());
      }
    }
    commit(tx);

    checkTopology();
    if (first) {
      resync();
      return;
    }
    Set<ResourceKey> keys = new TreeSet<>(update.changed());
    if (!update.sourceRevision().equals(oldRevision)) {
      for (Resource r : effective.resources()) {
        keys.add(r.key());
      }
    }
    for (ResourceKey k : keys) {
      queue.add(k);
      if (k.kind() == Kind.NETWORK) {
        // services of a changed network may need new addresses or a new node
        for (Service s : effective.services()) {
          if (s.spec().network().equals(k.name())) {
            queue.add(s.key());
          }
        }
      }
    }
  }

  /**
   * Detects which declared networks this host is attached to and records a {@code
   * network_topology_changed} event for each change since the last detection (also across restarts:
   * the last detection is kept in the store).
   */
  public void checkTopology() {
    synchronized (topologyLock) {
      if (topology == null) {
        topology = loadTopology();
      }
      Map<String, Attachment> now = new TreeMap<>(HostTopology.detect(desired.networks()));
      List<TopologyChange> changes = HostTopology.compare(topology, now);
      if (changes.isEmpty()) {
        return;
      }
      Transaction tx = new Transaction();
      for (TopologyChange c : changes) {
        LOG.log(Level.INFO, "Network/" + c.network() + ": " + c.describe());
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("network", c.network());
        d.put("attached", c.attached());
        d.put("change", c.describe());
        c.after().ifPresent(a -> d.put("how", a.how()));
        tx.event("network_topology_changed", ResourceKey.network(c.network()).toString(), d);
      }
      try {
        tx.putMeta(TOPOLOGY_META, Json.mapper().writeValueAsString(now));
      } catch (JsonProcessingException e) {
        throw new SvcregException("cannot record the host topology: " + e.getMessage());
      }
      commit(tx);
      topology = now;
      now.keySet().forEach(n -> queue.add(ResourceKey.network(n)));
    }
  }

  private Map<String, Attachment> loadTopology() {
    Optional<String> saved = store.meta(TOPOLOGY_META);
    if (saved.isEmpty()) {
      return Map.of();
    }
    try {
      return Json.mapper()
          .readValue(saved.get(), new TypeReference<TreeMap<String, Attachment>>() {});
    } catch (JsonProcessingException e) {
      LOG.log(
          Level.WARNING,
          "the recorded host topology cannot be read; detecting anew: " + e.getMessage());
      return Map.of();
    }
  }

  private boolean attached(String network) {
    synchronized (topologyLock) {
      Attachment a = topology == null ? null : topology.get(network);
      return a != null && a.attached();
    }
  }

  /** Queues every key the controller knows of: declared or recorded in the store. */
  public void resync() {
    Set<ResourceKey> keys = new TreeSet<>(desiredIndex.keySet());
    ObservedState o = store.observed();
    o.services().forEach(s -> keys.add(ResourceKey.service(s.metadata().name())));
    o.networks().forEach(n -> keys.add(ResourceKey.network(n.metadata().name())));
    o.leases().forEach(l -> keys.add(ResourceKey.service(l.service())));
    keys.forEach(queue::add);
  }

  // ------------------------------------------------------------------ operator commands

  /**
   * Records an operator's command on a declared service durably (one store commit, forced to disk)
   * with a {@code service_updated} event carrying {@code action}, queues the service, and returns
   * that event's revision; the loop carries the command out (also after a controller restart).
   * {@code stop} holds the service stopped until {@code start}; {@code start} also forgets a start
   * limit; {@code restart} starts a new process of the installed version.
   *
   * @throws NotFoundException when no service of this name is declared or recorded
   * @throws ConflictException when the service is being removed, is on a node this controller
   *     cannot reach, or its spec says {@code state: stopped} ({@code start}, {@code restart}), or
   *     it is held stopped ({@code restart})
   */
  public ActionReceipt serviceAction(String name, ServiceCommand command) {
    Service want = declared(name);
    String key = want.key().toString();
    long revision;
    synchronized (commandLock) {
      boolean held = store.meta(HOLD_META + name).isPresent();
      Set<String> pending = pending(name);
      Transaction tx = new Transaction();
      switch (command) {
        case STOP -> {
          if (!held) {
            tx.putMeta(HOLD_META + name, clock.instant().toString());
          }
          pending.remove(RESTART);
        }
        case START -> {
          requireRunningSpec(want, command);
          if (held) {
            tx.removeMeta(HOLD_META + name);
          }
          pending.add(RESET);
        }
        case RESTART -> {
          requireRunningSpec(want, command);
          if (held) {
            throw new ConflictException(
                key
                    + " is stopped by an operator; start it with the action start instead of"
                    + " restart");
          }
          pending.add(RESET);
          pending.add(RESTART);
        }
      }
      putPending(tx, name, pending);
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("service", name);
      d.put("action", command.wireName());
      d.put("version", want.spec().version());
      tx.event("service_updated", key, d);
      revision = commitRevision(tx);
    }
    LOG.log(Level.INFO, key + ": " + command.wireName() + " requested");
    queue.add(want.key());
    return new ActionReceipt(name, command.wireName(), want.spec().version(), revision);
  }

  /**
   * Records a forced re-deploy of a declared service's package (one store commit, forced to disk)
   * with a {@code deployment_progress} event of phase {@code requested}, queues the service, and
   * returns that event's revision. The loop re-reads the package, installs it again, restarts the
   * service (unless it is to be stopped), checks its health and rolls back on failure, as for a new
   * version.
   *
   * @throws NotFoundException when no service of this name is declared or recorded
   * @throws ConflictException when the service is being removed or on a node this controller cannot
   *     reach
   */
  public ActionReceipt deployPackage(String name) {
    Service want = declared(name);
    String key = want.key().toString();
    long revision;
    synchronized (commandLock) {
      Set<String> pending = pending(name);
      pending.add(RESET);
      pending.add(DEPLOY);
      Transaction tx = new Transaction();
      putPending(tx, name, pending);
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("service", name);
      d.put("phase", "requested");
      d.put("version", want.spec().version());
      tx.event("deployment_progress", key, d);
      revision = commitRevision(tx);
    }
    LOG.log(Level.INFO, key + ": deploy of " + want.spec().version() + " requested");
    queue.add(want.key());
    return new ActionReceipt(name, DEPLOY, want.spec().version(), revision);
  }

  /** The declared service of this name, or why a command on it cannot be taken. */
  private Service declared(String name) {
    ResourceKey key = ResourceKey.service(name == null ? "" : name);
    if (desiredIndex.get(key) instanceof Service s) {
      if (deployer(s.spec().network(), s.spec().node()).isEmpty()) {
        throw new ConflictException(
            key
                + " runs on node "
                + s.spec().node()
                + " of network "
                + s.spec().network()
                + ", which this controller does not reach (only local networks are deployed)");
      }
      return s;
    }
    if (name != null && store.service(name).isPresent()) {
      throw new ConflictException(
          key + " is no longer declared in the spec directory and is being removed");
    }
    throw new NotFoundException(
        "no service named '" + name + "' is declared in the spec directory");
  }

  private static void requireRunningSpec(Service want, ServiceCommand command) {
    if (want.spec().state() == RunState.STOPPED) {
      throw new ConflictException(
          want.key()
              + " cannot "
              + command.wireName()
              + ": its spec says state: stopped ("
              + want.origin().file()
              + "); set state: running there to run it");
    }
  }

  /** The pending command words of a service (a new mutable set). */
  private Set<String> pending(String name) {
    Set<String> out = new TreeSet<>();
    store
        .meta(COMMAND_META + name)
        .ifPresent(
            v -> {
              for (String w : v.trim().split("\\s+")) {
                if (!w.isEmpty()) {
                  out.add(w);
                }
              }
            });
    return out;
  }

  private static void putPending(Transaction tx, String name, Set<String> pending) {
    if (pending.isEmpty()) {
      tx.removeMeta(COMMAND_META + name);
    } else {
      tx.putMeta(COMMAND_META + name, String.join(" ", pending));
    }
  }

  /** Forgets pending command words once carried out (a command recorded meanwhile stays). */
  private void done(String name, Set<String> words) {
    synchronized (commandLock) {
      Set<String> pending = pending(name);
      if (pending.removeAll(words)) {
        Transaction tx = new Transaction();
        putPending(tx, name, pending);
        commit(tx);
      }
    }
  }

  /** Stops the workers; managed services keep running. */
  @Override
  public void close() {
    queue.close();
  }

  // ------------------------------------------------------------------ reconcile

  Outcome reconcile(ResourceKey key) {
    try {
      return switch (key.kind()) {
        case NETWORK -> reconcileNetwork(key.name());
        case SERVICE -> reconcileService(key.name());
      };
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, key + ": reconcile failed: " + e.getMessage(), e);
      return new Outcome.Retry(String.valueOf(e.getMessage()));
    }
  }

  private Outcome reconcileNetwork(String name) {
    ResourceKey key = ResourceKey.network(name);
    Optional<ObservedNetwork> before = store.observed().network(name);
    Resource r = desiredIndex.get(key);
    Transaction tx = new Transaction();
    if (r instanceof Network n) {
      long generation =
          before
              .map(b -> b.specHash().equals(n.specHash()) ? b.generation() : b.generation() + 1)
              .orElse(1L);
      ObservedState o = store.observed();
      int allocated = (int) o.leases().stream().filter(l -> l.network().equals(name)).count();
      long capacity = capacity(n);
      NetworkStatus status =
          new NetworkStatus(generation, allocated, capacity, attached(name), List.of());
      ObservedNetwork next =
          new ObservedNetwork(n.metadata(), generation, n.specHash(), n.spec(), status);
      if (before.isPresent() && before.get().equals(next)) {
        return Outcome.DONE;
      }
      tx.putNetwork(next);
      if (before.isEmpty()) {
        tx.event(
            "reconcile_diff",
            key.toString(),
            Map.of("change", "create", "generation", generation, "fields", List.of()));
      } else if (before.get().generation() != generation
          || !before.get().metadata().equals(n.metadata())) {
        tx.event(
            "reconcile_diff",
            key.toString(),
            Map.of("change", "update", "generation", generation, "fields", List.of()));
      }
      commit(tx);
      return Outcome.DONE;
    }
    if (before.isPresent() && !desired.held().contains(key) && desired.complete()) {
      boolean inUse =
          store.observed().services().stream().anyMatch(s -> s.spec().network().equals(name));
      if (inUse) {
        return new Outcome.RequeueAfter(options.dependencyPoll());
      }
      tx.removeNetwork(name);
      tx.event("reconcile_diff", key.toString(), Map.of("change", "delete", "fields", List.of()));
      commit(tx);
    }
    return Outcome.DONE;
  }

  private static long capacity(Network n) {
    long size = n.spec().subnet().size();
    long unusable = n.spec().subnet().prefix() <= 30 ? 2 : 0;
    return Math.max(0, size - unusable - n.spec().reserved().size() - n.spec().nodes().size());
  }

  private Outcome reconcileService(String name) {
    ResourceKey key = ResourceKey.service(name);
    Resource r = desiredIndex.get(key);
    Service want = r instanceof Service s ? s : null;
    Optional<ObservedService> have = store.service(name);
    boolean held = want != null && store.meta(HOLD_META + name).isPresent();
    Set<String> pending = want != null ? pending(name) : Set.of();

    if (have.isPresent() && want != null) {
      operatorState(name, held, pending.contains(RESET), pending.contains(DEPLOY));
      have = store.service(name);
    }
    if (have.isPresent()) {
      Outcome drift = observeReality(have.get());
      if (drift != null) {
        return drift;
      }
      have = store.service(name);
    }
    if (want != null && have.isPresent() && settled(want, have.get(), held)) {
      if (pending.contains(DEPLOY) || pending.contains(RESTART)) {
        return carryOut(want, have.get(), pending, held);
      }
      Optional<String> revision = sourceRevision;
      if (revision.isPresent() && !revision.equals(have.get().status().sourceRevision())) {
        // unchanged by a new commit of the spec directory: in sync with that commit now
        update(name, st -> status(st).sourceRevision(revision).build(), null);
        have = store.service(name);
      }
      return maintainHealth(want, have.orElseThrow());
    }

    List<Action> actions;
    ResourceChange change;
    synchronized (planLock) {
      Plan plan = Planner.plan(desired, store.observed());
      actions = plan.actions().stream().filter(a -> a.service().equals(name)).toList();
      if (want != null && have.isPresent()) {
        actions = withoutDone(want, have.get(), actions);
      }
      change = plan.changes().stream().filter(c -> c.key().equals(key)).findFirst().orElse(null);
      // the planner reports what blocks a service (e.g. a full subnet) at the service's document
      List<Problem> mine =
          plan.problems().stream()
              .filter(p -> want != null && p.location().equals(want.origin()))
              .toList();
      if (want != null && have.isEmpty()) {
        have = Optional.of(register(want, change));
      }
      if (want != null && actions.isEmpty() && !mine.isEmpty() && change != null) {
        return degraded(want, have, "PlanProblem", mine.getFirst().message());
      }
      // addresses are decided and recorded under the plan lock, so two services never get one
      for (Action a : actions) {
        if (a instanceof Action.AllocateAddress x) {
          allocate(x);
        }
      }
      have = store.service(name);
    }

    if (held) {
      actions = keptStopped(want, have, actions);
    }
    if (want != null && !pending.isEmpty()) {
      // a re-plan that installs or starts anyway carries out a pending deploy or restart
      Set<String> covered = new TreeSet<>();
      if (actions.stream().anyMatch(a -> a instanceof Action.Deploy)) {
        covered.add(DEPLOY);
      }
      if (actions.stream().anyMatch(Controller::startsProcess)
          || (covered.contains(DEPLOY) && (held || want.spec().state() == RunState.STOPPED))) {
        covered.add(RESTART);
      }
      covered.retainAll(pending);
      if (!covered.isEmpty()) {
        done(name, covered);
      }
    }
    if (actions.isEmpty()) {
      if (want == null) {
        // not declared: gone once torn down, but never while the specs cannot all be read (then
        // the planner keeps it as it is, e.g. after a restart with a broken file)
        // (also when it never got recorded: an operator's command on it is forgotten then)
        if (desired.complete() && !desired.held().contains(key)) {
          Outcome left = undeployLeftovers(name);
          if (left != null) {
            return left;
          }
          removed(name);
        }
        return Outcome.DONE;
      }
      return have.map(o -> progress(want, o, change, held)).orElse(Outcome.DONE);
    }

    if (want != null
        && change != null
        && have.isPresent()
        && change.generation() > have.get().generation()) {
      // a new generation gets a fresh start: forget crashes and a rollback of the old one
      crashes.remove(name);
      update(name, s -> status(s).clearCondition(Condition.DEGRADED).build(), null);
    }
    if (want == null) {
      Optional<String> dependent = deletedDependent(name);
      if (dependent.isPresent()) {
        LOG.log(Level.DEBUG, key + ": waiting for " + dependent.get() + " to be removed first");
        return new Outcome.RequeueAfter(options.dependencyPoll());
      }
    }
    String installed = null;
    for (Action a : actions) {
      if (a instanceof Action.Deploy x) {
        installed = x.version();
      }
      String version = installed;
      Outcome failed =
          switch (a) {
            case Action.AllocateAddress x -> null;
            case Action.Deploy x -> deploy(want, x, false);
            case Action.Start x -> start(want, change, x.node(), version);
            case Action.Stop x -> stop(name, x.node());
            case Action.Restart x -> restart(want, change, x, version);
            case Action.Rollback x -> rollback(want, change, x);
            case Action.Undeploy x -> undeploy(name, x);
            case Action.ReleaseAddress x -> release(x);
          };
      if (failed != null) {
        return failed;
      }
    }
    if (want != null && actions.stream().anyMatch(Controller::startsProcess)) {
      // the process runs with this spec now: record it, so that the re-plans while it becomes
      // healthy see no change (and do not restart it again and again)
      store.service(name).ifPresent(o -> applied(want, change, o.status(), true));
    }
    if (want == null) {
      Outcome left = undeployLeftovers(name);
      if (left != null) {
        return left;
      }
      removed(name);
      return Outcome.DONE;
    }
    return store.service(name).map(o -> progress(want, o, change, held)).orElse(Outcome.DONE);
  }

  /**
   * Before a torn-down service is forgotten: removes what the inventory still records of it. The
   * plan undeploys only a deployed version; a service whose deployed version was found missing (and
   * not yet reinstalled, e.g. a controller killed in between) can still have inventory entries, the
   * previous version's and the missing one's, which nothing would remove once it is forgotten.
   */
  private Outcome undeployLeftovers(String name) {
    List<InventoryEntry> left =
        store.inventory().stream().filter(e -> e.service().equals(name)).toList();
    if (left.isEmpty()) {
      return null;
    }
    String network = store.service(name).map(o -> o.spec().network()).orElse("");
    for (String node : left.stream().map(InventoryEntry::node).distinct().toList()) {
      Optional<Deployer> d = deployer(network, node);
      if (d.isEmpty()) {
        LOG.log(
            Level.WARNING,
            "Service/{0}: no deployer for node {1} any more; forgetting its files there: {2}",
            name,
            node,
            left.stream().filter(e -> e.node().equals(node)).map(InventoryEntry::path).toList());
        continue;
      }
      UninstallOutcome out = d.get().uninstall(name);
      if (out instanceof io.svcreg.deploy.Failure f) {
        return new Outcome.Retry(f.message());
      }
    }
    Transaction tx = new Transaction();
    left.forEach(tx::removeInventory);
    commit(tx);
    return null;
  }

  /**
   * Mirrors an operator's stop into the {@code Held} condition, carries out a pending {@code
   * start}'s reset of the start limit (the crashes counted and the condition of giving up), and
   * lets a pending {@code deploy_package} roll out again a version that was rolled back.
   */
  private void operatorState(String name, boolean held, boolean reset, boolean redeploy) {
    if (reset) {
      crashes.remove(name);
    }
    Instant now = clock.instant();
    update(
        name,
        s -> {
          StatusBuilder b = status(s);
          if (held) {
            b.condition(
                Condition.HELD,
                ConditionStatus.TRUE,
                Reasons.STOPPED_BY_OPERATOR,
                "stopped by an operator; the action start runs it again",
                now);
          } else {
            b.clearCondition(Condition.HELD);
          }
          for (String type : List.of(Condition.DEGRADED, Condition.PROGRESSING)) {
            s.condition(type)
                .filter(
                    c ->
                        (reset && Reasons.START_LIMIT_REACHED.equals(c.reason()))
                            || (redeploy && Reasons.ROLLED_BACK.equals(c.reason())))
                .ifPresent(c -> b.clearCondition(type));
          }
          return b.build();
        },
        null);
    if (reset) {
      done(name, Set.of(RESET));
    }
  }

  /**
   * The actions of a service held stopped by an operator: nothing that starts a process, and a stop
   * first (before an install, which then records the new version) when its process may run.
   */
  private static List<Action> keptStopped(
      Service want, Optional<ObservedService> have, List<Action> actions) {
    List<Action> out = new ArrayList<>();
    boolean up = have.map(o -> isUp(o.status())).orElse(false);
    if (up && actions.stream().noneMatch(a -> a instanceof Action.Stop)) {
      String node = have.get().status().node().orElse(want.spec().node());
      out.add(new Action.Stop(want.name(), node));
    }
    for (Action a : actions) {
      if (!startsProcess(a)) {
        out.add(a);
      }
    }
    return out;
  }

  /**
   * Carries out an operator's pending {@code deploy_package} or {@code restart} on a settled
   * service: re-install the spec's package (even when that version is installed), then stop and
   * start it, unless it is to be stopped; health and rollback follow as after a new version.
   */
  private Outcome carryOut(Service want, ObservedService o, Set<String> pending, boolean held) {
    String name = want.name();
    String node = o.status().node().orElse(want.spec().node());
    boolean run = !held && want.spec().state() == RunState.RUNNING;
    String version = want.spec().version();
    Outcome out = null;
    if (pending.contains(DEPLOY)) {
      out = deploy(want, new Action.Deploy(name, node, version, want.spec().packageRef()), true);
    }
    if (out == null && run) {
      LOG.log(Level.INFO, want.key() + ": restarting on an operator's request");
      out =
          restart(
              want,
              null,
              new Action.Restart(
                  name, node, pending.contains(DEPLOY) ? "package re-deployed" : "restart"),
              pending.contains(DEPLOY) ? version : null);
      if (out == null) {
        store.service(name).ifPresent(s -> applied(want, null, s.status(), true));
      }
    }
    // carried out (or tried: a failure is recorded, and the loop goes on as usual from there)
    done(name, Set.of(DEPLOY, RESTART));
    if (out != null && !(out instanceof Outcome.Terminal)) {
      return out;
    }
    return store.service(name).map(s -> progress(want, s, null, held)).orElse(Outcome.DONE);
  }

  private static boolean startsProcess(Action a) {
    return a instanceof Action.Start || a instanceof Action.Restart || a instanceof Action.Rollback;
  }

  /** Removes a torn-down service from the store ({@code service_removed}). */
  private void removed(String name) {
    synchronized (commandLock) {
      // with the operator's commands on it, which would otherwise apply to a new service of the
      // name
      Transaction tx = new Transaction();
      if (store.meta(HOLD_META + name).isPresent() || store.meta(COMMAND_META + name).isPresent()) {
        tx.removeMeta(HOLD_META + name).removeMeta(COMMAND_META + name);
      }
      if (store.service(name).isPresent()) {
        tx.removeService(name).removeMeta(PROCESS_META + name);
        tx.event("service_removed", ResourceKey.service(name).toString(), Map.of("service", name));
      }
      commit(tx);
    }
    forget(name);
  }

  /**
   * A service that depends on {@code name} and is being removed too (recorded, no longer declared
   * nor held): removals go dependents first, so {@code name} waits until it is gone.
   */
  private Optional<String> deletedDependent(String name) {
    for (ObservedService o : store.observed().services()) {
      String other = o.metadata().name();
      ResourceKey k = ResourceKey.service(other);
      if (!other.equals(name)
          && o.spec().dependsOn().contains(name)
          && !desiredIndex.containsKey(k)
          && !desired.held().contains(k)) {
        return Optional.of(other);
      }
    }
    return Optional.empty();
  }

  /** Whether nothing is to be done for this service but watching its health. */
  private static boolean settled(Service want, ObservedService o, boolean held) {
    ServiceStatus st = o.status();
    ServiceSpec d = want.spec();
    return o.specHash().equals(want.specHash())
        && o.metadata().equals(want.metadata())
        && st.observedGeneration() == o.generation()
        && st.deployedVersion().equals(Optional.of(d.version()))
        && st.address().isPresent()
        && (d.state() == RunState.RUNNING && !held
            ? st.phase() == Phase.RUNNING
            : st.phase() == Phase.STOPPED);
  }

  private void forget(String name) {
    trackers.remove(name);
    nextCheck.remove(name);
    crashes.remove(name);
    deployedFor.remove(name);
    startedFor.remove(name);
  }

  /**
   * Drops the actions of a spec change that this controller already carried out for this very spec.
   * The stored spec is replaced only when the service reaches its desired state, so until then the
   * planner proposes the change's deploy and restart again on every reconcile: without this, a
   * service waiting for its dependencies was re-installed every poll, and a new process still
   * starting (not yet healthy) was restarted again and again, never becoming healthy.
   */
  private List<Action> withoutDone(Service want, ObservedService o, List<Action> actions) {
    String name = want.name();
    String hash = want.specHash();
    ServiceStatus st = o.status();
    return actions.stream()
        .filter(
            a ->
                switch (a) {
                  case Action.Deploy x ->
                      !(hash.equals(deployedFor.get(name))
                          && st.deployedVersion().equals(Optional.of(x.version())));
                  case Action.Restart x ->
                      !(hash.equals(startedFor.get(name))
                          && st.phase() == Phase.STARTING
                          && st.pid().isPresent());
                  default -> true;
                })
        .toList();
  }

  // ------------------------------------------------------------------ reality

  /**
   * Compares the recorded status with the node: a deleted install directory, or a process that
   * died. Records what it finds; returns an outcome only when the reconcile should stop here.
   */
  private Outcome observeReality(ObservedService o) {
    ServiceStatus st = o.status();
    Optional<String> version = st.deployedVersion();
    if (version.isEmpty()) {
      return null;
    }
    String name = o.metadata().name();
    String node = st.node().orElse(o.spec().node());
    Optional<Deployer> d = deployer(o.spec().network(), node);
    if (d.isEmpty()) {
      return null;
    }
    Optional<ProcessRef> ref = processRef(name, st);
    Observation seen;
    try {
      seen = d.get().observe(name, version.get(), ref);
    } catch (NodeUnavailable e) {
      return nodeUnavailable(name, e.reason(), e.getMessage());
    }
    if (st.condition(Condition.DEGRADED)
        .filter(c -> NODE_REASONS.contains(c.reason()))
        .isPresent()) {
      update(name, s -> status(s).clearCondition(Condition.DEGRADED).build(), null);
    }
    boolean expectsProcess =
        st.phase() == Phase.RUNNING || st.phase() == Phase.STARTING || st.phase() == Phase.STOPPING;
    if (!seen.installed()) {
      if (seen.running() && ref.isPresent()) {
        d.get().stop(launchOf(o, version.get()), ref.get());
      }
      LOG.log(
          Level.WARNING,
          "Service/"
              + name
              + ": version "
              + version.get()
              + " is no longer installed; reinstalling");
      update(
          name,
          s ->
              status(s)
                  .deployedVersion(Optional.empty())
                  .pid(Optional.empty())
                  .phase(Phase.STOPPED)
                  .lastError(Optional.of("install directory of " + version.get() + " disappeared"))
                  .build(),
          Map.of("reason", "InstallMissing"));
      return null;
    }
    boolean unfinished =
        st.phase() == Phase.DEPLOYING || (st.phase() == Phase.STOPPING && seen.running());
    if (unfinished) {
      // a step that was recorded but never finished (the controller was killed, or the reconcile
      // failed in the middle): no reconcile of this key runs now, so record what is true instead;
      // left as it is, the planner sees a service that is up with nothing to do, and it stays so
      Phase now = seen.running() ? Phase.RUNNING : Phase.STOPPED;
      LOG.log(
          Level.WARNING,
          "Service/"
              + name
              + ": "
              + (st.phase() == Phase.DEPLOYING ? "an install" : "a stop")
              + " was interrupted; the service is "
              + now.wireName());
      update(name, s -> status(s).phase(now).build(), null);
      return null;
    }
    if (expectsProcess && !seen.running()) {
      return processGone(o, ref, Health.UNKNOWN, "the process exited", false);
    }
    return null;
  }

  /**
   * Nothing is known about the node of {@code name}: keeps the recorded state, says why in {@code
   * Degraded} (once per reason), and retries with backoff.
   */
  private Outcome nodeUnavailable(String name, String reason, String message) {
    Optional<Condition> c =
        store.service(name).flatMap(o -> o.status().condition(Condition.DEGRADED));
    if (c.isEmpty() || !c.get().reason().equals(reason)) {
      LOG.log(Level.WARNING, "Service/" + name + ": " + message);
      update(
          name,
          s ->
              status(s)
                  .condition(
                      Condition.DEGRADED, ConditionStatus.TRUE, reason, message, clock.instant())
                  .build(),
          null);
    }
    return new Outcome.Retry(message);
  }

  /**
   * Records that the process of {@code o} died (a crash): phase {@code failed}, restarted by the
   * next plan unless that reaches the start limit (then {@code Terminal}); {@code health} and
   * {@code message} say how it was found, in a {@code health_check_result} event too when {@code
   * byHealthCheck}.
   */
  private Outcome processGone(
      ObservedService o,
      Optional<ProcessRef> ref,
      Health health,
      String message,
      boolean byHealthCheck) {
    String name = o.metadata().name();
    Instant now = clock.instant();
    boolean limit = crashed(name, o.specHash(), now);
    LOG.log(
        Level.WARNING,
        "Service/"
            + name
            + ": process "
            + ref.map(ProcessRef::pid).orElse(0L)
            + " is gone"
            + (limit ? "; start limit reached, giving up until the spec changes" : "; restarting"));
    update(
        name,
        s -> {
          StatusBuilder b =
              status(s)
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
                startLimitMessage("exited"),
                now);
          }
          return b.build();
        },
        byHealthCheck
            ? Map.of(
                "state",
                health.state().wireName(),
                "output",
                health.output(),
                "reason",
                DeployReasons.PROCESS_EXITED)
            : Map.of("reason", limit ? Reasons.START_LIMIT_REACHED : "ProcessExited"),
        byHealthCheck ? "health_check_result" : null);
    return limit ? new Outcome.Terminal("start limit reached") : null;
  }

  /**
   * Counts a crash of {@code name} (its process died, or a start failed); whether that reaches the
   * start limit ({@code startLimit} crashes within {@code startLimitWindow}).
   */
  private boolean crashed(String name, String specHash, Instant now) {
    // a new spec starts with a clean record
    Crashes c =
        crashes.compute(
            name, (k, v) -> v != null && v.specHash().equals(specHash) ? v : new Crashes(specHash));
    Deque<Instant> recent = c.times();
    synchronized (recent) {
      recent.addLast(now);
      while (!recent.isEmpty()
          && recent.getFirst().isBefore(now.minus(options.startLimitWindow()))) {
        recent.removeFirst();
      }
      return recent.size() >= options.startLimit();
    }
  }

  private String startLimitMessage(String what) {
    return "the process "
        + what
        + " "
        + options.startLimit()
        + " times within "
        + options.startLimitWindow().toSeconds()
        + "s; change the spec to try again";
  }

  // ------------------------------------------------------------------ actions

  private ObservedService register(Service want, ResourceChange change) {
    long generation = change != null ? change.generation() : 1;
    ServiceStatus st = ServiceStatus.registered();
    st = status(st).node(Optional.of(want.spec().node())).sourceRevision(sourceRevision).build();
    ObservedService o =
        new ObservedService(want.metadata(), generation, want.specHash(), want.spec(), st);
    Transaction tx = new Transaction().putService(o);
    tx.event(
        "service_registered",
        want.key().toString(),
        Map.of("service", want.name(), "version", want.spec().version(), "generation", generation));
    commit(tx);
    return o;
  }

  private void allocate(Action.AllocateAddress x) {
    ObservedService o = store.service(x.service()).orElseThrow();
    ServiceStatus st = status(o.status()).address(Optional.of(x.address())).build();
    Transaction tx =
        new Transaction()
            .addLease(new io.svcreg.core.Lease(x.network(), x.address(), x.service()))
            .putService(withStatus(o, st));
    tx.event(
        "endpoint_updated",
        ResourceKey.service(x.service()).toString(),
        Map.of("service", x.service(), "network", x.network(), "address", x.address().toString()));
    commit(tx);
    queue.add(ResourceKey.network(x.network()));
  }

  /**
   * Installs {@code x.version()}; {@code forced} (an operator's {@code deploy_package}) leaves the
   * phase as it was when the install fails, since the running process is untouched.
   */
  private Outcome deploy(Service want, Action.Deploy x, boolean forced) {
    String name = want.name();
    Optional<Deployer> d = deployer(want.spec().network(), x.node());
    if (d.isEmpty()) {
      return degraded(
          want,
          store.service(name),
          "NodeUnreachable",
          "node "
              + x.node()
              + " of network "
              + want.spec().network()
              + " is not declared in the network, or this controller has no deployer for it");
    }
    Path source = packagePath(want);
    Phase before = store.service(name).orElseThrow().status().phase();
    boolean up = isUp(store.service(name).orElseThrow().status());
    update(
        name,
        s ->
            status(s)
                .phase(up ? s.phase() : Phase.DEPLOYING)
                .node(Optional.of(x.node()))
                .condition(
                    Condition.PROGRESSING,
                    ConditionStatus.TRUE,
                    "Deploying",
                    "installing " + x.version(),
                    clock.instant())
                .build(),
        Map.of("phase", "install", "version", x.version()),
        "deployment_progress");
    InstallOutcome out =
        d.get().install(name, x.version(), source, progress(want, x.node(), x.version()));
    return switch (out) {
      case InstallOutcome.Installed ok -> {
        ObservedService o = store.service(name).orElseThrow();
        Optional<String> prev = o.status().deployedVersion().filter(v -> !v.equals(x.version()));
        Transaction tx = new Transaction();
        for (InventoryEntry e : store.inventory()) {
          if (e.service().equals(name) && ok.removed().contains(e.version())) {
            tx.removeInventory(e);
          }
        }
        boolean known =
            store.inventory().stream()
                .anyMatch(e -> e.service().equals(name) && e.path().equals(ok.home()));
        if (!known) {
          tx.putInventory(
              new InventoryEntry(name, x.node(), x.version(), ok.home(), clock.instant()));
        }
        // a running service keeps its version until it is restarted with the new one
        ServiceStatus st =
            up
                ? status(o.status()).lastError(Optional.empty()).build()
                : status(o.status())
                    .deployedVersion(Optional.of(x.version()))
                    .previousVersion(prev.isPresent() ? prev : o.status().previousVersion())
                    .phase(Phase.STOPPED)
                    .lastError(Optional.empty())
                    .build();
        tx.putService(withStatus(o, st));
        tx.event(
            "deployment_progress",
            want.key().toString(),
            Map.of(
                "service", name, "phase", "installed", "version", x.version(), "home", ok.home()));
        stateEvent(tx, o, st);
        commit(tx);
        deployedFor.put(name, want.specHash());
        yield null;
      }
      case InstallOutcome.Failed f when forced -> {
        LOG.log(Level.WARNING, want.key() + ": " + f.message());
        Instant now = clock.instant();
        update(
            name,
            s ->
                status(s)
                    .phase(before)
                    .lastError(Optional.of(f.message()))
                    .condition(
                        Condition.PROGRESSING, ConditionStatus.FALSE, f.reason(), f.message(), now)
                    .condition(
                        Condition.DEGRADED, ConditionStatus.TRUE, f.reason(), f.message(), now)
                    .build(),
            Map.of("phase", "failed", "version", x.version(), "message", f.message()),
            "deployment_progress");
        yield new Outcome.Terminal(f.message());
      }
      case InstallOutcome.Failed f -> {
        fail(name, f.reason(), f.message());
        yield new Outcome.Retry(f.message());
      }
    };
  }

  /**
   * Turns a deployer's install phases (connect, upload with bytes and percent, verify, install)
   * into {@code deployment_progress} events of the service.
   */
  private io.svcreg.deploy.Progress progress(Service want, String node, String version) {
    String key = want.key().toString();
    return (phase, details) -> {
      if (phase.equals("install")) {
        return; // the install phase's own event was written before the install began
      }
      Map<String, Object> data = new LinkedHashMap<>();
      data.put("service", want.name());
      data.put("phase", phase);
      data.put("version", version);
      data.put("node", node);
      data.putAll(details);
      commit(new Transaction().event("deployment_progress", key, data));
    };
  }

  /** Whether the service's process may be running (it has a version and a live phase). */
  private static boolean isUp(ServiceStatus st) {
    return st.deployedVersion().isPresent()
        && switch (st.phase()) {
          case RUNNING, STARTING, STOPPING -> true;
          case REGISTERED, DEPLOYING, STOPPED, FAILED, REMOVING -> false;
        };
  }

  /**
   * Starts the service: {@code version} when this reconcile just installed it, else the deployed
   * one. Waits (re-queues) until every dependency runs and is healthy.
   */
  private Outcome start(Service want, ResourceChange change, String node, String installedNow) {
    String name = want.name();
    for (String dep : want.spec().dependsOn()) {
      Optional<ObservedService> o = store.service(dep);
      boolean ready =
          o.isPresent()
              && o.get().status().phase() == Phase.RUNNING
              && o.get().status().health().state() != HealthState.FAILING;
      if (!ready) {
        update(
            name,
            s ->
                status(s)
                    .condition(
                        Condition.PROGRESSING,
                        ConditionStatus.TRUE,
                        "WaitingForDependencies",
                        "waiting for " + dep + " to run and be healthy",
                        clock.instant())
                    .build(),
            null);
        return new Outcome.RequeueAfter(options.dependencyPoll());
      }
    }
    Deployer d = deployer(want.spec().network(), node).orElseThrow();
    ObservedService o = store.service(name).orElseThrow();
    String version =
        installedNow != null
            ? installedNow
            : o.status().deployedVersion().orElse(want.spec().version());
    Optional<String> wasDeployed = o.status().deployedVersion();
    Optional<Ipv4> ip = o.status().address();
    if (ip.isEmpty()) {
      return new Outcome.Retry("no address leased yet");
    }
    Launch launch = Launch.of(want, ip.get(), dependencyAddresses(want.spec()));
    launch =
        new Launch(
            name,
            version,
            launch.ip(),
            launch.endpoints(),
            launch.dependencyAddresses(),
            launch.env());
    Instant now = clock.instant();
    update(
        name,
        s ->
            status(s)
                .phase(Phase.STARTING)
                .condition(
                    Condition.PROGRESSING,
                    ConditionStatus.TRUE,
                    "Starting",
                    "starting " + version,
                    now)
                .build(),
        Map.of("phase", "start", "version", version),
        "deployment_progress");
    StartOutcome out = d.start(launch);
    switch (out) {
      case StartOutcome.Started ok -> {
        List<String> endpoints =
            want.spec().endpoints().stream().map(e -> ip.get() + ":" + e.port()).toList();
        trackers.remove(name);
        nextCheck.remove(name);
        ObservedService started = store.service(name).orElseThrow();
        ServiceStatus st =
            status(started.status())
                .deployedVersion(Optional.of(version))
                .previousVersion(
                    wasDeployed.isPresent() && !wasDeployed.get().equals(version)
                        ? wasDeployed
                        : started.status().previousVersion())
                .pid(Optional.of(ok.process().pid()))
                .endpoints(endpoints)
                .lastError(Optional.empty())
                .build();
        Transaction tx =
            new Transaction()
                .putService(withStatus(started, st))
                .putMeta(PROCESS_META + name, ok.process().pid() + " " + ok.process().startTime());
        tx.event(
            "endpoint_updated",
            want.key().toString(),
            Map.of("service", name, "endpoints", endpoints));
        commit(tx);
        startedFor.put(name, want.specHash());
        return null;
      }
      case StartOutcome.Failed f -> {
        String message = f.message() + (f.logTail().isEmpty() ? "" : ": " + f.logTail());
        if (crashed(name, want.specHash(), clock.instant())) {
          // like a process that keeps dying: give up on this spec until it changes
          Instant at = clock.instant();
          applied(
              want,
              change,
              status(store.service(name).orElseThrow().status())
                  .phase(Phase.FAILED)
                  .lastError(Optional.of(message))
                  .condition(
                      Condition.DEGRADED,
                      ConditionStatus.TRUE,
                      Reasons.START_LIMIT_REACHED,
                      startLimitMessage("failed to start") + ": " + message,
                      at)
                  .build(),
              false);
          LOG.log(Level.WARNING, "Service/" + name + ": start limit reached: " + message);
          return new Outcome.Terminal("start limit reached");
        }
        fail(name, f.reason(), message);
        return new Outcome.Retry(f.message());
      }
    }
  }

  private Outcome stop(String name, String node) {
    ObservedService o = store.service(name).orElseThrow();
    Optional<ProcessRef> ref = processRef(name, o.status());
    Optional<Deployer> d = deployer(o.spec().network(), node);
    if (ref.isEmpty() || d.isEmpty()) {
      update(name, s -> status(s).phase(Phase.STOPPED).pid(Optional.empty()).build(), null);
      return null;
    }
    update(name, s -> status(s).phase(Phase.STOPPING).build(), null);
    String version = o.status().deployedVersion().orElse(o.spec().version());
    StopOutcome out = d.get().stop(launchOf(o, version), ref.get());
    return switch (out) {
      case StopOutcome.Stopped ok -> {
        update(
            name,
            s ->
                status(s)
                    .phase(Phase.STOPPED)
                    .pid(Optional.empty())
                    .health(Health.UNKNOWN)
                    .condition(
                        Condition.READY,
                        ConditionStatus.FALSE,
                        "Stopped",
                        "stopped (" + ok.step() + ")",
                        clock.instant())
                    .build(),
            null);
        trackers.remove(name);
        yield null;
      }
      case StopOutcome.Failed f -> {
        fail(name, f.reason(), f.message());
        yield new Outcome.Retry(f.message());
      }
    };
  }

  private Outcome restart(
      Service want, ResourceChange change, Action.Restart x, String installedNow) {
    LOG.log(Level.INFO, "Service/" + want.name() + ": restarting: " + x.reason());
    Outcome stopped = stop(want.name(), x.node());
    return stopped != null ? stopped : start(want, change, x.node(), installedNow);
  }

  private Outcome rollback(Service want, ResourceChange change, Action.Rollback x) {
    String name = want.name();
    LOG.log(
        Level.WARNING,
        "Service/" + name + ": rolling back " + x.fromVersion() + " → " + x.toVersion());
    Outcome stopped = stop(name, x.node());
    if (stopped != null) {
      return stopped;
    }
    Instant now = clock.instant();
    update(
        name,
        s ->
            status(s)
                .deployedVersion(Optional.of(x.toVersion()))
                .previousVersion(Optional.of(x.fromVersion()))
                .condition(
                    Condition.DEGRADED,
                    ConditionStatus.TRUE,
                    Reasons.ROLLED_BACK,
                    "version "
                        + x.fromVersion()
                        + " did not become healthy within "
                        + want.spec().rollout().progressDeadline()
                        + "; rolled back to "
                        + x.toVersion(),
                    now)
                .build(),
        Map.of("phase", "rollback", "from", x.fromVersion(), "to", x.toVersion()),
        "deployment_progress");
    return start(want, change, x.node(), x.toVersion());
  }

  private Outcome undeploy(String name, Action.Undeploy x) {
    ObservedService o = store.service(name).orElse(null);
    String network = o != null ? o.spec().network() : "";
    Optional<Deployer> d = deployer(network, x.node());
    if (d.isPresent()) {
      UninstallOutcome out = d.get().uninstall(name);
      if (out instanceof io.svcreg.deploy.Failure f) {
        return new Outcome.Retry(f.message());
      }
    }
    Transaction tx = new Transaction();
    for (InventoryEntry e : store.inventory()) {
      if (e.service().equals(name)) {
        tx.removeInventory(e);
      }
    }
    if (o != null) {
      ServiceStatus st =
          status(o.status()).deployedVersion(Optional.empty()).phase(Phase.REMOVING).build();
      tx.putService(withStatus(o, st));
      stateEvent(tx, o, st);
    }
    commit(tx);
    return null;
  }

  private Outcome release(Action.ReleaseAddress x) {
    Transaction tx =
        new Transaction()
            .removeLease(new io.svcreg.core.Lease(x.network(), x.address(), x.service()));
    store
        .service(x.service())
        .ifPresent(
            o ->
                tx.putService(
                    withStatus(
                        o,
                        status(o.status())
                            .address(Optional.empty())
                            .endpoints(List.of())
                            .build())));
    tx.event(
        "endpoint_updated",
        ResourceKey.service(x.service()).toString(),
        Map.of("service", x.service(), "released", x.address().toString()));
    commit(tx);
    queue.add(ResourceKey.network(x.network()));
    // a service of this network that waits for an address (full subnet) may get this one now
    for (Service s : desired.services()) {
      if (s.spec().network().equals(x.network())
          && !s.name().equals(x.service())
          && store.service(s.name()).map(o -> o.status().address().isEmpty()).orElse(false)) {
        queue.add(s.key());
      }
    }
    return null;
  }

  // ------------------------------------------------------------------ progress and health

  /**
   * After the actions (or with none): waits for a started service to become healthy within its
   * progress deadline, records the spec as applied when the service reached its desired state, and
   * watches the health of running services.
   */
  private Outcome progress(Service want, ObservedService o, ResourceChange change, boolean held) {
    String name = want.name();
    ServiceStatus st = o.status();
    if (st.phase() == Phase.STARTING) {
      HealthResult result = runHealth(want, o);
      Instant now = clock.instant();
      if (processExited(result)) {
        return healthFoundCrash(o, (HealthResult.Failing) result, now);
      }
      if (nodeFailed(result)) {
        // the node did not answer: no verdict on the service's health
        return nodeUnavailable(name, ((HealthResult.Failing) result).reason(), failureOf(result));
      }
      if (result == null || result instanceof HealthResult.Passing) {
        // running the previous version after a rollback (not the spec's version)
        boolean rolledBack =
            st.condition(Condition.DEGRADED)
                    .map(c -> Reasons.ROLLED_BACK.equals(c.reason()))
                    .orElse(false)
                && !st.deployedVersion().equals(Optional.of(want.spec().version()));
        StatusBuilder running = status(st);
        if (!rolledBack) {
          // the spec's version runs healthy: whatever degraded it before is over
          running.clearCondition(Condition.DEGRADED);
        }
        applied(
            want,
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
        nextCheck.put(name, now.plus(interval(want)));
        enqueueDependents(name);
        return new Outcome.RequeueAfter(interval(want));
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
            status(st)
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
        applied(want, change, b.build(), false);
        LOG.log(Level.WARNING, "Service/" + name + ": " + msg);
        return canRollBack ? new Outcome.RequeueAfter(Duration.ZERO) : new Outcome.Terminal(msg);
      }
      return new Outcome.RequeueAfter(options.healthPoll());
    }
    boolean reached =
        want.spec().state() == RunState.RUNNING && !held
            ? st.phase() == Phase.RUNNING
            : st.phase() == Phase.STOPPED;
    if (reached || st.phase() == Phase.FAILED) {
      boolean specDiffers =
          !o.specHash().equals(want.specHash())
              || !o.metadata().equals(want.metadata())
              || st.observedGeneration() != o.generation();
      if (specDiffers) {
        applied(want, change, st, true);
      }
    }
    if (st.phase() == Phase.RUNNING) {
      return maintainHealth(want, store.service(name).orElse(o));
    }
    return Outcome.DONE;
  }

  /** Runs the periodic health check of a running service when due; records only transitions. */
  private Outcome maintainHealth(Service want, ObservedService o) {
    String name = want.name();
    if (o.status().phase() != Phase.RUNNING || want.spec().health().isEmpty()) {
      return Outcome.DONE;
    }
    Instant now = clock.instant();
    Instant due = nextCheck.get(name);
    if (due != null && now.isBefore(due)) {
      return new Outcome.RequeueAfter(Duration.between(now, due));
    }
    HealthResult result = runHealth(want, o);
    if (processExited(result)) {
      return healthFoundCrash(o, (HealthResult.Failing) result, now);
    }
    if (nodeFailed(result)) {
      // the node did not answer: no verdict on the service's health (not counted as a failure)
      return nodeUnavailable(name, ((HealthResult.Failing) result).reason(), failureOf(result));
    }
    nextCheck.put(name, now.plus(interval(want)));
    HealthCheck hc = want.spec().health().get();
    HealthTracker t =
        trackers
            .computeIfAbsent(
                name, k -> new HealthTracker(hc.failureThreshold(), HealthState.PASSING, 0))
            .record(result);
    trackers.put(name, t);
    HealthState was = o.status().health().state();
    if (t.state() != was && t.state() != HealthState.UNKNOWN) {
      boolean ok = t.state() == HealthState.PASSING;
      ServiceStatus st =
          status(o.status())
              .health(health(result, now))
              .condition(
                  Condition.READY,
                  ok ? ConditionStatus.TRUE : ConditionStatus.FALSE,
                  ok ? "Healthy" : "HealthCheckFailing",
                  ok ? "running and healthy" : "health check failing: " + result.output().strip(),
                  now)
              .build();
      Transaction tx = new Transaction().putService(withStatus(o, st));
      tx.event(
          "health_check_result",
          want.key().toString(),
          Map.of("service", name, "state", t.state().wireName(), "output", result.output()));
      commit(tx);
      if (ok) {
        enqueueDependents(name);
      }
    }
    return new Outcome.RequeueAfter(interval(want));
  }

  private HealthResult runHealth(Service want, ObservedService o) {
    if (want.spec().health().isEmpty()) {
      return null;
    }
    HealthCheck hc = want.spec().health().get();
    Deployer d = deployer(want.spec().network(), want.spec().node()).orElseThrow();
    String version = o.status().deployedVersion().orElse(want.spec().version());
    return d.checkHealth(
        launchOf(o, version),
        processRef(want.name(), o.status()),
        hc.script(),
        hc.timeout().toDuration());
  }

  private static boolean nodeFailed(HealthResult result) {
    return result instanceof HealthResult.Failing f && NODE_REASONS.contains(f.reason());
  }

  private static String failureOf(HealthResult result) {
    return result instanceof HealthResult.Failing f ? f.message() : "";
  }

  private static boolean processExited(HealthResult result) {
    return result instanceof HealthResult.Failing f
        && f.reason().equals(DeployReasons.PROCESS_EXITED);
  }

  /**
   * A health check found the process gone (whatever the script said): a crash, recorded with the
   * health {@code failing} and the check's message; the next reconcile restarts it (start limit).
   */
  private Outcome healthFoundCrash(ObservedService o, HealthResult.Failing f, Instant now) {
    String name = o.metadata().name();
    trackers.remove(name);
    nextCheck.remove(name);
    LOG.log(Level.WARNING, "Service/" + name + ": " + f.message());
    String out = f.output().isBlank() ? f.message() : f.message() + "\n" + f.output();
    Outcome gone =
        processGone(
            o,
            processRef(name, o.status()),
            new Health(HealthState.FAILING, Optional.of(now), out),
            f.message(),
            true);
    return gone != null ? gone : new Outcome.RequeueAfter(Duration.ZERO);
  }

  private static Duration interval(Service want) {
    return want.spec().health().map(h -> h.interval().toDuration()).orElse(Duration.ofSeconds(30));
  }

  private static Health health(HealthResult result, Instant now) {
    if (result == null) {
      return new Health(HealthState.UNKNOWN, Optional.of(now), "no health check");
    }
    return new Health(result.state(), Optional.of(now), result.output());
  }

  private void enqueueDependents(String name) {
    for (Service s : desired.services()) {
      if (s.spec().dependsOn().contains(name)) {
        queue.add(s.key());
      }
    }
  }

  /** Records the desired spec as applied, with its generation and the given status. */
  private void applied(Service want, ResourceChange change, ServiceStatus st, boolean quietIfSame) {
    ObservedService o = store.service(want.name()).orElseThrow();
    long generation =
        o.specHash().equals(want.specHash())
            ? o.generation()
            : Math.max(o.generation() + 1, change != null ? change.generation() : 0);
    ServiceStatus next =
        status(st).observedGeneration(generation).sourceRevision(sourceRevision).build();
    ObservedService updated =
        new ObservedService(want.metadata(), generation, want.specHash(), want.spec(), next);
    if (quietIfSame && updated.equals(o)) {
      return;
    }
    Transaction tx = new Transaction().putService(updated);
    if (!o.specHash().equals(want.specHash()) || !o.metadata().equals(want.metadata())) {
      List<Map<String, String>> fields = new ArrayList<>();
      if (change != null) {
        change
            .fields()
            .forEach(
                f -> {
                  Map<String, String> m = new LinkedHashMap<>();
                  m.put("field", f.path());
                  m.put("old", f.oldValue().orElse(""));
                  m.put("new", f.newValue().orElse(""));
                  fields.add(m);
                });
      }
      tx.event(
          "service_updated",
          want.key().toString(),
          Map.of(
              "service", want.name(), "generation", generation, "version", want.spec().version()));
      tx.event(
          "reconcile_diff",
          want.key().toString(),
          Map.of("change", "update", "generation", generation, "fields", fields));
    }
    stateEvent(tx, o, next);
    commit(tx);
  }

  private Outcome degraded(
      Service want, Optional<ObservedService> have, String reason, String message) {
    if (have.isEmpty()) {
      LOG.log(Level.WARNING, want.key() + ": " + message);
      return new Outcome.Terminal(message);
    }
    Optional<Condition> c = have.get().status().condition(Condition.DEGRADED);
    if (c.isEmpty() || !c.get().reason().equals(reason) || !c.get().message().equals(message)) {
      LOG.log(Level.WARNING, want.key() + ": " + message);
      update(
          want.name(),
          s ->
              status(s)
                  .lastError(Optional.of(message))
                  .condition(
                      Condition.DEGRADED, ConditionStatus.TRUE, reason, message, clock.instant())
                  .build(),
          null);
    }
    return new Outcome.Terminal(message);
  }

  private void fail(String name, String reason, String message) {
    LOG.log(Level.WARNING, "Service/" + name + ": " + message);
    update(
        name,
        s ->
            status(s)
                .phase(Phase.FAILED)
                .lastError(Optional.of(message))
                .condition(
                    Condition.DEGRADED, ConditionStatus.TRUE, reason, message, clock.instant())
                .build(),
        null);
  }

  // ------------------------------------------------------------------ helpers

  private Optional<Deployer> deployer(String network, String node) {
    Resource r = desiredIndex.get(ResourceKey.network(network));
    Optional<NetworkSpec> spec =
        r instanceof Network n
            ? Optional.of(n.spec())
            : store.observed().network(network).map(n -> n.spec());
    return spec.flatMap(t -> deployers.forNode(network, t, node));
  }

  private Path packagePath(Service want) {
    Path file = Path.of(want.origin().file()).toAbsolutePath();
    Path dir = file.getParent();
    return dir.resolve(want.spec().packageRef()).normalize();
  }

  private Map<String, String> dependencyAddresses(ServiceSpec spec) {
    Map<String, String> out = new HashMap<>();
    for (String dep : spec.dependsOn()) {
      store
          .service(dep)
          .ifPresent(
              o ->
                  o.status()
                      .address()
                      .flatMap(ip -> Launch.address(ip, o.spec().endpoints()))
                      .ifPresent(a -> out.put(dep, a)));
    }
    return out;
  }

  private Launch launchOf(ObservedService o, String version) {
    Ipv4 ip = o.status().address().orElse(Ipv4.of("127.0.0.1"));
    List<Endpoint> endpoints = o.spec().endpoints();
    return new Launch(
        o.metadata().name(), version, ip, endpoints, dependencyAddresses(o.spec()), o.spec().env());
  }

  /** The recorded process of a service: its pid from the status, its start time from meta. */
  private Optional<ProcessRef> processRef(String name, ServiceStatus st) {
    if (st.pid().isEmpty()) {
      return Optional.empty();
    }
    long pid = st.pid().get();
    Instant started =
        store
            .meta(PROCESS_META + name)
            .map(v -> v.split(" ", 2))
            .filter(p -> p.length == 2 && p[0].equals(Long.toString(pid)))
            .map(p -> Instant.parse(p[1]))
            .orElse(Instant.EPOCH);
    return Optional.of(new ProcessRef(pid, started));
  }

  private static ObservedService withStatus(ObservedService o, ServiceStatus st) {
    return new ObservedService(o.metadata(), o.generation(), o.specHash(), o.spec(), st);
  }

  /** Applies {@code change} to the stored status of {@code name} and commits it with events. */
  private void update(String name, UnaryOperator<ServiceStatus> change, Map<String, ?> data) {
    update(name, change, data, null);
  }

  private void update(
      String name, UnaryOperator<ServiceStatus> change, Map<String, ?> data, String eventType) {
    Optional<ObservedService> o = store.service(name);
    if (o.isEmpty()) {
      return;
    }
    ServiceStatus st = change.apply(o.get().status());
    if (st.equals(o.get().status()) && eventType == null) {
      return;
    }
    Transaction tx = new Transaction().putService(withStatus(o.get(), st));
    if (eventType != null) {
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("service", name);
      if (data != null) {
        d.putAll(data);
      }
      tx.event(eventType, ResourceKey.service(name).toString(), d);
    }
    stateEvent(tx, o.get(), st);
    commit(tx);
  }

  private static void stateEvent(Transaction tx, ObservedService before, ServiceStatus after) {
    if (before.status().phase() != after.phase()) {
      String name = before.metadata().name();
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("service", name);
      d.put("from", before.status().phase().wireName());
      d.put("to", after.phase().wireName());
      after.lastError().ifPresent(e -> d.put("message", e));
      tx.event("service_state_changed", ResourceKey.service(name).toString(), d);
      LOG.log(
          Level.INFO,
          "Service/"
              + name
              + ": "
              + before.status().phase().wireName()
              + " → "
              + after.phase().wireName());
    }
  }

  private void commit(Transaction tx) {
    if (tx.isEmpty()) {
      return;
    }
    List<Event> events = store.commit(tx);
    if (!events.isEmpty()) {
      for (Consumer<List<Event>> l : listeners) {
        l.accept(events);
      }
    }
  }

  /** Commits a transaction with at least one event; the revision of its last event. */
  private long commitRevision(Transaction tx) {
    List<Event> events = store.commit(tx);
    for (Consumer<List<Event>> l : listeners) {
      l.accept(events);
    }
    return events.getLast().revision();
  }

  private static StatusBuilder status(ServiceStatus s) {
    return new StatusBuilder(s);
  }
}
