package io.svcreg.loop;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import io.svcreg.core.ConflictException;
import io.svcreg.core.NotFoundException;
import io.svcreg.core.ObservedState;
import io.svcreg.core.SvcregException;
import io.svcreg.core.rollout.Intent;
import io.svcreg.core.rollout.Outcome;
import io.svcreg.core.rollout.Rules;
import io.svcreg.deploy.Deployer;
import io.svcreg.schema.Json;
import io.svcreg.schema.Kind;
import io.svcreg.schema.NetworkSpec;
import io.svcreg.schema.NetworkType;
import io.svcreg.schema.Problem;
import io.svcreg.schema.Resource;
import io.svcreg.schema.ResourceKey;
import io.svcreg.schema.RunState;
import io.svcreg.schema.Service;
import io.svcreg.schema.SpecSet;
import io.svcreg.source.Attachment;
import io.svcreg.source.HostTopology;
import io.svcreg.source.SpecUpdate;
import io.svcreg.source.TopologyChange;
import io.svcreg.store.Event;
import io.svcreg.store.Store;
import io.svcreg.store.StoreFollowing;
import io.svcreg.store.StoreReadOnly;
import io.svcreg.store.Transaction;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * The reconcile loop's manager: takes the desired state from the spec source, records operators'
 * commands, detects the host's topology, and queues keys on a {@link WorkQueue}, whose reconciles
 * go to a {@link ServiceReconciler} or a {@link NetworkReconciler}. The decisions themselves are
 * {@link io.svcreg.core.rollout.Rollout}'s; an {@link Executor} carries them out; a {@link
 * Committer} records them.
 */
public final class Controller implements AutoCloseable {

  private static final Logger LOG = System.getLogger(Controller.class.getName());

  /** Meta key of the last host topology detection (JSON). */
  static final String TOPOLOGY_META = "topology";

