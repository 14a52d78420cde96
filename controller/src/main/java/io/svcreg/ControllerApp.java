package io.svcreg;

import io.svcreg.api.ApiServer;
import io.svcreg.api.ControllerPort;
import io.svcreg.core.ObservedService;
import io.svcreg.core.Snapshot;
import io.svcreg.core.SvcregException;
import io.svcreg.deploy.Deployer;
import io.svcreg.deploy.DirectoryInUse;
import io.svcreg.deploy.InstallMarker;
import io.svcreg.deploy.local.LocalDeployer;
import io.svcreg.deploy.ssh.RemoteDeployers;
import io.svcreg.deploy.ssh.SshDeployer;
import io.svcreg.ha.Cluster;
import io.svcreg.ha.EtcdOptions;
import io.svcreg.ha.HaMember;
import io.svcreg.loop.ActionReceipt;
import io.svcreg.loop.Controller;
import io.svcreg.loop.ServiceCommand;
import io.svcreg.loop.WorkQueue;
import io.svcreg.registry.Registry;
import io.svcreg.schema.Json;
import io.svcreg.schema.NetworkSpec;
import io.svcreg.schema.NetworkType;
import io.svcreg.schema.ResourceKey;
import io.svcreg.schema.ServiceStatus;
import io.svcreg.schema.SpecSet;
import io.svcreg.source.SpecSource;
import io.svcreg.store.Event;
import io.svcreg.store.InventoryEntry;
import io.svcreg.store.RegistryEntry;
import io.svcreg.store.Store;
import io.svcreg.store.StoreOptions;
import io.svcreg.store.StoreReadOnly;
import io.svcreg.store.StoreRecovery;
import io.svcreg.store.Transaction;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A running controller: the store, the local deployer, the reconcile loop, the spec source and the
 * periodic resync, wired together. {@code serve} and the tests start it the same way.
 */
public final class ControllerApp implements ControllerPort, AutoCloseable {

  private static final Logger LOG = System.getLogger(ControllerApp.class.getName());

  /** What to run: where the specs and the data are, and the loop's timing. */
  public record Config(
      Path specs,
      Path data,
      Path installRoot,
      Duration debounce,
      Duration rescan,
      Controller.Options loop,
      Optional<EtcdOptions> etcd,
      Optional<String> advertise) {

    /** A single controller's config (no etcd). */
    public Config(
        Path specs,
        Path data,
        Path installRoot,
        Duration debounce,
        Duration rescan,
        Controller.Options loop) {
      this(specs, data, installRoot, debounce, rescan, loop, Optional.empty(), Optional.empty());
    }

    /**
     * This config as a member of a high-availability group on etcd, reached by the others and by
     * clients at {@code advertise} (default: the API's own URL).
     */
    public Config withEtcd(EtcdOptions options, Optional<String> advertise) {
      return new Config(
          specs, data, installRoot, debounce, rescan, loop, Optional.of(options), advertise);
    }

    /** The defaults of {@code serve}: install root {@code {data}/opt}, debounce 100 ms. */
    public static Config of(Path specs, Path data) {
      return new Config(
          specs,
          data,
          data.resolve("opt"),
          Duration.ofMillis(100),
          SpecSource.Options.DEFAULTS.rescanInterval(),
          Controller.Options.DEFAULTS);
    }

    /** This config with another install root. */
    public Config withInstallRoot(Path root) {
      return new Config(specs, data, root, debounce, rescan, loop, etcd, advertise);
    }

    /** This config with other loop options. */
    public Config withLoop(Controller.Options options) {
      return new Config(specs, data, installRoot, debounce, rescan, options, etcd, advertise);
    }
  }

  private final Config config;
  private final Store store;
  private final LocalDeployer local;
  private final RemoteDeployers remote;
  private final Controller controller;
  private final ScheduledExecutorService timer;
  private final CompletableFuture<Void> specsRead = new CompletableFuture<>();
  private FutureTask<SpecSource> reading;
  private final AtomicReference<ControllerPort.Desired> desired;
  private final AtomicBoolean snapshotPending = new AtomicBoolean();

  /** This member of a high-availability group, once it joined (null for a single controller). */
  private final AtomicReference<HaMember> member;

