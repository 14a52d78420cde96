package io.svcreg.ha;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.lease.LeaseGrantResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.PutOption;
import io.svcreg.core.Lease;
import io.svcreg.core.SvcregException;
import io.svcreg.store.RegistryEntry;
import io.svcreg.store.ReplicatedState;
import io.svcreg.store.ReplicatedState.LeaseChange;
import io.svcreg.store.ReplicationRefused;
import io.svcreg.store.Replicator;
import io.svcreg.store.Store;
import io.svcreg.store.StoreFenced;
import io.svcreg.store.Transaction;
import io.svcreg.store.TransactionCodec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * A leader's {@link Replicator} on etcd: each batch is one transaction, guarded by the leader's
 * {@link Fence}, that puts {@code {prefix}log} (the batch as one transaction's JSON, {@link
 * TransactionCodec}; the put's mod revision is the batch's revision) and writes the batch's changes
 * under {@code {prefix}state/} ({@link ReplicatedState}), so that the whole state can be read at
 * any one revision. It commits only if the log holds nothing the leader's store has not applied and
 * each address the batch leases or releases is held in etcd as the store thought: no two services
 * ever hold one address, even across a failover.
 */
public final class EtcdReplicator implements Replicator {

  /**
   * etcd's default {@code --max-txn-ops}: how many comparisons, or operations, one transaction may
   * hold, those of the transactions nested in it counted in.
   */
  public static final int MAX_TXN_OPS = 128;

  private final KV kv;
  private final io.etcd.jetcd.Lease lease;
  private final Supplier<Optional<Fence>> fence;
  private final LongSupplier applied;
  private final LogKeys keys;
  private final Duration timeout;
  private final int maxTxnOps;

  private EtcdReplicator(
      KV kv,
      io.etcd.jetcd.Lease lease,
      Supplier<Optional<Fence>> fence,
      LongSupplier applied,
      LogKeys keys,
      Duration timeout,
      int maxTxnOps) {
    this.kv = kv;
    this.lease = lease;
    this.fence = fence;
    this.applied = applied;
    this.keys = keys;
    this.timeout = timeout;
    this.maxTxnOps = maxTxnOps;
  }

  /**
   * A replicator of {@code store}'s commits under the default prefix {@code /svcreg/}, fenced by
   * {@code fence} (empty while this member does not lead, e.g. {@link Leadership#fence}), each
   * waiting at most {@code timeout} for etcd.
   */
  public static EtcdReplicator of(
      Client client, Supplier<Optional<Fence>> fence, Store store, Duration timeout) {
    return of(client, fence, store, LogKeys.DEFAULT_PREFIX, timeout);
  }

  /** A replicator of {@code store}'s commits under {@code prefix} (starting and ending in '/'). */
  public static EtcdReplicator of(
      Client client,
      Supplier<Optional<Fence>> fence,
      Store store,
      String prefix,
      Duration timeout) {
    return new EtcdReplicator(
        client.getKVClient(),
        client.getLeaseClient(),
        fence,
        store::lastRevision,
        new LogKeys(prefix),
        timeout,
        MAX_TXN_OPS);
  }

  /** This replicator for an etcd whose {@code --max-txn-ops} is {@code max}. */
  public EtcdReplicator withMaxTxnOps(int max) {
    return new EtcdReplicator(kv, lease, fence, applied, keys, timeout, max);
  }