  /**
   * Tunables of the loop: at most {@code workers} reconciles at once (each on a virtual thread),
   * backoff from {@code backoffBase} to {@code backoffCap}, a resync every {@code resyncInterval},
   * and the {@link Rules} of rollouts.
   */
  public record Options(
      int workers,
      Duration backoffBase,
      Duration backoffCap,
      Duration resyncInterval,
      Duration healthPoll,
      Duration dependencyPoll,
      int startLimit,
      Duration startLimitWindow,
      Duration startGrace) {

    /**
     * 64 reconciles at once, backoff 200 ms–5 min, resync 5 min, health poll 250 ms, start limit
     * 5/60 s, start grace 1 s.
     */
    public static final Options DEFAULTS =
        new Options(
            64,
            Duration.ofMillis(200),
            Duration.ofMinutes(5),
            Duration.ofMinutes(5),
            Duration.ofMillis(250),
            Duration.ofSeconds(1),
            5,
            Duration.ofSeconds(60),
            Duration.ofSeconds(1));

    /** Options with the default start grace period (1 s). */
    public Options(
        int workers,
        Duration backoffBase,
        Duration backoffCap,
        Duration resyncInterval,
        Duration healthPoll,
        Duration dependencyPoll,
        int startLimit,
        Duration startLimitWindow) {
      this(
          workers,
          backoffBase,
          backoffCap,
          resyncInterval,
          healthPoll,
          dependencyPoll,
          startLimit,
          startLimitWindow,
          Duration.ofSeconds(1));
    }

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
          startLimitWindow,
          startGrace);
    }

    /** These options with another number of reconciles at once. */
    public Options withWorkers(int n) {
      return new Options(
          n,
          backoffBase,
          backoffCap,
          resyncInterval,
          healthPoll,
          dependencyPoll,
          startLimit,
          startLimitWindow,
          startGrace);
    }

    /** The rollout rules of these options. */
    Rules rules() {
      return new Rules(startLimit, startLimitWindow, startGrace, healthPoll, dependencyPoll);
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

    /**
     * The controller's own host, as a member of {@code wireguard} networks whose peers must route
     * service addresses; empty when it takes no part (by default).
     */
    default Optional<Deployer> host() {
      return Optional.empty();
    }
  }

  private final Store store;
  private final WorkQueue<ResourceKey> queue;
  private final Committer committer;
  private final Executor executor;
  private final ServiceReconciler services;
  private final NetworkReconciler networks;
  private final Desired desired;

  private final Object topologyLock = new Object();
  private Map<String, Attachment> topology;

  /** A controller over {@code store}; call {@link #onSpecs} to give it the desired state. */
  public Controller(Store store, Deployers deployers, InstantSource clock, Options options) {
    this.store = store;
    this.desired = new Desired();
    this.queue =
        new WorkQueue<>(
            "reconcile",
            options.workers(),
            options.backoffBase(),
            options.backoffCap(),
            this::reconcile);
    this.committer = new Committer(store, desired, queue, clock);
    this.executor = new Executor(desired, deployers, store);
    Ipam ipam = new Ipam(store, desired, committer);
    this.services =
        new ServiceReconciler(store, desired, executor, committer, ipam, clock, options.rules());
    this.networks =
        new NetworkReconciler(store, desired, committer, this::attached, options, executor.peers());
  }

  /** This controller's identity, kept in its store (see {@link Store#controllerId}). */
  public String id() {
    return store.controllerId();
  }

  /** Calls {@code listener} with the events of every commit the loop makes. */
  public void addListener(Consumer<List<Event>> listener) {
    committer.addListener(listener);
  }

  /** The desired state of the last reading of the spec directory (empty before the first). */
  public SpecSet desired() {
    return desired.specs();
  }

  /** The work queue (depth and reconcile counts for status and metrics). */
  public WorkQueue<ResourceKey> queue() {
    return queue;
  }

  /** Whether the desired state was read at least once and nothing is queued or running. */
  public boolean converging() {
    return !desired.loaded() || !queue.idle();
  }

  /** Takes a new reading of the spec directory and queues the keys it touches. */
  public void onSpecs(SpecUpdate update) {
    Optional<String> oldRevision = desired.revision();
    boolean first = !desired.loaded();
    SpecSet effective = update.effective();
    desired.set(effective, update.sourceRevision());

    Transaction tx = new Transaction();
    for (Problem p : update.newProblems()) {
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("file", p.file());
      d.put("line", p.line());
      d.put("column", p.column());
      d.put("path", p.path());
      d.put("message", p.message());
      tx.event("spec_error", "", committer.withRevision(d));
    }
    if (!update.sourceRevision().equals(oldRevision) && update.sourceRevision().isPresent()) {
      if (!update.sourceRevision().equals(store.meta("sourceRevision"))) {
        tx.putMeta("sourceRevision", update.sourceRevision().get());
      }
    }
    try {
      committer.commit(tx);
    } catch (StoreFollowing e) {
      // a standby of a high-availability group: the leader journals its own reading
    } catch (StoreReadOnly e) {
      // the spec errors are not journaled; the reading is reconciled as usual, and whatever the
      // loop would record (and so do) is refused until there is space
      LOG.log(Level.WARNING, "specs read, but " + e.getMessage());
    }

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
        desired.servicesOf(k.name()).forEach(s -> queue.add(ResourceKey.service(s)));
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
      Map<String, Attachment> now = new TreeMap<>(HostTopology.detect(desired.specs().networks()));
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
        tx.event(
            "network_topology_changed",
            ResourceKey.network(c.network()).toString(),
            committer.withRevision(d));
      }
      try {
        tx.putMeta(TOPOLOGY_META, Json.mapper().writeValueAsString(now));
      } catch (JsonProcessingException e) {
        throw new SvcregException("cannot record the host topology: " + e.getMessage());
      }
      try {
        committer.commit(tx);
      } catch (StoreReadOnly e) {
        return; // looked at again on the next check, once the change can be recorded
      }
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
    Set<ResourceKey> keys = new TreeSet<>(desired.keys());
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
    long revision =
        committer.command(
            name,
            intent -> {
              switch (command) {
                case STOP -> {
                  Intent i = intent.withRestart(false);
                  return i.held() ? i : i.withHeld(Optional.of(committer.clock().instant()));
                }
                case START -> {
                  requireRunningSpec(want, command);
                  return intent.withHeld(Optional.empty()).withReset(true);
                }
                case RESTART -> {
                  requireRunningSpec(want, command);
                  if (intent.held()) {
                    throw new ConflictException(
                        key
                            + " is stopped by an operator; start it with the action start instead"
                            + " of restart");
                  }
                  return intent.withReset(true).withRestart(true);
                }
              }
              throw new IllegalStateException("unknown command " + command);
            },
            "service_updated",
            Map.of("action", command.wireName(), "version", want.spec().version()));
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
    long revision =
        committer.command(
            name,
            intent -> intent.withReset(true).withRedeploy(true),
            "deployment_progress",
            Map.of("phase", "requested", "version", want.spec().version()));
    LOG.log(Level.INFO, key + ": deploy of " + want.spec().version() + " requested");
    queue.add(want.key());
    return new ActionReceipt(name, "deploy", want.spec().version(), revision);
  }

  /** The declared service of this name, or why a command on it cannot be taken. */
  private Service declared(String name) {
    ResourceKey key = ResourceKey.service(name == null ? "" : name);
    if (desired.get(key) instanceof Service s) {
      if (executor.deployer(s.spec().network(), s.spec().node()).isEmpty()) {
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

  /** Stops taking keys; managed services keep running. */
  @Override
  public void close() {
    queue.close();
  }

  // ------------------------------------------------------------------ reconcile

  Outcome reconcile(ResourceKey key) {
    try {
      return switch (key.kind()) {
        case NETWORK -> networks.reconcile(key.name());
        case SERVICE -> services.reconcile(key.name());
      };
    } catch (StoreReadOnly e) {
      // nothing was recorded, so nothing was done on a node: tried again with the backoff
      LOG.log(Level.WARNING, key + ": " + e.getMessage());
      return new Outcome.Retry(e.getMessage());
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, key + ": reconcile failed: " + e.getMessage(), e);
      return new Outcome.Retry(String.valueOf(e.getMessage()));
    }
  }
}
