package io.svcreg.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectReader;
import io.svcreg.core.Lease;
import io.svcreg.core.ObservedNetwork;
import io.svcreg.core.ObservedService;
import io.svcreg.core.ObservedState;
import io.svcreg.core.SvcregException;
import io.svcreg.core.rollout.Intent;
import io.svcreg.core.rollout.Ledger;
import io.svcreg.core.rollout.ProcessId;
import io.svcreg.schema.Json;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.eclipse.serializer.persistence.types.Storer;
import org.eclipse.store.storage.embedded.types.EmbeddedStorage;
import org.eclipse.store.storage.embedded.types.EmbeddedStorageManager;

/**
 * The controller's durable state in an EclipseStore directory: observed services and networks,
 * address leases, the install inventory, published registry entries, operators' intents and the
 * loop's ledgers, small key/values and a bounded journal of events whose revisions never go back.
 * Reads are consistent snapshots that never wait for disk; a {@link #commit} is atomic and on disk
 * (synced) when it returns. Thread-safe; commits are applied one after the other, and those that
 * come at the same time are written with one write (a group commit). Only events advance the
 * revision, one per event: a commit without events changes state at the same revision.
 *
 * <p>Several controllers keep one state with a replicated log in front of their stores: the
 * leader's store hands each batch to a {@link Replicator} ({@link #replicateTo}) before it persists
 * it, and followers apply what the log holds ({@link #applyReplicated}). There, a commit takes the
 * revision the log gave it, events or not, all its events share it, and revisions may skip some.
 *
 * <p>Only one process may have a store open ({@code <dir>.lock}). Each open first copies the store
 * (synced) and, once the store proves readable, keeps that copy as {@code <dir>.bak}: the state
 * from before the session, to restore by hand (stop svcreg, replace {@code <dir>} with it). A store
 * that cannot be read is moved to {@code <dir>.corrupt-<UTC time>} exactly as it was before this
 * open touched it; nothing is overwritten or deleted.
 */