  @Override
  public long replicate(List<Transaction> batch) {
    Fence f =
        fence
            .get()
            .orElseThrow(
                () -> new StoreFenced("this member does not lead: nothing was replicated"));
    Transaction merged = Transaction.merge(batch);
    long deadline0 = System.nanoTime() + timeout.toNanos();
    List<Op> ops = ops(merged, registryLeases(merged, deadline0));
    List<LeaseChange> leases = ReplicatedState.leaseChanges(merged);
    long applied = this.applied.getAsLong();
    long deadline = System.nanoTime() + timeout.toNanos();
    Map<String, Optional<byte[]>> before = guess(leases);
    for (int attempt = 1; ; attempt++) {
      List<Cmp> conditions = new ArrayList<>();
      // the log has nothing at a revision above the store's: no commit of an earlier leader missed
      conditions.add(new Cmp(keys.log(), Cmp.Op.LESS, CmpTarget.modRevision(applied + 1)));
      before.forEach((key, held) -> conditions.add(held(key, held)));
      checkSize(conditions.size(), ops.size());
      FencedWrite written = await(f.write(kv, conditions, ops), deadline);
      switch (written) {
        case FencedWrite.Written w -> {
          return w.revision();
        }
        case FencedWrite.Deposed d ->
            throw new StoreFenced(
                "this member no longer leads (its leadership of epoch "
                    + d.epoch()
                    + " ended): nothing was replicated");
        case FencedWrite.Unreachable u ->
            throw new SvcregException(
                "etcd did not answer ("
                    + u.reason()
                    + "): the commit may or may not be replicated");
        case FencedWrite.Conflict c -> {
          Map<String, Optional<byte[]>> actual = read(before.keySet(), deadline);
          refuseTaken(leases, actual);
          refuseBehind(applied, deadline);
          if (attempt > 1) {
            throw new ReplicationRefused(
                "commit refused, nothing was replicated: the replicated log or the leases it"
                    + " changes were changed in etcd meanwhile");
          }
          // e.g. the batch leases an address again to the service that holds it
          before = actual;
        }
      }
    }
  }

  /**
   * For each registry entry the batch puts, a new etcd lease of the entry's remaining TTL (whole
   * seconds, rounded up, at least 1): etcd deletes the entry's key when it expires, which the
   * leader then records ({@link EtcdRegistryExpiry}). A refreshed entry gets a new lease; the old
   * one then expires holding nothing.
   */
  private Map<String, Long> registryLeases(Transaction merged, long deadline) {
    Map<String, CompletableFuture<LeaseGrantResponse>> granted = new LinkedHashMap<>();
    Instant now = Instant.now();
    ReplicatedState.writes(merged)
        .forEach(
            (key, value) -> {
              if (key.startsWith(ReplicatedState.REGISTRY_PREFIX) && value.isPresent()) {
                RegistryEntry e = ReplicatedState.registryEntry(key, value.get());
                long millis = Duration.between(now, e.expiresAt()).toMillis();
                long seconds = Math.max(1, (millis + 999) / 1000);
                granted.put(key, lease.grant(seconds));
              }
            });
    Map<String, Long> ids = new HashMap<>();
    granted.forEach((key, f) -> ids.put(key, await(f, deadline).getID()));
    return ids;
  }

  /** The puts of the log and the batch's writes under the state. */
  private List<Op> ops(Transaction merged, Map<String, Long> leases) {
    List<Op> ops = new ArrayList<>();
    ops.add(
        Op.put(
            keys.log(),
            ByteSequence.from(TransactionCodec.toJson(merged), UTF_8),
            PutOption.DEFAULT));
    ReplicatedState.writes(merged)
        .forEach(
            (key, value) ->
                ops.add(
                    value.isPresent()
                        ? Op.put(
                            keys.state(key),
                            ByteSequence.from(value.get()),
                            leases.containsKey(key)
                                ? PutOption.builder().withLeaseId(leases.get(key)).build()
                                : PutOption.DEFAULT)
                        : Op.delete(keys.state(key), DeleteOption.DEFAULT)));
    return ops;
  }

  /**
   * What each lease key the batch touches should hold before it, as the store saw it: none if the
   * batch first leases it, the releasing service's lease if it first releases it.
   */
  private static Map<String, Optional<byte[]>> guess(List<LeaseChange> leases) {
    Map<String, Optional<byte[]>> before = new LinkedHashMap<>();
    for (LeaseChange c : leases) {
      before.putIfAbsent(
          ReplicatedState.leaseKey(c.lease()),
          c.add() ? Optional.empty() : Optional.of(ReplicatedState.value(c.lease())));
    }
    return before;
  }

