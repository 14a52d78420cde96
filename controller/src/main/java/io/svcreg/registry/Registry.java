package io.svcreg.registry;

import io.svcreg.store.Event;
import io.svcreg.store.RegistryEntry;
import io.svcreg.store.Store;
import io.svcreg.store.StoreReadOnly;
import io.svcreg.store.Transaction;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The dynamic registry: modules publish their APIs under a lease, clients discover them, leases
 * that are not refreshed expire. Entries are durable store entities with absolute expiry times, so
 * a restarted controller keeps each lease's remaining time. Every change is one store commit,
 * synced before the call returns; expired entries are removed by a timer with a {@code
 * service_removed} event. Time comes from the injected clock. Thread-safe.
 */
public final class Registry implements AutoCloseable {

  private static final Logger LOG = System.getLogger(Registry.class.getName());

  /** The event key prefix of published entries ({@code Published/<module>}). */
  public static final String KEY_PREFIX = "Published/";

  /**
   * How leases behave.
   *
   * @param defaultTtl the lease of a publish that gives no ttl
   * @param minTtl the shortest lease a publish may ask for
   * @param maxTtl the longest lease a publish may ask for
   * @param discoverRefreshes whether a discover of a module refreshes its lease (a heartbeat)
   * @param expiryBatch how many expired entries one commit removes at most (others' commits go in
   *     between)
   */
  public record Options(
      Duration defaultTtl,
      Duration minTtl,
      Duration maxTtl,
      boolean discoverRefreshes,
      int expiryBatch) {

    /** 30 s leases (1 s to 24 h may be asked for), discovery does not refresh, batches of 64. */
    public static final Options DEFAULTS =
        new Options(Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofHours(24), false, 64);

    public Options {
      if (minTtl.compareTo(defaultTtl) > 0 || defaultTtl.compareTo(maxTtl) > 0) {
        throw new IllegalArgumentException("expected minTtl <= defaultTtl <= maxTtl");
      }
      if (expiryBatch < 1) {
        throw new IllegalArgumentException("expiryBatch must be at least 1");
      }
    }

    /** These options with discovery refreshing leases or not. */
    public Options withDiscoverRefreshes(boolean refreshes) {
      return new Options(defaultTtl, minTtl, maxTtl, refreshes, expiryBatch);
    }

    /** These options with another default lease. */
    public Options withDefaultTtl(Duration ttl) {
      return new Options(
          ttl,
          ttl.compareTo(minTtl) < 0 ? ttl : minTtl,
          ttl.compareTo(maxTtl) > 0 ? ttl : maxTtl,
          discoverRefreshes,
          expiryBatch);
    }
  }

  /**
   * A publish: the module, its process (empty: none given), its APIs and the lease asked for
   * (empty: the default).
   */
  public record Publish(
      String module,
      Optional<String> process,
      List<RegistryEntry.Api> apis,
      Optional<Duration> ttl) {

    public Publish {
      Objects.requireNonNull(module, "module");
      Objects.requireNonNull(process, "process");
      apis = List.copyOf(apis);
      Objects.requireNonNull(ttl, "ttl");
    }
  }

  /** What a publish did. */
  public enum Outcome {
    /** A new module. */
    REGISTERED,
    /** The module's APIs or process changed. */
    UPDATED,
    /** The same content again: only the lease was refreshed. */
    REFRESHED;

    /** The word on the wire. */
    public String wireName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** The entry a publish left, what it did, and the revision of its event (0: none). */
  public record Published(RegistryEntry entry, Outcome outcome, long revision) {}

  private final Store store;
  private final InstantSource clock;
  private final Options options;
  private final Instant startedAt;

  /**
   * A change of one module holds the read lock and that module's stripe, so changes of different
   * modules commit together (one durable write for all that arrive at once); an expiry batch, which
   * reads and removes many, holds the write lock. Fair, so requests get in between the expiry's
   * batches.
   */
  private final ReentrantReadWriteLock all = new ReentrantReadWriteLock(true);

  private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];

  /** How many stripes the modules' locks spread over. */
  static final int STRIPES = 256;

  private final ScheduledExecutorService timer;
  private final Object wakeLock = new Object();
  private ScheduledFuture<?> wake;
  private Instant wakeAt;

  /** Whether entries are removed when etcd expires their leases, not by the timer. */
  private volatile boolean expiredByEtcd;

