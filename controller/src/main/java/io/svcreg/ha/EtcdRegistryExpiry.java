package io.svcreg.ha;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.svcreg.store.RegistryEntry;
import io.svcreg.store.ReplicatedState;
import io.svcreg.store.Store;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The leader's part in registry leases kept by etcd: each published entry's key under {@code
 * {prefix}state/registry/} is on an etcd lease of the entry's TTL ({@link EtcdReplicator}), so etcd
 * deletes it when the lease expires, whichever member published it and whether or not any member
 * leads then. This watches those keys from the store's revision on and hands each entry whose key
 * etcd deleted to {@code expired} (which records the removal if the store still holds that very
 * entry: a removal the leader made itself, or a newer publish, is not one). When it starts, it also
 * hands over every entry the store holds whose key etcd no longer has (expired before this member
 * watched). jetcd's callbacks only queue work on a thread of its own.
 */
final class EtcdRegistryExpiry implements AutoCloseable {

  private static final Logger LOG = System.getLogger(EtcdRegistryExpiry.class.getName());

  private final Client client;
  private final Store store;
  private final LogKeys keys;
  private final Duration timeout;
  private final Predicate<RegistryEntry> expired;
  private final ScheduledExecutorService driver =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().name("svcreg-registry-expiry").daemon().factory());
  private Watch.Watcher watcher;
  private boolean closed;

  private EtcdRegistryExpiry(
      Client client,
      Store store,
      LogKeys keys,
      Duration timeout,
      Predicate<RegistryEntry> expired) {
    this.client = client;
    this.store = store;
    this.keys = keys;
    this.timeout = timeout;
    this.expired = expired;
  }

  /** Starts watching (after the sweep of what expired before), on a thread of its own. */
  static EtcdRegistryExpiry start(
      Client client,
      Store store,
      LogKeys keys,
      Duration timeout,
      Predicate<RegistryEntry> expired) {
    EtcdRegistryExpiry e = new EtcdRegistryExpiry(client, store, keys, timeout, expired);
    e.run(e::sweep);
    return e;
  }

  private ByteSequence prefix() {
    return keys.state(ReplicatedState.REGISTRY_PREFIX);
  }

  /** Hands over the entries whose keys are gone, then watches from the revision it read at. */
  private void sweep() {
    if (closed) {
      return;
    }
    GetResponse r;
    try {
      r =
          client
              .getKVClient()
              .get(prefix(), GetOption.builder().isPrefix(true).withKeysOnly(true).build())
              .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      LOG.log(
          Level.WARNING,
          "registry: cannot read the entries' keys in etcd ({0}); trying again",
          Fence.reason(e));
      retry();
      return;
    }
    Set<String> present = new HashSet<>();
    for (KeyValue kv : r.getKvs()) {
      present.add(keys.stateKey(kv.getKey()));
    }
    for (RegistryEntry e : store.registryEntries()) {
      if (!present.contains(ReplicatedState.REGISTRY_PREFIX + e.module())) {
        hand(e);
      }
    }
    long from = r.getHeader().getRevision() + 1;
    watcher =
        client
            .getWatchClient()
            .watch(
                prefix(),
                WatchOption.builder()
                    .isPrefix(true)
                    .withPrevKV(true)
                    .withRevision(from)
                    .withRequireLeader(true)
                    .build(),
                Watch.listener(
                    response -> run(() -> received(response)), t -> run(this::watchFailed)));
  }

  private void received(WatchResponse r) {
    if (closed) {
      return;
    }
    for (WatchEvent e : r.getEvents()) {
      if (e.getEventType() != WatchEvent.EventType.DELETE) {
        continue;
      }
      KeyValue prev = e.getPrevKV();
      if (prev == null || prev.getValue().isEmpty()) {
        continue;
      }
      String key = keys.stateKey(e.getKeyValue().getKey());
      try {
        hand(ReplicatedState.registryEntry(key, prev.getValue().getBytes()));
      } catch (RuntimeException x) {
        LOG.log(Level.WARNING, "registry: " + key + " deleted in etcd: " + x.getMessage());
      }
    }
  }

  /** Hands an entry whose lease etcd expired to the registry. */
  private void hand(RegistryEntry e) {
    try {
      if (expired.test(e)) {
        LOG.log(Level.INFO, "registry: {0}: its etcd lease expired; removed", e.module());
      }
    } catch (RuntimeException x) {
      // e.g. no longer leading: the next leader sweeps
      LOG.log(
          Level.WARNING,
          "registry: {0}: its etcd lease expired, but the removal was not recorded: {1}",
          e.module(),
          x.getMessage());
    }
  }

  /** The watch failed (etcd went away, compaction): sweep and watch again, shortly. */
  private void watchFailed() {
    if (watcher != null) {
      watcher.close();
      watcher = null;
    }
    retry();
  }

  private void retry() {
    driver.schedule(() -> run(this::sweep), 1, TimeUnit.SECONDS);
  }

  private void run(Runnable task) {
    Drivers.run(driver, task);
  }

  /** Stops watching. */
  @Override
  public void close() {
    Drivers.stop(
        driver,
        () -> {
          closed = true;
          if (watcher != null) {
            watcher.close();
            watcher = null;
          }
        },
        Duration.ofSeconds(5));
  }
}