  /** The condition that lease key {@code key} holds {@code held} (none: it does not exist). */
  private Cmp held(String key, Optional<byte[]> held) {
    return held.isEmpty()
        ? new Cmp(keys.state(key), Cmp.Op.EQUAL, CmpTarget.createRevision(0))
        : new Cmp(keys.state(key), Cmp.Op.EQUAL, CmpTarget.value(ByteSequence.from(held.get())));
  }

  /**
   * Refuses, before anything is written, a batch etcd would refuse: the fence's transaction holds
   * the conditions and the ops in one nested in it, and etcd counts the comparisons (or operations)
   * of all levels against one limit.
   */
  private void checkSize(int conditions, int ops) {
    int needed = 1 + Math.max(conditions, ops);
    if (needed > maxTxnOps) {
      throw new ReplicationRefused(
          "commit refused, nothing was replicated: it needs "
              + needed
              + " operations in one etcd transaction and etcd takes "
              + maxTxnOps
              + " (its --max-txn-ops): commit in smaller transactions, or raise --max-txn-ops on"
              + " every etcd member and give svcreg the same limit");
    }
  }

  /** Refuses the batch when the log went past the store's revision {@code applied}. */
  private void refuseBehind(long applied, long deadline) {
    GetResponse log = await(kv.get(keys.log()), deadline);
    long head = log.getKvs().isEmpty() ? 0 : log.getKvs().getFirst().getModRevision();
    if (head > applied) {
      throw new ReplicationRefused(
          "commit refused, nothing was replicated: this member's store has applied the replicated"
              + " log up to revision "
              + applied
              + " but the log is at "
              + head
              + "; it commits again once it has caught up");
    }
  }

  /** What the lease keys hold now. */
  private Map<String, Optional<byte[]>> read(Iterable<String> leaseKeys, long deadline) {
    Map<String, CompletableFuture<GetResponse>> asked = new LinkedHashMap<>();
    leaseKeys.forEach(k -> asked.put(k, kv.get(keys.state(k))));
    Map<String, Optional<byte[]>> actual = new LinkedHashMap<>();
    asked.forEach(
        (k, got) -> {
          List<KeyValue> kvs = await(got, deadline).getKvs();
          actual.put(
              k,
              kvs.isEmpty() ? Optional.empty() : Optional.of(kvs.getFirst().getValue().getBytes()));
        });
    return actual;
  }

  /** Refuses the batch if, from what etcd holds, one of its lease changes concerns another's. */
  private static void refuseTaken(List<LeaseChange> leases, Map<String, Optional<byte[]>> actual) {
    Map<String, Optional<Lease>> holders = new HashMap<>();
    actual.forEach((k, v) -> holders.put(k, v.map(bytes -> ReplicatedState.lease(k, bytes))));
    for (LeaseChange c : leases) {
      Lease l = c.lease();
      String key = ReplicatedState.leaseKey(l);
      Optional<Lease> held = holders.getOrDefault(key, Optional.empty());
      if (held.isPresent() && !held.get().service().equals(l.service())) {
        throw new ReplicationRefused(
            "commit refused, nothing was replicated: address "
                + l.address()
                + " in network "
                + l.network()
                + " is held by service "
                + held.get().service()
                + (c.add()
                    ? ", it cannot also be leased to " + l.service()
                    : ", not by " + l.service()));
      }
      holders.put(key, c.add() ? Optional.of(l) : Optional.empty());
    }
  }

  /**
   * The value of {@code future}, waited for until {@code deadline} (of {@link System#nanoTime}).
   */
  private <T> T await(CompletableFuture<T> future, long deadline) {
    try {
      return future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new SvcregException(
          "etcd did not answer within "
              + timeout.toMillis()
              + " ms: the commit may or may not be replicated",
          e);
    } catch (ExecutionException e) {
      throw new SvcregException(
          "etcd failed (" + Fence.reason(e) + "): the commit may or may not be replicated", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SvcregException(
          "interrupted while waiting for etcd: the commit may or may not be replicated", e);
    }
  }
}