public final class Store implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(Store.class.getName());

  static {
    initializeEclipseStoreLogging();
  }

  private final Path dir;
  private final StoreOptions options;
  private final InstantSource clock;
  private final FileChannel lock;
  private final DurableWriter writer;
  private final EmbeddedStorageManager manager;
  private final StoreRoot root;
  private final int segmentSize;
  private Optional<String> recoveryNotice = Optional.empty();

  /** Guards the decoded view below: commits apply to it under the write lock, in memory only. */
  private final ReentrantReadWriteLock view = new ReentrantReadWriteLock();

  private final TreeMap<String, ObservedService> services = new TreeMap<>();
  private final TreeMap<String, ObservedNetwork> networks = new TreeMap<>();
  private final TreeMap<String, Lease> leases = new TreeMap<>();
  private final TreeMap<String, InventoryEntry> inventory = new TreeMap<>();
  private final TreeMap<String, RegistryEntry> registry = new TreeMap<>();
  private final HashMap<String, Intent> intents = new HashMap<>();
  private final HashMap<String, Ledger> ledgers = new HashMap<>();

  /** Derived views, kept with the maps above: leases by service, counts by network, inventory. */
  private final HashMap<String, List<Lease>> leasesByService = new HashMap<>();

  private final HashMap<String, Integer> leasesByNetwork = new HashMap<>();
  private final HashMap<String, List<InventoryEntry>> inventoryByService = new HashMap<>();
  private final HashMap<String, String> meta = new HashMap<>();
  private final ArrayList<Event> events = new ArrayList<>();
  private long lastRevision;

  /** The highest revision dropped from {@link #events}: events after it are all retained. */
  private long droppedThrough;

  private volatile ObservedState observedCache;

  /** Serializes commits; the persisted graph is touched only while holding it. */
  private final ReentrantLock commitLock = new ReentrantLock();

  /**
   * The one storer of every commit, under the commit lock (cleared by each commit). EclipseStore
   * checks each new object against every storer not yet collected, so a storer per commit made that
   * check, and with it a commit's CPU, grow with the commits since the last GC.
   */
  private Storer storer;

  /** Transactions waiting for the commit lock: its holder writes them all (a group commit). */
  private final ArrayDeque<Pending> waiting = new ArrayDeque<>();

  private String failure;
  private boolean closed;

  /** Where commits are replicated before they are persisted, or null; under the commit lock. */
  private Replicator replicator;

  /** While this store follows a leader's log: the leader's API address; null when it leads. */
  private volatile Supplier<Optional<String>> following;

  /** Why commits wait for a new replicator (a replication that may or may not have happened). */
  private String inDoubt;

  /** Refuses commits while the file system is (nearly) full. */
  private final SpaceGuard space;

  /** Called with the events of each write, in revision order, inside the commit lock. */
  private final List<Consumer<List<Event>>> commitListeners = new CopyOnWriteArrayList<>();

  private Store(
      Path dir,
      StoreOptions options,
      InstantSource clock,
      FileChannel lock,
      DurableWriter writer,
      SpaceGuard space,
      EmbeddedStorageManager manager,
      StoreRoot root) {
    this.space = space;
    this.dir = dir;
    this.options = options;
    this.clock = clock;
    this.lock = lock;
    this.writer = writer;
    this.manager = manager;
    this.root = root;
    this.segmentSize = Math.max(1, Math.min(128, options.retainedEvents() / 4));
  }

  /**
   * Opens (or creates) the store in {@code dir}, a directory of its own. A store that cannot be
   * read (corrupt, or of another format version) is moved aside; then the open fails with a
   * one-line {@link SvcregException} saying so, or, with {@link
   * StoreOptions#startFreshIfUnreadable}, an empty store is started and {@link #recoveryNotice}
   * says what happened.
   */
  public static Store open(Path dir, StoreOptions options, InstantSource clock) {
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(clock, "clock");
    Path d = dir.toAbsolutePath().normalize();
    try {
      Files.createDirectories(d.getParent());
    } catch (IOException e) {
      throw new SvcregException(
          "cannot create the directory of store " + d + ": " + e.getMessage(), e);
    }
    FileChannel lock = StoreFiles.lock(d);
    try {
      return openLocked(d, options, clock, lock);
    } catch (RuntimeException | Error e) {
      StoreFiles.closeQuietly(lock);
      throw e;
    }
  }

  private static Store openLocked(
      Path dir, StoreOptions options, InstantSource clock, FileChannel lock) {
    Path copy = null;
    FutureTask<Void> copySynced = null;
    boolean existing;
    try {
      existing = StoreFiles.hasContent(dir);
    } catch (IOException e) {
      throw new SvcregException("cannot read store " + dir + ": " + e.getMessage(), e);
    }
    if (!existing && !options.startFreshIfUnreadable()) {
      refuseToReplaceLost(dir);
    }
    if (existing) {
      try {
        copy = StoreFiles.copyForBackup(dir);
      } catch (IOException e) {
        Optional<String> full = new SpaceGuard(dir, options.reserveBytes()).check();
        if (full.isEmpty()) {
          throw new SvcregException("cannot back up store " + dir + ": " + e.getMessage(), e);
        }
        // a full disk: the store opens read-only (for commits), keeping the previous backup
        LOG.log(
            System.Logger.Level.WARNING,
            "cannot back up store "
                + dir
                + " ("
                + e.getMessage()
                + "); opened without a new"
                + " backup, "
                + StoreFiles.backup(dir)
                + " is kept as it was");
      }
      if (copy != null) {
        // the copy is forced to disk while EclipseStore opens the store; both are done before the
        // copy becomes the backup (or is moved aside)
        Path toSync = copy;
        copySynced =
            new FutureTask<>(
                () -> {
                  StoreFiles.syncTree(toSync);
                  return null;
                });
        Thread.ofPlatform().name("svcreg-store-backup-sync").daemon().start(copySynced);
      }
      try {
        for (String log : StoreFiles.cutTornTransactionLogs(dir)) {
          LOG.log(
              System.Logger.Level.WARNING,
              "store "
                  + dir
                  + ": cut the incomplete last entry of "
                  + log
                  + ", left by a crash during a commit that never returned");
        }
      } catch (IOException e) {
        throw new SvcregException("cannot read store " + dir + ": " + e.getMessage(), e);
      }
    }
    Store store;
    try {
      store = start(dir, options, clock, lock);
    } catch (Unreadable u) {
      awaitSynced(dir, copySynced);
      return recover(dir, copy, options, clock, lock, u);
    }
    if (copy != null) {
      try {
        awaitSynced(dir, copySynced);
      } catch (SvcregException e) {
        store.shutdown();
        throw e;
      }
      try {
        StoreFiles.keepBackup(copy, dir);
      } catch (IOException e) {
        store.shutdown();
        throw new SvcregException(
            "cannot keep the backup " + StoreFiles.backup(dir) + ": " + e.getMessage(), e);
      }
    }
    return store;
  }

  /** Waits until the backup copy is on disk; fails the open if it cannot be synced. */
  private static void awaitSynced(Path dir, FutureTask<Void> copySynced) {
    if (copySynced == null) {
      return;
    }
    try {
      copySynced.get();
    } catch (ExecutionException e) {
      throw new SvcregException(
          "cannot back up store " + dir + ": " + e.getCause().getMessage(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SvcregException("interrupted while backing up store " + dir, e);
    }
  }

  private static Store recover(
      Path dir,
      Path pristine,
      StoreOptions options,
      InstantSource clock,
      FileChannel lock,
      Unreadable u) {
    Path aside;
    try {
      aside = StoreFiles.moveAside(dir, pristine, clock.instant());
    } catch (IOException e) {
      throw new SvcregException(
          "store "
              + dir
              + " cannot be read ("
              + u.getMessage()
              + ") and cannot be moved aside: "
              + e.getMessage(),
          e);
    }
    Path bak = StoreFiles.backup(dir);
    String message =
        "store "
            + dir
            + " cannot be read ("
            + u.getMessage()
            + "); moved it to "
            + aside
            + (Files.isDirectory(bak)
                ? "; " + bak + " holds the state from before its last start"
                : "");
    if (!options.startFreshIfUnreadable()) {
      throw new SvcregException(message + "; " + choices(dir), u);
    }
    String notice = message + "; started an empty store";
    Store store;
    try {
      store = start(dir, options, clock, lock);
    } catch (Unreadable again) {
      throw new SvcregException(
          "cannot create an empty store in " + dir + ": " + again.getMessage(), again);
    }
    store.recoveryNotice = Optional.of(notice);
    LOG.log(System.Logger.Level.WARNING, notice);
    return store;
  }

  /**
   * Fails when {@code dir} is missing or empty but its data directory shows that a store was there
   * (its backup, or an unreadable store moved aside): an empty store is started only when the
   * operator says so ({@code svcreg recover}), never because the old one is gone.
   */
  private static void refuseToReplaceLost(Path dir) {
    List<Path> previous;
    try {
      previous = StoreFiles.previous(dir);
    } catch (IOException e) {
      throw new SvcregException(
          "cannot look for an earlier store next to " + dir + ": " + e.getMessage(), e);
    }
    if (previous.isEmpty()) {
      return;
    }
    List<String> what = new ArrayList<>();
    for (Path p : previous) {
      what.add(
          p.equals(StoreFiles.backup(dir))
              ? p + " (its backup from " + modified(p) + ")"
              : p + " (an unreadable store moved aside)");
    }
    throw new SvcregException(
        "store "
            + dir
            + " is missing, but its data directory held one: "
            + String.join(", ", what)
            + "; "
            + choices(dir));
  }

  /** What the operator may do about a store that is lost: the {@code svcreg recover} commands. */
  static String choices(Path dir) {
    Path data = dir.getParent();
    String restore =
        Files.isDirectory(StoreFiles.backup(dir))
            ? "run `svcreg recover --data "
                + data
                + " --from-backup` to restore the backup (what the controller did after it was"
                + " taken is not in it), "
            : "run ";
    return "svcreg does not start with an empty store on its own: "
        + restore
        + "`svcreg recover --data "
        + data
        + " --from-fleet --specs DIR` to rebuild it from what the nodes run, or `svcreg recover"
        + " --data "
        + data
        + " --empty` to start with an empty one (the services already on its nodes are then"
        + " unknown to it)";
  }

  private static String modified(Path p) {
    try {
      return Files.getLastModifiedTime(p).toInstant().truncatedTo(ChronoUnit.SECONDS).toString();
    } catch (IOException e) {
      return "an unknown time";
    }
  }

  /**
   * EclipseStore's loggers (through SLF4J's java.util.logging binding); held: JUL keeps loggers
   * weakly.
   */
  private static final java.util.logging.Logger ECLIPSE_STORE_LOG =
      java.util.logging.Logger.getLogger("org.eclipse.store");

  private static Store start(Path dir, StoreOptions options, InstantSource clock, FileChannel lock)
      throws Unreadable {
    boolean initialized = Files.exists(StoreFiles.marker(dir));
    DurableWriter writer = new DurableWriter();
    SpaceGuard space = new SpaceGuard(dir, options.reserveBytes());
    EmbeddedStorageManager manager;
    // a store that cannot be read is reported in one line (Unreadable): EclipseStore's channel
    // threads would also log the error with its stack trace
    java.util.logging.Level logged = ECLIPSE_STORE_LOG.getLevel();
    ECLIPSE_STORE_LOG.setLevel(java.util.logging.Level.OFF);
    try {
      manager =
          EmbeddedStorage.Foundation(dir)
              .setWriterProvider(() -> writer)
              .setWriteController(space.writeController())
              .onConnectionFoundation(
                  f -> f.setTypeDictionaryIoHandler(new DurableTypeDictionary(dir)))
              .start();
    } catch (RuntimeException e) {
      writer.close();
      throw new Unreadable(describe(e), e);
    } finally {
      ECLIPSE_STORE_LOG.setLevel(logged);
    }
    Store store;
    try {
      Object r = manager.root();
      StoreRoot root;
      if (r == null) {
        if (initialized) {
          throw new Unreadable("its data holds no svcreg root", null);
        }
        root = StoreRoot.create();
        manager.setRoot(root);
        manager.storeRoot();
      } else if (r instanceof StoreRoot existing) {
        if (existing.formatVersion != StoreRoot.FORMAT_VERSION) {
          throw new Unreadable(
              "it is in store format "
                  + existing.formatVersion
                  + ", this svcreg reads format "
                  + StoreRoot.FORMAT_VERSION,
              null);
        }
        String problem = existing.structureProblem();
        if (problem != null) {
          throw new Unreadable(problem, null);
        }
        root = existing;
        if (root.upgrade()) {
          manager.store(root);
        }
      } else {
        throw new Unreadable(
            "its root is not an svcreg store (" + r.getClass().getName() + ")", null);
      }
      store = new Store(dir, options, clock, lock, writer, space, manager, root);
      store.load();
    } catch (Unreadable e) {
      shutdownQuietly(manager, writer, e);
      throw e;
    } catch (RuntimeException e) {
      shutdownQuietly(manager, writer, e);
      throw new Unreadable(describe(e), e);
    }
    try {
      if (!initialized) {
        StoreFiles.writeMarker(dir);
      }
      // the files EclipseStore created must be found after a power loss
      Fsync.directories(dir);
      Fsync.directory(dir.getParent());
    } catch (IOException e) {
      shutdownQuietly(manager, writer, e);
      throw new SvcregException("cannot sync store " + dir + ": " + e.getMessage(), e);
    }
    store.migrateMeta();
    store.identify();
    return store;
  }

  /** Meta key of the controller's identity (see {@link #controllerId}). */
  static final String CONTROLLER_ID_META = "controllerId";

  /**
   * Gives a store without a controller identity one (a new store, or one written before
   * identities): a random UUID, an identity and no input of any decision, so not drawn from an
   * injected source.
   */
  private void identify() {
    if (meta(CONTROLLER_ID_META).isEmpty()) {
      commit(new Transaction().putMeta(CONTROLLER_ID_META, UUID.randomUUID().toString()));
    }
  }

  /** Meta key prefixes of stores written before typed intents and ledgers. */
  private static final String HOLD_META = "hold/";

  private static final String COMMAND_META = "command/";
  private static final String PROCESS_META = "process/";

  /**
   * Turns what stores written before typed intents and ledgers kept as meta strings (an operator's
   * hold and pending commands, a service's process) into {@link Intent} and {@link Ledger} entries,
   * in one commit.
   */
  private void migrateMeta() {
    Map<String, Intent> in = new TreeMap<>();
    Map<String, Ledger> led = new TreeMap<>();
    Transaction tx = new Transaction();
    for (Map.Entry<String, String> e : new TreeMap<>(meta).entrySet()) {
      String key = e.getKey();
      String value = e.getValue();
      if (key.startsWith(HOLD_META)) {
        String name = key.substring(HOLD_META.length());
        Intent i = in.getOrDefault(name, Intent.none(name));
        Instant since;
        try {
          since = Instant.parse(value);
        } catch (RuntimeException x) {
          since = clock.instant();
        }
        in.put(name, i.withHeld(Optional.of(since)));
      } else if (key.startsWith(COMMAND_META)) {
        String name = key.substring(COMMAND_META.length());
        Intent i = in.getOrDefault(name, Intent.none(name));
        for (String w : value.trim().split("\\s+")) {
          switch (w) {
            case "reset" -> i = i.withReset(true);
            case "restart" -> i = i.withRestart(true);
            case "deploy" -> i = i.withRedeploy(true);
            default -> {}
          }
        }
        in.put(name, i);
      } else if (key.startsWith(PROCESS_META)) {
        String name = key.substring(PROCESS_META.length());
        ObservedService o = services.get(name);
        String[] p = value.split(" ", 2);
        try {
          if (o != null && p.length == 2 && o.status().address().isPresent()) {
            Instant started = Instant.parse(p[1]);
            led.put(
                name,
                Ledger.empty(name)
                    .withProcess(
                        Optional.of(
                            new ProcessId(
                                Long.parseLong(p[0]),
                                started,
                                0,
                                true,
                                started,
                                o.status().deployedVersion().orElse(o.spec().version()),
                                o.status().address().get(),
                                Map.of()))));
          }
        } catch (RuntimeException x) {
          LOG.log(
              System.Logger.Level.WARNING,
              "store " + dir + ": cannot read the process of " + name + " (" + value + ")");
        }
      } else {
        continue;
      }
      tx.removeMeta(key);
    }
    if (tx.isEmpty()) {
      return;
    }
    in.values().forEach(tx::putIntent);
    led.values().forEach(tx::putLedger);
    commit(tx);
  }

  /** Decodes the persisted graph into the in-memory view. */
  private void load() throws Unreadable {
    loadIndex(root.services, ObservedService.class, services, "service");
    loadIndex(root.networks, ObservedNetwork.class, networks, "network");
    loadIndex(root.leases, Lease.class, leases, "lease");
    loadIndex(root.inventory, InventoryEntry.class, inventory, "inventory entry");
    loadIndex(root.registry, RegistryEntry.class, registry, "registry entry");
    loadIndex(root.intents, Intent.class, intents, "intent");
    loadIndex(root.ledgers, Ledger.class, ledgers, "ledger");
    leases.values().forEach(l -> indexLease(l, true));
    inventory.values().forEach(e -> indexInventory(e, true));
    meta.putAll(root.meta);
    long previous = Long.MIN_VALUE;
    for (ArrayList<StoredEvent> segment : root.journal) {
      for (StoredEvent e : segment) {
        // replicated revisions may skip some and repeat one (the events of one commit)
        if (e.revision < previous) {
          throw new Unreadable(
              "its journal goes back from revision " + previous + " to " + e.revision, null);
        }
        events.add(
            new Event(
                e.revision, Instant.ofEpochSecond(e.epochSecond, e.nano), e.type, e.key, e.data));
        previous = e.revision;
      }
    }
    lastRevision =
        Math.max(events.isEmpty() ? 0 : events.getLast().revision(), root.replicatedRevision);
    droppedThrough = root.droppedThrough;
  }

  /** From this many entries of one kind, a start decodes half of them on a second thread. */
  private static final int PARALLEL_DECODE = 2_000;

  private static <T> void loadIndex(
      List<HashMap<String, Object>> index, Class<T> type, Map<String, T> into, String what)
      throws Unreadable {
    ObjectReader reader = Json.mapper().readerFor(type);
    int entries = 0;
    for (HashMap<String, Object> bucket : index) {
      entries += bucket.size();
    }
    if (entries < PARALLEL_DECODE || index.size() < 2) {
      decode(index, reader, into, what);
      return;
    }
    // a start waits for the store: with many entries, the JSON of half of the buckets is decoded on
    // a second thread (the reader is thread-safe; each thread fills a map of its own)
    int half = index.size() / 2;
    Map<String, T> other = new HashMap<>();
    FutureTask<Void> second =
        new FutureTask<>(
            () -> {
              decode(index.subList(half, index.size()), reader, other, what);
              return null;
            });
    Thread.ofPlatform().name("svcreg-store-decode").daemon().start(second);
    decode(index.subList(0, half), reader, into, what);
    try {
      second.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Unreadable u) {
        throw u;
      }
      throw new Unreadable(what + "s cannot be decoded: " + describe(e.getCause()), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SvcregException("interrupted while opening the store", e);
    }
    into.putAll(other);
  }

  private static <T> void decode(
      List<HashMap<String, Object>> index, ObjectReader reader, Map<String, T> into, String what)
      throws Unreadable {
    for (HashMap<String, Object> bucket : index) {
      for (Map.Entry<String, Object> e : bucket.entrySet()) {
        try {
          T value =
              switch (e.getValue()) {
                case Utf8Holder h -> reader.readValue(h.json);
                case Holder h -> reader.readValue(h.json);
                default ->
                    throw new IllegalStateException(
                        "unknown holder " + e.getValue().getClass().getName());
              };
          into.put(e.getKey(), value);
        } catch (IOException | RuntimeException x) {
          throw new Unreadable(what + " " + e.getKey() + " cannot be decoded: " + describe(x), x);
        }
      }
    }
  }

  // ---------------------------------------------------------------- reads

  /** The observed state: networks, services and leases at the last event revision. */
  public ObservedState observed() {
    ObservedState cached = observedCache;
    if (cached != null) {
      return cached;
    }
    view.readLock().lock();
    try {
      ObservedState state =
          new ObservedState(
              lastRevision,
              List.copyOf(networks.values()),
              List.copyOf(services.values()),
              List.copyOf(leases.values()));
      // set while holding the read lock: no commit can apply in between
      observedCache = state;
      return state;
    } finally {
      view.readLock().unlock();
    }
  }

  /** The observed service of this name, if any. */
  public Optional<ObservedService> service(String name) {
    view.readLock().lock();
    try {
      return Optional.ofNullable(services.get(name));
    } finally {
      view.readLock().unlock();
    }
  }

  /** The observed network of this name, if any. */
  public Optional<ObservedNetwork> network(String name) {
    view.readLock().lock();
    try {
      return Optional.ofNullable(networks.get(name));
    } finally {
      view.readLock().unlock();
    }
  }

  /** The published registry entry of this module, if any (expired or not). */
  public Optional<RegistryEntry> registryEntry(String module) {
    view.readLock().lock();
    try {
      return Optional.ofNullable(registry.get(module));
    } finally {
      view.readLock().unlock();
    }
  }

  /** The published registry entries, sorted by module. */
  public List<RegistryEntry> registryEntries() {
    view.readLock().lock();
    try {
      return List.copyOf(registry.values());
    } finally {
      view.readLock().unlock();
    }
  }

  /** The operator's intent for this service, if one is recorded. */
  public Optional<Intent> intent(String service) {
    view.readLock().lock();
    try {
      return Optional.ofNullable(intents.get(service));
    } finally {
      view.readLock().unlock();
    }
  }

  /** The loop's ledger of this service, if one is recorded. */
  public Optional<Ledger> ledger(String service) {
    view.readLock().lock();
    try {
      return Optional.ofNullable(ledgers.get(service));
    } finally {
      view.readLock().unlock();
    }
  }

  /** The leases of this service (in any network). */
  public List<Lease> leases(String service) {
    view.readLock().lock();
    try {
      return List.copyOf(leasesByService.getOrDefault(service, List.of()));
    } finally {
      view.readLock().unlock();
    }
  }

  /** How many addresses of this network are leased. */
  public int leaseCount(String network) {
    view.readLock().lock();
    try {
      return leasesByNetwork.getOrDefault(network, 0);
    } finally {
      view.readLock().unlock();
    }
  }

  /** What the controller installed of this service, sorted by node and path. */
  public List<InventoryEntry> inventory(String service) {
    view.readLock().lock();
    try {
      return inventoryByService.getOrDefault(service, List.of()).stream()
          .sorted(Comparator.comparing(InventoryEntry::node).thenComparing(InventoryEntry::path))
          .toList();
    } finally {
      view.readLock().unlock();
    }
  }

  /** What the controller installed where, sorted by service, node and path. */
  public List<InventoryEntry> inventory() {
    view.readLock().lock();
    try {
      return inventory.values().stream()
          .sorted(
              Comparator.comparing(InventoryEntry::service)
                  .thenComparing(InventoryEntry::node)
                  .thenComparing(InventoryEntry::path))
          .toList();
    } finally {
      view.readLock().unlock();
    }
  }

  /**
   * Why the store takes no commits now (its file system has no more free space than the reserve),
   * or empty: reads go on, and commits are made again once there is space.
   */
  public Optional<String> readOnly() {
    return space.check();
  }

  /** The revision of the last event, or of the last replicated commit (0 before the first). */
  public long lastRevision() {
    view.readLock().lock();
    try {
      return lastRevision;
    } finally {
      view.readLock().unlock();
    }
  }

  /**
   * The retained events after {@code revision}, or {@link EventsSince.Expired} if events after it
   * may have been dropped (it is older than the newest dropped one) or {@code revision} is newer
   * than {@link #lastRevision}. The oldest revision it then names is the first whose events are all
   * retained: a revision that several events share may have lost some of them to the retention.
   */
  public EventsSince eventsSince(long revision) {
    view.readLock().lock();
    try {
      if (revision < droppedThrough || revision > lastRevision) {
        int first = firstAfter(droppedThrough);
        long oldest = first < events.size() ? events.get(first).revision() : lastRevision + 1;
        return new EventsSince.Expired(oldest);
      }
      return new EventsSince.Events(events.subList(firstAfter(revision), events.size()));
    } finally {
      view.readLock().unlock();
    }
  }

  /** The index of the first retained event with a revision above {@code revision}. */
  private int firstAfter(long revision) {
    int low = 0;
    int high = events.size();
    while (low < high) {
      int mid = (low + high) >>> 1;
      if (events.get(mid).revision() <= revision) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    return low;
  }

  /** The operators' intents, by service. */
  Map<String, Intent> intents() {
    return copied(intents);
  }

  /** The loop's ledgers, by service. */
  Map<String, Ledger> ledgers() {
    return copied(ledgers);
  }

  /** The small key/values. */
  Map<String, String> meta() {
    return copied(meta);
  }

  /** A copy of one of the maps of the view, as of now. */
  private <T> Map<String, T> copied(Map<String, T> map) {
    view.readLock().lock();
    try {
      return Map.copyOf(map);
    } finally {
      view.readLock().unlock();
    }
  }

  /** The value of a small key/value, if set. */
  public Optional<String> meta(String key) {
    view.readLock().lock();
    try {
      return Optional.ofNullable(meta.get(key));
    } finally {
      view.readLock().unlock();
    }
  }

  /**
   * The identity of the controller whose store this is: created with the store and kept for its
   * life, written on the nodes with what the controller runs there ({@code
   * io.svcreg.deploy.RunRecord}), so that the fleet tells which controller put it there.
   */
  public String controllerId() {
    return meta(CONTROLLER_ID_META).orElseThrow();
  }

  /** What opening found and did, when it had to move an unreadable store aside. */
  public Optional<String> recoveryNotice() {
    return recoveryNotice;
  }

  /** Runs EclipseStore's garbage collection and file cleanup now (for tests). */
  void housekeep() {
    commitLock.lock();
    try {
      manager.issueFullGarbageCollection();
      manager.issueFullFileCheck();
    } finally {
      commitLock.unlock();
    }
  }

  /** Bytes of entity data written by commits since the store was opened (for tests). */
  long storedBytes() {
    return writer.storedBytes();
  }

  /** How many commits wait for the commit lock, to be written in the next batch (for tests). */
  int waitingCommits() {
    synchronized (waiting) {
      return waiting.size();
    }
  }

  /** The store's directory. */
  public Path directory() {
    return dir;
  }

  // ---------------------------------------------------------------- writes

  /**
   * Calls {@code listener} with the events of every later write that journals any, in revision
   * order, inside the commit lock right after the write is applied: it must return at once (hand
   * the events off), never block or call back into commits. A write is one commit, or the commits
   * written together (a group commit): all the events of one revision come in one call, also when a
   * replicated batch of several commits shares it.
   */
  public void addCommitListener(Consumer<List<Event>> listener) {
    commitListeners.add(Objects.requireNonNull(listener, "listener"));
  }

  /** Stops calling a listener given to {@link #addCommitListener}. */
  public void removeCommitListener(Consumer<List<Event>> listener) {
    commitListeners.remove(listener);
  }

  /**
   * Applies a transaction atomically and durably, and returns its events with their revisions.
   * Refused with a {@link SvcregException}, before anything is written, if it would lease an
   * address to two services of a network or record an install path twice. A transaction that
   * changes nothing and journals nothing writes nothing.
   *
   * <p>Transactions committed at the same time by several threads are written together (a group
   * commit): each is validated and applied in the order it came, as if alone, and all are on disk
   * with one write and sync (and replicated in one batch, see {@link #replicateTo}) before any of
   * their commits returns.
   */
  public List<Event> commit(Transaction tx) {
    Pending mine = new Pending(tx);
    synchronized (waiting) {
      waiting.add(mine);
    }
    commitLock.lock();
    try {
      if (!mine.done) {
        List<Pending> batch;
        synchronized (waiting) {
          batch = new ArrayList<>(waiting);
          waiting.clear();
        }
        commitBatch(batch);
      }
    } finally {
      commitLock.unlock();
    }
    if (mine.refused != null) {
      throw mine.refused;
    }
    return mine.events;
  }

  /** A transaction waiting to be written, and what became of it. */
  private static final class Pending {
    final Transaction tx;
    boolean done;
    List<Event> events = List.of();
    SvcregException refused;

    Pending(Transaction tx) {
      this.tx = tx;
    }
  }

  /**
   * From now on, hands every commit's batch to {@code r} after it is validated and before it is
   * persisted: refused ({@link StoreFenced}, or any other exception, the replication then being in
   * doubt), nothing is written or applied and every transaction of the batch gets the exception;
   * accepted, the batch is persisted and applied with all its events at the revision {@code r}
   * returned (it must be above {@link #lastRevision}), which becomes the last revision even if no
   * event took it. After a replication in doubt, commits are refused until a replicator is set
   * again (the member caught up, see {@link #applyReplicated}); a batch replicated but not then
   * persisted here (a failed write) leaves the store failed as any failed commit does.
   */
  public void replicateTo(Replicator r) {
    Objects.requireNonNull(r, "replicator");
    commitLock.lock();
    try {
      replicator = r;
      inDoubt = null;
      following = null;
    } finally {
      commitLock.unlock();
    }
  }

  /**
   * From now on refuses every commit with {@link StoreFollowing} (a read-only store, whose reason
   * is that another member leads, at the address {@code leader} gives when one does), until {@link
   * #replicateTo}; {@link #applyReplicated} and {@link #applyRebuilt} go on.
   */
  public void follow(Supplier<Optional<String>> leader) {
    Objects.requireNonNull(leader, "leader");
    commitLock.lock();
    try {
      following = leader;
    } finally {
      commitLock.unlock();
    }
  }

  /** Whether commits are refused because this store follows a leader's log ({@link #follow}). */
  public boolean following() {
    return following != null;
  }

  /**
   * Applies a transaction its leader replicated at {@code revision}, as {@link #commit} would
   * (durably, listeners called) and with all its events at that revision, and returns them. A
   * revision not above {@link #lastRevision} is already applied: ignored (no events). Refused with
   * a {@link SvcregException}, nothing written, as {@link #commit} refuses. Never replicated.
   */
  public List<Event> applyReplicated(Transaction tx, long revision) {
    List<Event> events;
    commitLock.lock();
    try {
      SvcregException unusable = unusable();
      if (unusable != null) {
        throw unusable;
      }
      if (revision <= lastRevision) {
        return List.of();
      }
      Changes changes = changes(tx, new Overlay());
      checkSpace();
      events =
          write(changes, List.of(tx), revision, tx.time().orElseGet(clock::instant), false)
              .getFirst();
      notifyListeners(events);
    } finally {
      commitLock.unlock();
    }
    return events;
  }

  /**
   * Applies {@code tx}, which makes this store's state the one its replicated log held at {@code
   * revision} (read there after the log's history was compacted away), as {@link #applyReplicated}
   * applies a transaction, and drops the journal: the events between the last revision and {@code
   * revision} are not known here, so {@link #eventsSince} any earlier revision says {@link
   * EventsSince.Expired} (clients list again). A revision not above {@link #lastRevision} is
   * ignored.
   */
  public void applyRebuilt(Transaction tx, long revision) {
    commitLock.lock();
    try {
      SvcregException unusable = unusable();
      if (unusable != null) {
        throw unusable;
      }
      if (revision <= lastRevision) {
        return;
      }
      Changes changes = changes(tx, new Overlay());
      checkSpace();
      write(changes, List.of(tx), revision, tx.time().orElseGet(clock::instant), true);
    } finally {
      commitLock.unlock();
    }
  }

  /** Why the store takes no commit now (closed, or failed), or null. */
  private SvcregException unusable() {
    if (closed) {
      return new SvcregException("store " + dir + " is closed");
    }
    if (failure != null) {
      return new SvcregException(
          "store "
              + dir
              + " takes no more commits after a failed one ("
              + failure
              + "); restart the controller");
    }
    return null;
  }

  /** Writes a batch of transactions in one commit; called holding the commit lock. */
  private void commitBatch(List<Pending> batch) {
    SvcregException unusable = unusable();
    if (unusable == null && inDoubt != null) {
      unusable =
          new SvcregException(
              "store "
                  + dir
                  + " takes no commits until it is given a replicator again: the replication of"
                  + " an earlier one may or may not have happened ("
                  + inDoubt
                  + ")");
    }
    if (unusable != null) {
      for (Pending p : batch) {
        p.refused = unusable;
        p.done = true;
      }
      return;
    }
    Overlay overlay = new Overlay();
    List<Pending> accepted = new ArrayList<>();
    for (Pending p : batch) {
      try {
        Changes c = changes(p.tx, overlay);
        if (c.isEmpty() && p.tx.events().isEmpty()) {
          continue;
        }
        overlay.add(c);
        accepted.add(p);
      } catch (SvcregException refused) {
        p.refused = refused;
      }
    }
    if (!accepted.isEmpty()) {
      List<Transaction> txs = accepted.stream().map(p -> p.tx).toList();
      try {
        checkLeading();
        checkSpace();
        Instant now = clock.instant();
        long revision = replicator == null ? 0 : replicate(txs, now);
        List<List<Event>> events = write(overlay.changes(), txs, revision, now, false);
        for (int i = 0; i < accepted.size(); i++) {
          accepted.get(i).events = events.get(i);
        }
      } catch (SvcregException e) {
        accepted.forEach(p -> p.refused = e);
      }
    }
    // one call for the whole batch: replicated, all its events share one revision
    List<Event> written = new ArrayList<>();
    for (Pending p : batch) {
      p.done = true;
      if (p.refused == null) {
        written.addAll(p.events);
      }
    }
    notifyListeners(written);
  }

  /** Refuses a commit ({@link StoreFollowing}) while this store follows a leader's log. */
  private void checkLeading() {
    Supplier<Optional<String>> leader = following;
    if (leader != null) {
      Optional<String> at = leader.get();
      throw new StoreFollowing(
          "this controller is a standby of its high-availability group and does not write; "
              + at.map(a -> "the leader is " + a + ": send writes there")
                  .orElse("no member leads at the moment: retry in a few seconds"),
          at);
    }
  }

  /** Refuses a commit ({@link StoreReadOnly}) while the file system has no space to spare. */
  private void checkSpace() {
    Optional<String> full = space.check();
    if (full.isPresent()) {
      throw new StoreReadOnly(full.get());
    }
  }

  /** Replicates a validated batch committed at {@code now}; returns the revision it takes. */
  private long replicate(List<Transaction> txs, Instant now) {
    long revision;
    try {
      revision = replicator.replicate(txs.stream().map(tx -> tx.at(now)).toList());
    } catch (ReplicationRefused e) {
      throw e; // nothing written anywhere: the store goes on
    } catch (RuntimeException e) {
      inDoubt = describe(e);
      throw new SvcregException(
          "commit refused, nothing was written here: its replication failed and may or may not"
              + " have happened ("
              + inDoubt
              + "); store "
              + dir
              + " takes no commits until it is given a replicator again",
          e);
    }
    if (revision <= lastRevision) {
      inDoubt =
          "the replicator gave revision " + revision + ", not above the last one, " + lastRevision;
      throw new SvcregException(
          "commit refused, nothing was written here: "
              + inDoubt
              + "; store "
              + dir
              + " takes no commits until it is given a replicator again");
    }
    return revision;
  }

  /**
   * Persists and applies validated changes with the events of {@code txs} at {@code time}, all at
   * revision {@code replicated}, or (0) each at one more than the one before, dropping the journal
   * before them if {@code rebuilt}; returns the events of each transaction. A failed write leaves
   * the store failed.
   */
  private List<List<Event>> write(
      Changes changes, List<Transaction> txs, long replicated, Instant time, boolean rebuilt) {
    List<List<Event>> each = new ArrayList<>(txs.size());
    List<Event> added = new ArrayList<>();
    long revision = lastRevision;
    for (Transaction tx : txs) {
      List<Event> mine = new ArrayList<>(tx.events().size());
      for (Transaction.NewEvent e : tx.events()) {
        long r = replicated > 0 ? replicated : ++revision;
        mine.add(new Event(r, time, e.type(), e.key(), e.dataJson()));
      }
      added.addAll(mine);
      each.add(List.copyOf(mine));
    }
    int dropped;
    try {
      dropped = persist(changes, added, replicated, rebuilt);
    } catch (RuntimeException e) {
      failure = describe(e);
      throw new SvcregException("store " + dir + ": a commit failed: " + failure, e);
    }
    apply(changes, added, dropped, replicated, rebuilt);
    return each;
  }

  /** Calls the commit listeners with the events of one write, if it journaled any. */
  private void notifyListeners(List<Event> events) {
    if (events.isEmpty()) {
      return;
    }
    for (Consumer<List<Event>> l : commitListeners) {
      try {
        l.accept(events);
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "a commit listener failed: " + describe(e), e);
      }
    }
  }

  /** The net changes of the transactions of a batch validated so far (the later ones win). */
  private static final class Overlay {
    final Map<String, Change<ObservedService>> services = new LinkedHashMap<>();
    final Map<String, Change<ObservedNetwork>> networks = new LinkedHashMap<>();
    final Map<String, Change<Lease>> leases = new LinkedHashMap<>();
    final Map<String, Change<InventoryEntry>> inventory = new LinkedHashMap<>();
    final Map<String, Change<RegistryEntry>> registry = new LinkedHashMap<>();
    final Map<String, Change<Intent>> intents = new LinkedHashMap<>();
    final Map<String, Change<Ledger>> ledgers = new LinkedHashMap<>();
    final Map<String, Optional<String>> meta = new LinkedHashMap<>();

    void add(Changes c) {
      services.putAll(c.services());
      networks.putAll(c.networks());
      leases.putAll(c.leases());
      inventory.putAll(c.inventory());
      registry.putAll(c.registry());
      intents.putAll(c.intents());
      ledgers.putAll(c.ledgers());
      meta.putAll(c.meta());
    }

    Changes changes() {
      return new Changes(services, networks, leases, inventory, registry, intents, ledgers, meta);
    }
  }

  /** A transaction's net effect per key: the new value and its UTF-8 JSON, or a removal. */
  private record Change<T>(Optional<T> value, byte[] json) {}

  private record Changes(
      Map<String, Change<ObservedService>> services,
      Map<String, Change<ObservedNetwork>> networks,
      Map<String, Change<Lease>> leases,
      Map<String, Change<InventoryEntry>> inventory,
      Map<String, Change<RegistryEntry>> registry,
      Map<String, Change<Intent>> intents,
      Map<String, Change<Ledger>> ledgers,
      Map<String, Optional<String>> meta) {

    boolean isEmpty() {
      return services.isEmpty()
          && networks.isEmpty()
          && leases.isEmpty()
          && inventory.isEmpty()
          && registry.isEmpty()
          && intents.isEmpty()
          && ledgers.isEmpty()
          && meta.isEmpty();
    }
  }

  /**
   * Validates a transaction against the current state (with the changes of the batch before it) and
   * computes its net changes.
   */
  private Changes changes(Transaction tx, Overlay ov) {
    Map<String, Optional<ObservedService>> svc = new LinkedHashMap<>();
    Map<String, Optional<ObservedNetwork>> net = new LinkedHashMap<>();
    Map<String, Optional<Lease>> lease = new LinkedHashMap<>();
    Map<String, Optional<InventoryEntry>> inv = new LinkedHashMap<>();
    Map<String, Optional<RegistryEntry>> reg = new LinkedHashMap<>();
    Map<String, Optional<Intent>> intent = new LinkedHashMap<>();
    Map<String, Optional<Ledger>> ledger = new LinkedHashMap<>();
    Map<String, Optional<String>> kv = new LinkedHashMap<>();
    for (Transaction.Op op : tx.ops()) {
      switch (op) {
        case Transaction.PutService p ->
            svc.put(p.service().metadata().name(), Optional.of(p.service()));
        case Transaction.RemoveService r -> svc.put(r.name(), Optional.empty());
        case Transaction.PutNetwork p ->
            net.put(p.network().metadata().name(), Optional.of(p.network()));
        case Transaction.RemoveNetwork r -> net.put(r.name(), Optional.empty());
        case Transaction.AddLease a -> {
          String key = leaseKey(a.lease());
          Optional<Lease> held = current(lease, ov.leases, leases, key);
          if (held.isPresent() && !held.get().service().equals(a.lease().service())) {
            throw refused(
                "address "
                    + a.lease().address()
                    + " in network "
                    + a.lease().network()
                    + " is leased to service "
                    + held.get().service()
                    + ", it cannot also be leased to "
                    + a.lease().service());
          }
          lease.put(key, Optional.of(a.lease()));
        }
        case Transaction.RemoveLease r -> {
          String key = leaseKey(r.lease());
          Optional<Lease> held = current(lease, ov.leases, leases, key);
          if (held.isPresent() && !held.get().service().equals(r.lease().service())) {
            throw refused(
                "address "
                    + r.lease().address()
                    + " in network "
                    + r.lease().network()
                    + " is leased to service "
                    + held.get().service()
                    + ", not to "
                    + r.lease().service());
          }
          lease.put(key, Optional.empty());
        }
        case Transaction.PutInventory p -> {
          String key = inventoryKey(p.entry());
          checkSameInstall(current(inv, ov.inventory, inventory, key), p.entry());
          inv.put(key, Optional.of(p.entry()));
        }
        case Transaction.RemoveInventory r -> {
          String key = inventoryKey(r.entry());
          checkSameInstall(current(inv, ov.inventory, inventory, key), r.entry());
          inv.put(key, Optional.empty());
        }
        case Transaction.PutRegistryEntry p -> reg.put(p.entry().module(), Optional.of(p.entry()));
        case Transaction.RemoveRegistryEntry r -> reg.put(r.module(), Optional.empty());
        case Transaction.PutIntent p -> intent.put(p.intent().service(), Optional.of(p.intent()));
        case Transaction.RemoveIntent r -> intent.put(r.service(), Optional.empty());
        case Transaction.PutLedger p -> ledger.put(p.ledger().service(), Optional.of(p.ledger()));
        case Transaction.RemoveLedger r -> ledger.put(r.service(), Optional.empty());
        case Transaction.PutMeta p -> kv.put(p.key(), Optional.of(p.value()));
        case Transaction.RemoveMeta r -> kv.put(r.key(), Optional.empty());
      }
    }
    kv.entrySet()
        .removeIf(
            e -> {
              Optional<String> before = ov.meta.get(e.getKey());
              return e.getValue()
                  .equals(before != null ? before : Optional.ofNullable(meta.get(e.getKey())));
            });
    return new Changes(
        encode(svc, ov.services, services),
        encode(net, ov.networks, networks),
        encode(lease, ov.leases, leases),
        encode(inv, ov.inventory, inventory),
        encode(reg, ov.registry, registry),
        encode(intent, ov.intents, intents),
        encode(ledger, ov.ledgers, ledgers),
        kv);
  }

  /** The value of {@code key}: as this transaction, the batch before it, or the store has it. */
  private static <T> Optional<T> current(
      Map<String, Optional<T>> pending,
      Map<String, Change<T>> batch,
      Map<String, T> base,
      String key) {
    Optional<T> p = pending.get(key);
    if (p != null) {
      return p;
    }
    Change<T> b = batch.get(key);
    return b != null ? b.value() : Optional.ofNullable(base.get(key));
  }

  private static void checkSameInstall(Optional<InventoryEntry> held, InventoryEntry entry) {
    if (held.isPresent()
        && !(held.get().service().equals(entry.service())
            && held.get().version().equals(entry.version()))) {
      throw refused(
          "install path "
              + entry.path()
              + " on node "
              + entry.node()
              + " is recorded for service "
              + held.get().service()
              + " version "
              + held.get().version()
              + ", it cannot also be recorded for service "
              + entry.service()
              + " version "
              + entry.version());
    }
  }

  private static SvcregException refused(String why) {
    return new SvcregException("commit refused, nothing was written: " + why);
  }

  /** Drops changes that change nothing and encodes the rest as JSON. */
  private static <T> Map<String, Change<T>> encode(
      Map<String, Optional<T>> pending, Map<String, Change<T>> batch, Map<String, T> base) {
    Map<String, Change<T>> out = new LinkedHashMap<>();
    for (Map.Entry<String, Optional<T>> e : pending.entrySet()) {
      Change<T> b = batch.get(e.getKey());
      Optional<T> now = b != null ? b.value() : Optional.ofNullable(base.get(e.getKey()));
      if (e.getValue().equals(now)) {
        continue;
      }
      byte[] json = null;
      if (e.getValue().isPresent()) {
        try {
          json = Json.mapper().writeValueAsBytes(e.getValue().get());
        } catch (JsonProcessingException x) {
          throw new SvcregException(
              "commit refused, nothing was written: cannot write "
                  + e.getKey()
                  + " as JSON: "
                  + x.getOriginalMessage(),
              x);
        }
      }
      out.put(e.getKey(), new Change<>(e.getValue(), json));
    }
    return out;
  }

  /**
   * Writes the changes to EclipseStore in one commit (with the replicated revision, if not 0, the
   * journal dropped before it if {@code rebuilt}); returns how many old events it dropped.
   */
  private int persist(Changes changes, List<Event> added, long replicated, boolean rebuilt) {
    Set<Object> toStore = Collections.newSetFromMap(new IdentityHashMap<>());
    persistIndex(root.services, changes.services(), toStore);
    persistIndex(root.networks, changes.networks(), toStore);
    persistIndex(root.leases, changes.leases(), toStore);
    persistIndex(root.inventory, changes.inventory(), toStore);
    persistIndex(root.registry, changes.registry(), toStore);
    persistIndex(root.intents, changes.intents(), toStore);
    persistIndex(root.ledgers, changes.ledgers(), toStore);
    if (!changes.meta().isEmpty()) {
      for (Map.Entry<String, Optional<String>> e : changes.meta().entrySet()) {
        if (e.getValue().isPresent()) {
          root.meta.put(e.getKey(), e.getValue().get());
        } else {
          root.meta.remove(e.getKey());
        }
      }
      toStore.add(root.meta);
    }
    if (rebuilt) {
      root.journal.clear();
      root.droppedThrough = replicated;
      toStore.add(root.journal);
      toStore.add(root);
    }
    Set<Object> fresh = Collections.newSetFromMap(new IdentityHashMap<>());
    for (Event e : added) {
      ArrayList<StoredEvent> segment = root.journal.isEmpty() ? null : root.journal.getLast();
      if (segment == null || segment.size() >= segmentSize) {
        // a new segment is stored with the journal list that now references it
        segment = new ArrayList<>(segmentSize);
        root.journal.add(segment);
        fresh.add(segment);
        toStore.add(root.journal);
      } else if (!fresh.contains(segment)) {
        toStore.add(segment);
      }
      segment.add(
          new StoredEvent(
              e.revision(),
              e.time().getEpochSecond(),
              e.time().getNano(),
              e.type(),
              e.key(),
              e.dataJson()));
    }
    long total = (rebuilt ? 0 : events.size()) + added.size();
    int dropped = 0;
    while (root.journal.size() > 1
        && total - root.journal.getFirst().size() >= options.retainedEvents()) {
      ArrayList<StoredEvent> oldest = root.journal.removeFirst();
      total -= oldest.size();
      dropped += oldest.size();
      root.droppedThrough = oldest.getLast().revision;
      toStore.remove(oldest);
      toStore.add(root.journal);
      toStore.add(root);
    }
    if (replicated > 0) {
      root.replicatedRevision = replicated;
      toStore.add(root);
    }
    if (storer == null) {
      storer = manager.createStorer();
    }
    try {
      for (Object o : toStore) {
        storer.store(o);
      }
      storer.commit();
    } catch (RuntimeException e) {
      storer = null; // what it holds of the failed commit is not carried into the next one
      throw e;
    }
    return dropped;
  }

  /**
   * Initializes EclipseStore's logging with a context class loader that lists no jar manifests.
   * EclipseStore looks up its own version there, reading the manifest of every jar on the class
   * path in search of a bundle name that none of them has (2.1.3 asks for "serializer-base"); for
   * the signed Bouncy Castle jars that means verifying their signatures, a few hundred milliseconds
   * of CPU at every start. Without manifests it takes its version from its pom.properties at once.
   */
  private static void initializeEclipseStoreLogging() {
    Thread t = Thread.currentThread();
    ClassLoader before = t.getContextClassLoader();
    ClassLoader own = Store.class.getClassLoader();
    t.setContextClassLoader(
        new ClassLoader(own) {
          @Override
          public java.util.Enumeration<java.net.URL> getResources(String name) throws IOException {
            return name.equals("META-INF/MANIFEST.MF")
                ? Collections.emptyEnumeration()
                : super.getResources(name);
          }
        });
    try {
      Class.forName("org.eclipse.serializer.util.logging.Logging", true, own);
    } catch (ClassNotFoundException e) {
      throw new ExceptionInInitializerError(e);
    } finally {
      t.setContextClassLoader(before);
    }
  }

  private static <T> void persistIndex(
      ArrayList<HashMap<String, Object>> index,
      Map<String, Change<T>> changes,
      Set<Object> toStore) {
    for (Map.Entry<String, Change<T>> e : changes.entrySet()) {
      HashMap<String, Object> bucket = StoreRoot.bucket(index, e.getKey());
      Object holder = bucket.get(e.getKey());
      if (e.getValue().value().isPresent()) {
        byte[] json = e.getValue().json();
        switch (holder) {
          case null -> {
            bucket.put(e.getKey(), new Utf8Holder(json));
            toStore.add(bucket);
          }
          case Utf8Holder h -> {
            h.json = json;
            toStore.add(h);
          }
          case Holder h -> {
            // written before Utf8Holder: updated in place, so the commit stays one small entity
            h.json = new String(json, StandardCharsets.UTF_8);
            toStore.add(h);
          }
          default ->
              throw new IllegalStateException("unknown holder " + holder.getClass().getName());
        }
      } else if (holder != null) {
        bucket.remove(e.getKey());
        toStore.add(bucket);
      }
    }
  }

  /** Applies a persisted commit to the in-memory view. */
  private void apply(
      Changes changes, List<Event> added, int dropped, long replicated, boolean rebuilt) {
    view.writeLock().lock();
    try {
      if (rebuilt) {
        events.clear();
        droppedThrough = replicated;
      }
      applyIndex(changes.services(), services);
      applyIndex(changes.networks(), networks);
      for (Map.Entry<String, Change<Lease>> e : changes.leases().entrySet()) {
        Lease old = leases.get(e.getKey());
        if (old != null) {
          indexLease(old, false);
        }
        e.getValue().value().ifPresent(l -> indexLease(l, true));
      }
      applyIndex(changes.leases(), leases);
      for (Map.Entry<String, Change<InventoryEntry>> e : changes.inventory().entrySet()) {
        InventoryEntry old = inventory.get(e.getKey());
        if (old != null) {
          indexInventory(old, false);
        }
        e.getValue().value().ifPresent(x -> indexInventory(x, true));
      }
      applyIndex(changes.inventory(), inventory);
      applyIndex(changes.registry(), registry);
      applyIndex(changes.intents(), intents);
      applyIndex(changes.ledgers(), ledgers);
      for (Map.Entry<String, Optional<String>> e : changes.meta().entrySet()) {
        if (e.getValue().isPresent()) {
          meta.put(e.getKey(), e.getValue().get());
        } else {
          meta.remove(e.getKey());
        }
      }
      events.addAll(added);
      if (dropped > 0) {
        droppedThrough = events.get(dropped - 1).revision();
      }
      events.subList(0, dropped).clear();
      if (replicated > 0) {
        lastRevision = replicated;
      } else if (!added.isEmpty()) {
        lastRevision = added.getLast().revision();
      }
      observedCache = null;
    } finally {
      view.writeLock().unlock();
    }
  }

  private static <T> void applyIndex(Map<String, Change<T>> changes, Map<String, T> into) {
    for (Map.Entry<String, Change<T>> e : changes.entrySet()) {
      if (e.getValue().value().isPresent()) {
        into.put(e.getKey(), e.getValue().value().get());
      } else {
        into.remove(e.getKey());
      }
    }
  }

  private void indexLease(Lease l, boolean add) {
    List<Lease> mine = leasesByService.computeIfAbsent(l.service(), k -> new ArrayList<>(1));
    if (add) {
      mine.add(l);
      leasesByNetwork.merge(l.network(), 1, Integer::sum);
    } else {
      mine.remove(l);
      if (mine.isEmpty()) {
        leasesByService.remove(l.service());
      }
      leasesByNetwork.merge(l.network(), -1, (a, b) -> a + b == 0 ? null : a + b);
    }
  }

  private void indexInventory(InventoryEntry e, boolean add) {
    List<InventoryEntry> mine =
        inventoryByService.computeIfAbsent(e.service(), k -> new ArrayList<>(1));
    if (add) {
      mine.add(e);
    } else {
      mine.remove(e);
      if (mine.isEmpty()) {
        inventoryByService.remove(e.service());
      }
    }
  }

  private static String leaseKey(Lease l) {
    return l.network() + "/" + l.address();
  }

  private static String inventoryKey(InventoryEntry e) {
    return e.node() + "\n" + e.path();
  }

  // ---------------------------------------------------------------- lifecycle

  /** Stops EclipseStore's threads and releases the store's lock. */
  @Override
  public void close() {
    commitLock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      shutdown();
    } finally {
      commitLock.unlock();
    }
  }

  private void shutdown() {
    try {
      manager.shutdown();
    } finally {
      writer.close();
      StoreFiles.closeQuietly(lock);
    }
  }

  private static void shutdownQuietly(
      EmbeddedStorageManager manager, DurableWriter writer, Exception cause) {
    try {
      manager.shutdown();
    } catch (RuntimeException e) {
      cause.addSuppressed(e);
    } finally {
      writer.close();
    }
  }

  private static void deleteQuietly(Path tree) {
    if (tree != null) {
      try {
        StoreFiles.deleteTree(tree);
      } catch (IOException ignored) {
        // a leftover copy is replaced by the next open
      }
    }
  }

  /** One line: the failure and its root cause, without stack traces. */
  static String describe(Throwable e) {
    StringBuilder b = new StringBuilder();
    Throwable t = e;
    for (int depth = 0; t != null && depth < 6; depth++, t = t.getCause()) {
      String m = t.getMessage();
      if ((m == null || m.isBlank()) && t.getCause() != null) {
        continue;
      }
      String line = m == null || m.isBlank() ? t.getClass().getSimpleName() : firstLine(m);
      if (b.indexOf(line) < 0) {
        b.append(b.isEmpty() ? "" : ": ").append(line);
      }
    }
    return b.toString();
  }

  private static String firstLine(String s) {
    int cut = s.indexOf('\n');
    return (cut < 0 ? s : s.substring(0, cut)).strip();
  }

  /** The store cannot be read: corrupt, or of another format. */
  private static final class Unreadable extends Exception {
    Unreadable(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