  /** The registry, once the API started. */
  private final AtomicReference<Registry> registry = new AtomicReference<>();

  /** Completes with why this member stopped leading (high availability only). */
  private final CompletableFuture<String> deposed = new CompletableFuture<>();

  /** When the last snapshot write ended and how long it took (timer thread only). */
  private volatile long lastSnapshotEnd;

  private volatile long lastSnapshotNanos;

  /** How often the host's network interfaces are looked at for topology changes. */
  static final Duration TOPOLOGY_CHECK = Duration.ofSeconds(2);

  /** Name of the observed-state snapshot in the data directory. */
  static final String SNAPSHOT_FILE = Snapshot.FILE;

  /**
   * Name of the file in the data directory where a member of a high-availability group writes the
   * group as it sees it ({@link Cluster#toMap}), every {@link #TOPOLOGY_CHECK}.
   */
  public static final String CLUSTER_FILE = "cluster.json";

  /** Name of the file in the data directory that keeps package manifests across restarts. */
  static final String MANIFEST_CACHE_FILE = "manifests.cache";

  private ControllerApp(
      Config config,
      Store store,
      LocalDeployer local,
      RemoteDeployers remote,
      Controller controller,
      AtomicReference<ControllerPort.Desired> desired,
      AtomicReference<HaMember> member) {
    this.config = config;
    this.member = member;
    this.desired = desired;
    this.remote = remote;
    this.store = store;
    this.local = local;
    this.controller = controller;
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "svcreg-resync");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Opens the store, starts the loop and the spec source, and returns once the spec directory is
   * read and handed to the loop. Fails with one clear message.
   */
  public static ControllerApp start(Config config) {
    ControllerApp app = open(config);
    try {
      app.specsRead.join();
    } catch (CompletionException e) {
      app.close();
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw e;
    }
    return app;
  }

  /** A controller with its registry and TLS API, as {@code svcreg serve} runs it. */
  public record Serving(ControllerApp app, ApiServer api) implements AutoCloseable {
    /** Closes the API (and its registry), then the controller; the services keep running. */
    @Override
    public void close() {
      api.close();
      app.close();
    }
  }

  /**
   * Starts svcreg as {@code serve} does: loads the API's tokens and TLS material while the store
   * opens, opens the store and starts the loop, then starts the registry and the API, which serves
   * the store at once while the spec directory may still be read ({@link #specsRead}). Fails with
   * one clear message, leaving nothing running.
   */
  public static Serving serve(
      Config config, ApiServer.Options apiOptions, Registry.Options registryOptions) {
    ApiServer.checkListen(apiOptions);
    // the API's tokens and TLS material are loaded while the store opens and the specs are read
    // (not when the start is bound to fail on a missing spec directory: nothing is created then)
    CompletableFuture<ApiServer.Prepared> prepared =
        Files.isDirectory(config.specs())
            ? ApiServer.prepare(apiOptions, config.data())
            : CompletableFuture.failedFuture(
                new SvcregException("spec directory " + config.specs() + " does not exist"));
    ControllerApp app = open(config);
    ApiServer api = null;
    try {
      api = app.startApi(apiOptions, registryOptions, prepared);
      if (config.etcd().isPresent()) {
        app.join(config.etcd().get(), config.advertise().orElse(api.url()));
      }
      return new Serving(app, api);
    } catch (RuntimeException | Error e) {
      if (api != null) {
        api.close();
      }
      app.close();
      throw e;
    }
  }

  /**
   * Joins the high-availability group on etcd as {@code advertise}: a standby (reads served, writes
   * refused with the leader's address) until elected, then the leader (the loop reconciles, node
   * commands carry its epoch) until it loses the leadership, which completes {@link #deposed}.
   */
  private void join(EtcdOptions options, String advertise) {
    Controller loop = controller;
    member.set(
        HaMember.join(
            options,
            store,
            advertise,
            new HaMember.Part() {
              @Override
              public void lead(long epoch) {
                LOG.log(Level.INFO, "HA: leading at epoch {0}: reconciling", epoch);
                loop.queue().release();
                loop.resync();
              }

              @Override
              public boolean registryEntryExpired(RegistryEntry entry) {
                Registry r = registry.get();
                return r != null && r.expiredInEtcd(entry);
              }

              @Override
              public void resumed() {
                loop.resync();
              }

              @Override
              public void stepDown(String why) {
                loop.queue().hold();
                deposed.complete(why);
              }
            }));
  }