  private Registry(Store store, InstantSource clock, Options options) {
    this.store = store;
    this.clock = clock;
    this.options = options;
    this.startedAt = clock.instant();
    for (int i = 0; i < STRIPES; i++) {
      stripes[i] = new ReentrantLock();
    }
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().name("svcreg-registry").daemon().unstarted(r));
  }

  /**
   * The registry of {@code store}: removes the entries that expired while the controller was down
   * (with events) and starts the expiry timer.
   */
  public static Registry start(Store store, InstantSource clock, Options options) {
    Registry r = new Registry(store, clock, options);
    r.tick();
    return r;
  }

  /** The options it runs with. */
  public Options options() {
    return options;
  }

  /** When this registry started (for its uptime). */
  public Instant startedAt() {
    return startedAt;
  }

  // ------------------------------------------------------------------ operations

  /** Takes the read lock and {@code module}'s stripe; returns the stripe, for {@link #unlock}. */
  private ReentrantLock lockModule(String module) {
    all.readLock().lock();
    ReentrantLock stripe = stripes[Math.floorMod(module.hashCode(), STRIPES)];
    stripe.lock();
    return stripe;
  }

  private void unlock(ReentrantLock stripe) {
    stripe.unlock();
    all.readLock().unlock();
  }

  /**
   * Publishes a module's APIs: a new module is {@code service_registered}, changed APIs or another
   * process (a restarted one replaces the entry) are {@code service_updated}, the same content only
   * refreshes the lease (no event). Durable when it returns.
   *
   * @throws IllegalArgumentException when the publish is not valid (one line for the user)
   */
  public Published publish(Publish p) {
    RegistryRules.check(p, options);
    Duration ttl = p.ttl().orElse(options.defaultTtl());
    ReentrantLock module = lockModule(p.module());
    try {
      Instant now = clock.instant();
      Optional<RegistryEntry> stored = store.registryEntry(p.module());
      Optional<RegistryEntry> old = live(stored, now);
      RegistryEntry entry =
          new RegistryEntry(
              p.module(), p.process().orElse(""), p.apis(), ttl.toMillis(), now.plus(ttl));
      Transaction tx = new Transaction().putRegistryEntry(entry);
      Outcome outcome;
      if (old.isEmpty()) {
        if (stored.isPresent()) {
          // expired, and the timer has not removed it yet: watchers see it go first
          tx.event(Event.SERVICE_REMOVED, key(p.module()), removed(stored.get(), "expired"));
        }
        outcome = Outcome.REGISTERED;
        tx.event(Event.SERVICE_REGISTERED, key(p.module()), describe(entry, Map.of()));
      } else if (!old.get().sameContent(entry)) {
        outcome = Outcome.UPDATED;
        Map<String, Object> extra = new LinkedHashMap<>();
        if (!old.get().process().equals(entry.process())) {
          extra.put("replacedProcess", old.get().process());
        }
        tx.event(Event.SERVICE_UPDATED, key(p.module()), describe(entry, extra));
      } else {
        outcome = Outcome.REFRESHED;
      }
      List<Event> events = store.commit(tx);
      wakeBy(entry.expiresAt());
      return new Published(entry, outcome, events.isEmpty() ? 0 : events.getLast().revision());
    } finally {
      unlock(module);
    }
  }

  /**
   * The live entry of a module, if any; refreshes its lease when discovery is configured to (a
   * durable write).
   */
  public Optional<RegistryEntry> discover(String module) {
    Optional<RegistryEntry> e = live(store.registryEntry(module), clock.instant());
    if (e.isEmpty() || !options.discoverRefreshes()) {
      return e;
    }
    ReentrantLock held = lockModule(module);
    try {
      Instant now = clock.instant();
      Optional<RegistryEntry> cur = live(store.registryEntry(module), now);
      if (cur.isEmpty()) {
        return cur;
      }
      RegistryEntry c = cur.get();
      RegistryEntry refreshed =
          new RegistryEntry(
              c.module(), c.process(), c.apis(), c.ttlMillis(), now.plusMillis(c.ttlMillis()));
      store.commit(new Transaction().putRegistryEntry(refreshed));
      return Optional.of(refreshed);
    } finally {
      unlock(held);
    }
  }

  /** Every live entry, sorted by module. */
  public List<RegistryEntry> entries() {
    Instant now = clock.instant();
    List<RegistryEntry> out = new ArrayList<>();
    for (RegistryEntry e : store.registryEntries()) {
      if (e.expiresAt().isAfter(now)) {
        out.add(e);
      }
    }
    return out;
  }

  /**
   * Removes a module's entry ({@code service_removed}); with a process, only when the entry is that
   * process's. Whether something was removed: an unknown module (or another process) is not an
   * error, it removes nothing.
   */
  public boolean unpublish(String module, Optional<String> process) {
    ReentrantLock held = lockModule(module);
    try {
      Optional<RegistryEntry> e = store.registryEntry(module);
      if (e.isEmpty() || (process.isPresent() && !process.get().equals(e.get().process()))) {
        return false;
      }
      Transaction tx = new Transaction().removeRegistryEntry(module);
      tx.event(Event.SERVICE_REMOVED, key(module), removed(e.get(), "unpublished"));
      store.commit(tx);
      return true;
    } finally {
      unlock(held);
    }
  }

  /**
   * Removes every entry whose lease has expired by now, in commits of at most {@link
   * Options#expiryBatch} (each removal with a {@code service_removed} event, reason {@code
   * expired}); how many it removed. The timer calls it; tests call it after moving the clock.
   */
  public int expire() {
    int removed = 0;
    while (true) {
      all.writeLock().lock();
      try {
        Instant now = clock.instant();
        Transaction tx = new Transaction();
        int n = 0;
        for (RegistryEntry e : store.registryEntries()) {
          if (!e.expiresAt().isAfter(now)) {
            tx.removeRegistryEntry(e.module());
            tx.event(Event.SERVICE_REMOVED, key(e.module()), removed(e, "expired"));
            if (++n >= options.expiryBatch()) {
              break;
            }
          }
        }
        if (n == 0) {
          return removed;
        }
        store.commit(tx);
        removed += n;
      } finally {
        all.writeLock().unlock();
      }
    }
  }

  /**
   * From now on the timer removes nothing: a member of a high-availability group keeps each entry
   * on an etcd lease of its TTL, and its leader removes an entry when etcd expired its lease
   * ({@link #expiredInEtcd}), whichever member published it and whoever leads.
   */
  public void leaveExpiryToEtcd() {
    expiredByEtcd = true;
    synchronized (wakeLock) {
      if (wake != null) {
        wake.cancel(false);
      }
      wake = null;
      wakeAt = null;
    }
  }

  /**
   * Removes {@code seen}'s module, with a {@code service_removed} event (reason {@code expired}),
   * if the store still holds exactly {@code seen}: etcd expired the lease of that entry (a publish
   * since then is a newer entry, on a lease of its own). Whether it removed it.
   */
  public boolean expiredInEtcd(RegistryEntry seen) {
    ReentrantLock held = lockModule(seen.module());
    try {
      Optional<RegistryEntry> stored = store.registryEntry(seen.module());
      if (stored.isEmpty() || !stored.get().equals(seen)) {
        return false;
      }
      Transaction tx = new Transaction();
      tx.removeRegistryEntry(seen.module());
      tx.event(Event.SERVICE_REMOVED, key(seen.module()), removed(seen, "expired"));
      store.commit(tx);
      return true;
    } finally {
      unlock(held);
    }
  }

  // ------------------------------------------------------------------ expiry timer

  private void tick() {
    synchronized (wakeLock) {
      wake = null;
      wakeAt = null;
    }
    if (expiredByEtcd) {
      return;
    }
    try {
      int n = expire();
      if (n > 0) {
        LOG.log(Level.INFO, "registry: " + n + " expired lease(s) removed");
      }
      Instant next = null;
      for (RegistryEntry e : store.registryEntries()) {
        if (next == null || e.expiresAt().isBefore(next)) {
          next = e.expiresAt();
        }
      }
      if (next != null) {
        wakeBy(next);
      }
    } catch (StoreReadOnly e) {
      // the store said so when it became read-only; the leases expire once it takes commits
      wakeBy(clock.instant().plusSeconds(5));
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "registry: cannot remove expired leases: " + e.getMessage(), e);
      wakeBy(clock.instant().plusSeconds(1));
    }
  }

  /** Makes the timer run no later than {@code at}. */
  private void wakeBy(Instant at) {
    if (expiredByEtcd) {
      return;
    }
    synchronized (wakeLock) {
      if (wakeAt != null && !at.isBefore(wakeAt)) {
        return;
      }
      if (wake != null) {
        wake.cancel(false);
      }
      long delay = Math.max(0, Duration.between(clock.instant(), at).toMillis()) + 1;
      try {
        wake = timer.schedule(this::tick, delay, TimeUnit.MILLISECONDS);
        wakeAt = at;
      } catch (RejectedExecutionException e) {
        // closed
      }
    }
  }

  /** Stops the expiry timer (the entries stay in the store). */
  @Override
  public void close() {
    timer.shutdownNow();
  }

  // ------------------------------------------------------------------ helpers

  private static Optional<RegistryEntry> live(Optional<RegistryEntry> e, Instant now) {
    return e.filter(x -> x.expiresAt().isAfter(now));
  }

  /** The event key of a module's entry. */
  public static String key(String module) {
    return KEY_PREFIX + module;
  }

  /**
   * A published entry as events and the subscription snapshot carry it: module, process (when
   * given), {@code source: "published"}, apis, ttl and expiresAt.
   */
  public static Map<String, Object> describe(RegistryEntry e) {
    return describe(e, Map.of());
  }

  private static Map<String, Object> describe(RegistryEntry e, Map<String, Object> extra) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("module", e.module());
    if (!e.process().isEmpty()) {
      d.put("process", e.process());
    }
    d.put("source", "published");
    d.put("apis", e.apis());
    d.put("ttl", RegistryRules.duration(e.ttlMillis()));
    d.put("expiresAt", e.expiresAt().toString());
    d.putAll(extra);
    return d;
  }

  private static Map<String, Object> removed(RegistryEntry e, String reason) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("module", e.module());
    if (!e.process().isEmpty()) {
      d.put("process", e.process());
    }
    d.put("source", "published");
    d.put("reason", reason);
    return d;
  }
}