  /**
   * Completes with why this member stopped leading: it acts no more (its store refuses commits, its
   * loop is held) and must be restarted to stand by again. Never completes for a single controller.
   */
  public CompletableFuture<String> deposed() {
    return deposed;
  }

  @Override
  public boolean highAvailability() {
    return config.etcd().isPresent();
  }

  /**
   * Writes the group as this member sees it to {@link #CLUSTER_FILE}, for {@code svcreg status} (a
   * member of a high-availability group only).
   */
  private void writeClusterFile() {
    HaMember m = member.get();
    if (m == null) {
      return;
    }
    Path file = config.data().resolve(CLUSTER_FILE);
    Path tmp = config.data().resolve("." + CLUSTER_FILE + ".tmp");
    try {
      Map<String, Object> c = new LinkedHashMap<>(m.cluster().toMap());
      c.put("at", java.time.Instant.now().toString());
      Files.writeString(tmp, Json.mapper().writeValueAsString(c));
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.DEBUG, "cannot write " + file + ": " + e.getMessage());
    }
  }

  /** The high-availability group as this member sees it, when it is a member of one. */
  @Override
  public Optional<Map<String, Object>> cluster() {
    return Optional.ofNullable(member.get()).map(m -> m.cluster().toMap());
  }

  /**
   * Starts the registry and the TLS API of this controller (the API closes the registry when it
   * closes); fails with one clear line.
   */
  public ApiServer startApi(ApiServer.Options apiOptions, Registry.Options registryOptions) {
    return startApi(apiOptions, registryOptions, ApiServer.prepare(apiOptions, config.data()));
  }

  private ApiServer startApi(
      ApiServer.Options apiOptions,
      Registry.Options registryOptions,
      CompletableFuture<ApiServer.Prepared> prepared) {
    Registry registry = Registry.start(store, InstantSource.system(), registryOptions);
    if (config.etcd().isPresent()) {
      // each entry is on an etcd lease: etcd expires it, the leader records that
      registry.leaveExpiryToEtcd();
    }
    this.registry.set(registry);
    try {
      return ApiServer.start(apiOptions, this, registry, prepared);
    } catch (RuntimeException | Error e) {
      registry.close();
      throw e;
    }
  }

  /**
   * Opens the store and starts the loop, and returns while the spec directory may still be read:
   * the store can be served at once; the loop reconciles once the reading is handed over ({@link
   * #specsRead}). Fails with one clear message when the store or the directory cannot be opened.
   */
  public static ControllerApp open(Config config) {
    if (!Files.isDirectory(config.specs())) {
      throw new SvcregException(
          "spec directory " + config.specs() + " does not exist; create it or pass --specs DIR");
    }
    try {
      Files.createDirectories(config.data());
      Files.createDirectories(config.installRoot());
    } catch (IOException e) {
      throw new SvcregException("cannot create " + config.data() + ": " + e.getMessage());
    }
    InstantSource clock = InstantSource.system();
    // With many services, opening the store and reading the spec directory both take a while: the
    // store opens first (with all the CPU, so that the API can serve it soon), then the directory
    // is read on a thread of its own while the loop is set up; the reading waits for the loop
    // before it is handed over (empty: the start failed, drop it).
    CompletableFuture<Optional<Controller>> loop = new CompletableFuture<>();
    long began = System.nanoTime();
    AtomicLong specsReadAt = new AtomicLong();
    AtomicReference<ControllerPort.Desired> desired = new AtomicReference<>();
    FutureTask<SpecSource> reading =
        new FutureTask<>(
            () ->
                SpecSource.start(
                    config.specs(),
                    SpecSource.Options.DEFAULTS
                        .withDebounce(config.debounce())
                        .withRescanInterval(config.rescan()),
                    Optional.of(config.data().resolve(MANIFEST_CACHE_FILE)),
                    update -> {
                      specsReadAt.compareAndSet(0, System.nanoTime());
                      if (config.etcd().isPresent()) {
                        warnOfLocalNetworks(update.effective());
                      }
                      loop.join()
                          .ifPresent(
                              c -> {
                                c.onSpecs(update);
                                // the source hands readings over one at a time: the loop's
                                // desired state is this reading's
                                desired.set(
                                    new ControllerPort.Desired(
                                        c.desired(), update.sourceRevision()));
                              });
                    }));
    Store store;
    boolean ha = config.etcd().isPresent();
    try {
      if (!ha) {
        // a member's store is a replica of etcd's state: a new one is filled from there
        refuseToStartTwice(config, clock);
      }
      try {
        store = Store.open(config.data().resolve("store"), StoreOptions.defaults(), clock);
        if (store.lastRevision() == 0 && Files.exists(snapshotFile(config.data()))) {
          // a new store where a lost one was: its snapshot is not this store's
          StoreRecovery.replaceSnapshot(store, config.data().resolve("store"));
        }
      } catch (SvcregException unreadable) {
        if (!ha) {
          store = restoreConsistentBackup(config, clock, unreadable);
        } else {
          // moved aside by now: a new replica is rebuilt from etcd
          LOG.log(Level.WARNING, unreadable.getMessage() + "; a new one is filled from etcd");
          store = Store.open(config.data().resolve("store"), StoreOptions.defaults(), clock);
        }
      }
      if (ha) {
        // nothing is written before the member knows whether it leads
        store.follow(Optional::empty);
      }
    } catch (RuntimeException | Error e) {
      reading.cancel(false); // never started: nothing to close
      throw e;
    }
    long storeOpened = System.nanoTime();
    Thread.ofPlatform().name("svcreg-spec-read").daemon().start(reading);
    LocalDeployer local = LocalDeployer.create(config.installRoot());
    AtomicReference<HaMember> member = new AtomicReference<>();
    RemoteDeployers remote =
        new RemoteDeployers(
            ha
                ? target ->
                    SshDeployer.create(
                        target,
                        () -> Optional.ofNullable(member.get()).map(HaMember::epoch).orElse(0L))
                : SshDeployer::create);
    ControllerApp app = null;
    try {
      if (!ha) {
        // of installs a killed controller interrupted; none runs yet
        reportInUse(
            store, local.removeLeftovers(), "left by an interrupted install or a replaced copy");
        recordUnrecordedInstalls(store, local);
      }
      Controller controller =
          new Controller(
              store,
              new Controller.Deployers() {
                @Override
                public Optional<Deployer> forNode(NetworkType type, String network, String node) {
                  return type == NetworkType.LOCAL && !ha ? Optional.of(local) : Optional.empty();
                }

                @Override
                public Optional<Deployer> forNode(String network, NetworkSpec spec, String node) {
                  if (spec.type() == NetworkType.LOCAL) {
                    // a local network is one controller's host: a group has no one host
                    return ha ? Optional.empty() : Optional.of(local);
                  }
                  return spec.node(node).flatMap(n -> remote.forNode(network, n));
                }

                @Override
                public Optional<Deployer> host() {
                  return Optional.of(local);
                }
              },
              clock,
              config.loop());
      app = new ControllerApp(config, store, local, remote, controller, desired, member);
      if (config.etcd().isPresent()) {
        // a standby until elected: the loop takes readings but reconciles nothing
        controller.queue().hold();
      }
      ControllerApp self = app;
      controller.addListener(events -> self.snapshotSoon());
      if (ha) {
        // a standby's store changes by what it applies from the leader's log
        store.addCommitListener(events -> self.snapshotSoon());
      }
      LOG.log(
          Level.INFO,
          "svcreg controller: specs "
              + config.specs().toAbsolutePath()
              + ", data "
              + config.data().toAbsolutePath()
              + ", install root "
              + config.installRoot().toAbsolutePath()
              + ", store revision "
              + store.lastRevision()
              + ", controller id "
              + store.controllerId());
      store.recoveryNotice().ifPresent(n -> LOG.log(Level.WARNING, n));
      app.reading = reading;
      loop.complete(Optional.of(controller));
      Thread.ofPlatform()
          .name("svcreg-spec-handover")
          .daemon()
          .start(() -> self.handOver(began, storeOpened, specsReadAt));
      return app;
    } catch (RuntimeException | Error e) {
      loop.complete(Optional.empty());
      closeQuietly(reading);
      if (app != null) {
        app.close();
      } else {
        store.close();
      }
      throw e;
    }
  }

  /**
   * Warns of each {@code local} network the specs declare: a member of a high-availability group
   * has no deployer for one (a local network is one controller's host), so its services are
   * reported unreachable.
   */
  private static void warnOfLocalNetworks(SpecSet specs) {
    for (var n : specs.networks()) {
      if (n.spec().type() == NetworkType.LOCAL) {
        LOG.log(
            Level.WARNING,
            "Network/{0}: a local network is one controller''s host, and a high-availability group"
                + " (--etcd) has none: its services are not deployed; declare a lan or wireguard"
                + " network for them",
            n.metadata().name());
      }
    }
  }

  /**
   * Records in the inventory the complete version directories that a controller killed between an
   * install's rename and the commit recording it left in the install root, so that pruning,
   * rollback and removal see them; a directory of a service the store does not know on a node is
   * left alone, with a warning.
   */
  private static void recordUnrecordedInstalls(Store store, LocalDeployer local) {
    Set<String> recorded = new HashSet<>();
    for (InventoryEntry e : store.inventory()) {
      recorded.add(Path.of(e.path()).toAbsolutePath().normalize().toString());
    }
    Transaction tx = new Transaction();
    boolean any = false;
    List<LocalDeployer.VersionDirectory> unknown = new ArrayList<>();
    for (LocalDeployer.VersionDirectory d : local.versionDirectories()) {
      if (recorded.contains(d.path().toString())) {
        continue;
      }
      Optional<String> node = store.service(d.service()).flatMap(o -> o.status().node());
      if (node.isEmpty()) {
        unknown.add(d);
        continue;
      }
      tx.putInventory(
          new InventoryEntry(
              d.service(), node.get(), d.version(), d.path().toString(), d.installedAt()));
      LOG.log(
          Level.INFO,
          "Service/{0}: recorded {1} in the inventory (installed by a controller that stopped"
              + " before recording it)",
          d.service(),
          d.path());
      any = true;
    }
    if (any) {
      try {
        store.commit(tx);
      } catch (StoreReadOnly e) {
        LOG.log(
            Level.WARNING,
            "cannot record those installs now ({0}); the loop finds them installed when it deploys",
            e.getMessage());
      }
    }
    Map<Path, List<DirectoryInUse.Holder>> used =
        local.inUse(unknown.stream().map(LocalDeployer.VersionDirectory::path).toList());
    List<DirectoryInUse> live = new ArrayList<>();
    for (LocalDeployer.VersionDirectory d : unknown) {
      List<DirectoryInUse.Holder> holders = used.get(d.path());
      if (holders != null) {
        live.add(new DirectoryInUse(d.version(), d.path().toString(), holders));
        continue;
      }
      LOG.log(
          Level.WARNING,
          "{0} holds {1} {2}, which is not in the inventory and whose service this store does not"
              + " know on a node; left alone (delete it if nothing uses it)",
          d.path(),
          d.service(),
          d.version());
    }
    reportInUse(
        store, live, "not in the inventory, of a service this store does not know on a node");
  }

  /**
   * Reports directories of the install root found at start that live processes run from and that
   * are kept (never deleted under them): a warning naming the node, the directory and each process
   * (pid, command line), and a {@code deployment_progress} event with phase {@code kept} for the
   * service its marker names ({@code Service/NAME}; no key for a directory without a marker).
   */
  private static void reportInUse(Store store, List<DirectoryInUse> kept, String what) {
    if (kept.isEmpty()) {
      return;
    }
    Transaction tx = new Transaction();
    for (DirectoryInUse k : kept) {
      Optional<InstallMarker> marker = InstallMarker.read(Path.of(k.path()));
      String message =
          "kept "
              + k.path()
              + " on node local ("
              + what
              + (k.processes().size() == 1 ? "): a live process runs" : "): live processes run")
              + " from it ("
              + k.describe()
              + "); not deleted";
      LOG.log(Level.WARNING, message);
      Map<String, Object> data = new LinkedHashMap<>();
      marker.ifPresent(m -> data.put("service", m.service()));
      data.put("phase", "kept");
      marker.ifPresent(m -> data.put("version", m.version()));
      data.put("node", "local");
      data.put("home", k.path());
      data.put(
          "processes",
          k.processes().stream()
              .map(
                  h ->
                      Map.<String, Object>of(
                          "pid", h.pid(), "command", h.command(), "how", h.how()))
              .toList());
      data.put("message", message);
      tx.event(
          Event.DEPLOYMENT_PROGRESS,
          marker.map(m -> ResourceKey.service(m.service()).toString()).orElse(""),
          data);
    }
    store.commit(tx);
  }

  /**
   * After the store could not be opened ({@code failed}; an unreadable store has been moved aside):
   * its backup, restored and opened, when it agrees with the fleet, i.e. every service the backup
   * has a process of runs as that process on its node (same node, version, pid and address) and the
   * nodes run no other declared service; says so in one line. Otherwise throws {@code failed} with
   * the reason the backup was not used (the restored copy removed, the backup kept).
   */
  private static Store restoreConsistentBackup(
      Config config, InstantSource clock, SvcregException failed) {
    Path dir = config.data().resolve("store").toAbsolutePath().normalize();
    if (Files.exists(dir) || !Files.isDirectory(dir.resolveSibling("store.bak"))) {
      throw failed; // not moved aside (e.g. in use), or nothing to restore
    }
    FleetRebuild.Live live;
    try {
      live = FleetRebuild.live(config.specs(), config.installRoot(), clock);
    } catch (SvcregException e) {
      throw notRestored(failed, "the fleet could not be read: " + e.getMessage());
    }
    if (!live.unaccounted().isEmpty()) {
      throw notRestored(
          failed, "the fleet cannot be checked fully: " + String.join("; ", live.unaccounted()));
    }
    try {
      StoreRecovery.fromBackup(dir, clock);
    } catch (SvcregException e) {
      throw notRestored(failed, e.getMessage());
    }
    Store store = Store.open(dir, StoreOptions.defaults(), clock);
    Optional<String> differs = differences(store.observed().services(), live.services());
    if (differs.isPresent()) {
      store.close();
      StoreRecovery.undoRestore(dir);
      throw notRestored(failed, "it does not agree with the fleet: " + differs.get());
    }
    StoreRecovery.replaceSnapshot(store, dir);
    LOG.log(
        Level.WARNING,
        "{0}; restored its backup, which agrees with every node ({1} running services)",
        failed.getMessage().replaceFirst("; svcreg does not start.*$", ""),
        live.services().size());
    return store;
  }

  private static SvcregException notRestored(SvcregException failed, String why) {
    return new SvcregException(
        failed
            .getMessage()
            .replaceFirst(
                "; svcreg does not start",
                "; its backup was not restored (" + why + "); svcreg does not start"),
        failed);
  }

  /** The first difference between what a store records running and what the nodes run. */
  private static Optional<String> differences(
      List<ObservedService> recorded, List<ObservedService> running) {
    Map<String, String> want = new TreeMap<>();
    for (ObservedService o : recorded) {
      if (o.status().pid().isPresent()) {
        want.put(o.metadata().name(), runs(o));
      }
    }
    Map<String, String> have = new TreeMap<>();
    for (ObservedService o : running) {
      have.put(o.metadata().name(), runs(o));
    }
    for (String name : new TreeSet<>(union(want.keySet(), have.keySet()))) {
      String w = want.getOrDefault(name, "nothing running");
      String h = have.getOrDefault(name, "nothing running");
      if (!w.equals(h)) {
        return Optional.of(name + ": the backup has " + w + ", the nodes run " + h);
      }
    }
    return Optional.empty();
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> u = new TreeSet<>(a);
    u.addAll(b);
    return u;
  }

  private static String runs(ObservedService o) {
    ServiceStatus st = o.status();
    return "version "
        + st.deployedVersion().orElse("?")
        + " on "
        + st.node().orElse("?")
        + " as pid "
        + st.pid().map(String::valueOf).orElse("?")
        + " at "
        + st.address().map(Object::toString).orElse("?");
  }

  /**
   * Fails when there is no store yet (a first start, or a data directory that was deleted) but the
   * declared nodes, the controller's host included, hold services of the specs ({@link
   * FleetRebuild#onNodes}): an empty store would start running ones a second time and could give
   * their addresses to others. The operator adopts them ({@code svcreg recover --from-fleet}) or
   * says to start empty ({@code --empty}). Nodes that do not answer are not waited for; an existing
   * store (or one that cannot be read) skips the check.
   */
  private static void refuseToStartTwice(Config config, InstantSource clock) {
    Path dir = config.data().resolve("store");
    try (var entries = Files.list(dir)) {
      if (entries.findAny().isPresent()) {
        return;
      }
    } catch (IOException e) {
      // no store directory yet
    }
    List<String> running;
    try {
      running = FleetRebuild.onNodes(config.specs(), config.installRoot(), clock);
    } catch (SvcregException e) {
      return; // the loop reports what is wrong with the spec directory
    }
    if (running.isEmpty()) {
      return;
    }
    throw new SvcregException(
        "store "
            + dir.toAbsolutePath().normalize()
            + " is new, but the nodes hold services it declares (a lost data directory?): "
            + String.join("; ", running)
            + "; run `svcreg recover --data "
            + config.data()
            + " --specs "
            + config.specs()
            + " --install-root "
            + config.installRoot()
            + " --from-fleet` to adopt them, or `svcreg recover --data "
            + config.data()
            + " --empty` to start empty anyway (running ones would then be started a second time,"
            + " and their addresses could be given to others)");
  }

  /**
   * Waits for the first reading of the spec directory (which the loop has been given by then), logs
   * how long the start took, and starts the periodic resync; completes {@link #specsRead}.
   */
  private void handOver(long began, long storeOpened, AtomicLong specsReadAt) {
    try {
      result(reading);
    } catch (RuntimeException | Error e) {
      specsRead.completeExceptionally(e);
      return;
    }
    long handedOver = System.nanoTime();
    LOG.log(
        Level.INFO,
        "svcreg controller: store opened in %d ms, spec directory read in %d ms, reconciling after %d ms"
            .formatted(
                (storeOpened - began) / 1_000_000,
                (specsReadAt.get() - began) / 1_000_000,
                (handedOver - began) / 1_000_000));
    // the snapshot left by the last stop (or by the last commit) holds the store's state; it is
    // rewritten once the controller is ready, on the timer thread, so that the start does not
    // share the CPU with writing it (with many services, that takes a while)
    snapshotSoon();
    long resync = config.loop().resyncInterval().toMillis();
    try {
      timer.scheduleAtFixedRate(
          () -> {
            if (store.following()) {
              return; // a standby: the leader does this
            }
            try {
              controller.checkTopology();
              controller.resync();
            } catch (RuntimeException e) {
              LOG.log(Level.WARNING, "resync failed: " + e.getMessage(), e);
            }
          },
          resync,
          resync,
          TimeUnit.MILLISECONDS);
      // an interface that comes up (a WireGuard tunnel, a LAN link) is reported within seconds,
      // not at the next resync; the check reads the host's interfaces and records only changes
      timer.scheduleWithFixedDelay(
          () -> {
            writeClusterFile();
            if (store.following()) {
              return;
            }
            try {
              controller.checkTopology();
            } catch (RuntimeException e) {
              LOG.log(Level.WARNING, "topology check failed: " + e.getMessage(), e);
            }
          },
          TOPOLOGY_CHECK.toMillis(),
          TOPOLOGY_CHECK.toMillis(),
          TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // closed while the directory was read
    }
    specsRead.complete(null);
  }

  /**
   * Completes once the first reading of the spec directory is handed to the loop (the loop has the
   * desired state and reconciles); fails with the reading's error (the controller is then useless:
   * close it).
   */
  @Override
  public CompletableFuture<Void> specsRead() {
    return specsRead;
  }

  /** The spec source once its first reading is handed over; its failure as it was thrown. */
  private static SpecSource result(FutureTask<SpecSource> reading) {
    try {
      return reading.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw new SvcregException("cannot read the spec directory: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SvcregException("interrupted while reading the spec directory", e);
    }
  }

  /** Waits for the reading to end and closes the spec source it started, if any. */
  private static void closeQuietly(FutureTask<SpecSource> reading) {
    if (reading == null) {
      return;
    }
    try {
      reading.get().close();
    } catch (ExecutionException | RuntimeException e) {
      // the start failed anyway; its own error is the one reported
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The file where the running controller keeps a copy of its observed state. */
  public static Path snapshotFile(Path data) {
    return data.resolve(SNAPSHOT_FILE);
  }

  /**
   * Writes the snapshot soon: 200 ms after a commit, and never sooner after the last write than 20
   * times what that write took, so that with thousands of services (a write of megabytes) the
   * snapshot costs at most a twentieth of a core while the loop commits all the time.
   */
  private void snapshotSoon() {
    if (snapshotPending.compareAndSet(false, true)) {
      long delay = 200_000_000L;
      if (lastSnapshotNanos > 0) {
        delay = Math.max(delay, lastSnapshotEnd + 20 * lastSnapshotNanos - System.nanoTime());
      }
      try {
        timer.schedule(
            () -> {
              snapshotPending.set(false);
              long began = System.nanoTime();
              writeSnapshot();
              lastSnapshotEnd = System.nanoTime();
              lastSnapshotNanos = lastSnapshotEnd - began;
            },
            delay,
            TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException e) {
        // shutting down: close() writes the last snapshot
      }
    }
  }

  /** Writes the observed state to {@link #snapshotFile} atomically (temp file + rename). */
  private void writeSnapshot() {
    try {
      Path file = snapshotFile(config.data());
      Path tmp = file.resolveSibling("." + SNAPSHOT_FILE + ".tmp");
      Files.writeString(tmp, Snapshot.toJson(store.observed()));
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.WARNING, "cannot write the status snapshot: " + e.getMessage());
    }
  }

  /** The store (read it; the loop writes it). */
  @Override
  public Store store() {
    return store;
  }

  /**
   * This controller's identity: created with its store, kept there, and written on the nodes with
   * what it runs there.
   */
  public String controllerId() {
    return store.controllerId();
  }

  /** The reconcile loop. */
  public Controller controller() {
    return controller;
  }

  /**
   * The desired state the loop took from the last reading of the spec directory, with the Git
   * commit it was read at (before the first reading, {@link #specsRead}: none).
   */
  @Override
  public ControllerPort.Desired desired() {
    ControllerPort.Desired d = desired.get();
    return d != null ? d : new ControllerPort.Desired(controller.desired(), Optional.empty());
  }

  @Override
  public Path dataDirectory() {
    return config.data();
  }

  @Override
  public Path specDirectory() {
    return config.specs().toAbsolutePath().normalize();
  }

  @Override
  public boolean converging() {
    return controller.converging();
  }

  @Override
  public WorkQueue<ResourceKey> queue() {
    return controller.queue();
  }

  @Override
  public ActionReceipt serviceAction(String name, ServiceCommand command) {
    return controller.serviceAction(name, command);
  }

  @Override
  public ActionReceipt deployPackage(String name) {
    return controller.deployPackage(name);
  }

  /** The configuration it runs with. */
  public Config config() {
    return config;
  }

  /**
   * Stops watching and reconciling, lets the step in flight finish (bounded), and closes the store.
   * The managed services keep running, as services do when systemd restarts.
   */
  @Override
  public void close() {
    timer.shutdownNow();
    // a reading still in progress ends first (it hands its result to the loop), then stops watching
    closeQuietly(reading);
    controller.close();
    controller.queue().awaitTermination(Duration.ofSeconds(30));
    HaMember m = member.get();
    if (m != null) {
      // the loop acts no more: resign, so that a standby takes over at once
      m.close();
    }
    local.close();
    remote.close();
    writeSnapshot();
    store.close();
    LOG.log(Level.INFO, "svcreg controller stopped; managed services keep running");
  }
}
