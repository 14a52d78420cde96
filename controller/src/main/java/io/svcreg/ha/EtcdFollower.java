package io.svcreg.ha;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.svcreg.core.SvcregException;
import io.svcreg.store.ReplicatedState;
import io.svcreg.store.Store;
import io.svcreg.store.Transaction;
import io.svcreg.store.TransactionCodec;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Keeps a member's {@link Store} in step with its group's replicated log in etcd ({@link
 * EtcdReplicator}): watches {@code {prefix}log} from the store's {@link Store#lastRevision} on and
 * applies each commit at its revision, in order, on a thread of its own (jetcd's callbacks only
 * hand responses to it). Commits the store already has (a leader's own) are ignored, so every
 * member may run one.
 *
 * <p>When the log's history the store needs was compacted away, or the store has applied nothing
 * while etcd has a log, it rebuilds: reads all of {@code {prefix}state/} at one revision R, makes
 * the store hold exactly that in one transaction ({@link Store#applyRebuilt}) and watches from R+1.
 * The store's journal then has a gap before R: clients watching from an earlier revision are told
 * that it expired, and list again.
 */
public final class EtcdFollower implements AutoCloseable {

  private static final Logger LOG = System.getLogger(EtcdFollower.class.getName());

  /** Keys read per request while rebuilding. */
  static final int PAGE = 500;

  private static final Duration RETRY = Duration.ofMillis(500);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

  private final Client client;
  private final Store store;
  private final LogKeys keys;
  private final Duration timeout;
  private final ScheduledExecutorService driver;
  private final Object progress = new Object();

  // confined to the driver thread
  private Watch.Watcher watcher;
  private int watches;
  private boolean closed;

  private volatile String error;

  private EtcdFollower(
      Client client, Store store, LogKeys keys, Duration timeout, ThreadFactory threads) {
    this.client = client;
    this.store = store;
    this.keys = keys;
    this.timeout = timeout;
    this.driver = Executors.newSingleThreadScheduledExecutor(threads);
  }

  /**
   * Starts following the log under the default prefix {@code /svcreg/}, each read of etcd waiting
   * at most {@code timeout}, on a daemon thread of its own; returns once it has watched the log or
   * rebuilt the store (or failed to, then tries again shortly).
   */
  public static EtcdFollower start(Client client, Store store, Duration timeout) {
    return start(client, store, LogKeys.DEFAULT_PREFIX, timeout);
  }

  /** Starts following the log under {@code prefix} (starting and ending in '/'). */
  public static EtcdFollower start(Client client, Store store, String prefix, Duration timeout) {
    EtcdFollower f =
        new EtcdFollower(
            client,
            store,
            new LogKeys(prefix),
            timeout,
            Thread.ofPlatform().name("svcreg-follower-", 0).daemon().factory());
    try {
      f.driver.submit(f::begin).get();
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      f.close();
      throw new SvcregException("interrupted while starting to follow the replicated log", e);
    }
    return f;
  }

  /**
   * Waits until the store has applied revision {@code revision} (by this follower or by its own
   * commits), at most {@code timeout}; whether it has.
   */
  public boolean awaitRevision(long revision, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (progress) {
      while (store.lastRevision() < revision) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        try {
          // the store's own commits advance it too, without telling this follower
          TimeUnit.NANOSECONDS.timedWait(progress, Math.min(left, 50_000_000L));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      return true;
    }
  }

  /**
   * Waits until the store has applied everything the log holds now, at most {@code timeout}, and
   * returns the log's revision: what a member that was elected does before it commits. Fails with a
   * {@link SvcregException} if etcd does not answer or the store does not get there in time.
   */
  public long catchUp(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    GetResponse log = await(client.getKVClient().get(keys.log()), deadline);
    long head = log.getKvs().isEmpty() ? 0 : log.getKvs().getFirst().getModRevision();
    if (!awaitRevision(head, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
      throw new SvcregException(
          "store "
              + store.directory()
              + " has not caught up with the replicated log within "
              + timeout.toMillis()
              + " ms: it applied revision "
              + store.lastRevision()
              + ", the log is at "
              + head
              + error().map(e -> " (" + e + ")").orElse(""));
    }
    return head;
  }

  /** What went wrong last while following, until the next commit is applied. */
  public Optional<String> error() {
    return Optional.ofNullable(error);
  }

  // ---- on the driver thread

  /**
   * Rebuilds a store that has applied nothing while etcd has a log, else watches from the store.
   */
  private void begin() {
    if (closed) {
      return;
    }
    try {
      long last = store.lastRevision();
      if (last == 0
          && !await(client.getKVClient().get(keys.log()), System.nanoTime() + timeout.toNanos())
              .getKvs()
              .isEmpty()) {
        rebuild("it has applied nothing of the log");
      } else {
        watch(last + 1);
      }
    } catch (RuntimeException e) {
      retry("cannot start following the replicated log", e);
    }
  }

  /** Watches the log from revision {@code from} on. */
  private void watch(long from) {
    closeWatch();
    int w = ++watches;
    WatchOption option = WatchOption.builder().withRevision(from).withRequireLeader(true).build();
    watcher =
        client
            .getWatchClient()
            .watch(
                keys.log(),
                option,
                Watch.listener(r -> run(() -> received(w, r)), t -> run(() -> watchFailed(w, t))));
    LOG.log(Level.DEBUG, "store {0}: following from revision {1}", store.directory(), from);
  }

  /** Applies the commits of a watch response in order; rebuilds if one cannot be applied. */
  private void received(int w, WatchResponse r) {
    if (closed || w != watches) {
      return;
    }
    for (WatchEvent e : r.getEvents()) {
      if (e.getEventType() != WatchEvent.EventType.PUT) {
        continue;
      }
      KeyValue kv = e.getKeyValue();
      try {
        Transaction tx = TransactionCodec.fromJson(kv.getValue().toString(UTF_8));
        store.applyReplicated(tx, kv.getModRevision());
      } catch (RuntimeException x) {
        report("cannot apply the replicated commit of revision " + kv.getModRevision(), x);
        closeWatch();
        driver.schedule(
            () -> rebuildOrRetry("a commit could not be applied"),
            RETRY.toMillis(),
            TimeUnit.MILLISECONDS);
        return;
      }
      error = null;
    }
    signal();
  }

  /** The watch ended: rebuilds if the revisions it needs were compacted, else watches again. */
  private void watchFailed(int w, Throwable t) {
    if (closed || w != watches) {
      return;
    }
    closeWatch();
    if (t instanceof CompactedException c) {
      rebuildOrRetry(
          "the log was compacted at revision "
              + c.getCompactedRevision()
              + ", past revision "
              + store.lastRevision()
              + " it has applied");
      return;
    }
    retry("the watch of the replicated log ended", t);
  }

  /** Rebuilds, or tries again later if that fails. */
  private void rebuildOrRetry(String why) {
    if (closed) {
      return;
    }
    try {
      rebuild(why);
    } catch (RuntimeException e) {
      retry("cannot rebuild from the replicated state", e);
    }
  }

  /**
   * Makes the store hold what {@code {prefix}state/} holds at one revision R, read in pages at R,
   * and watches from R+1.
   */
  private void rebuild(String why) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Map<String, byte[]> state = new LinkedHashMap<>();
    GetOption first = GetOption.builder().withRange(keys.stateEnd()).withLimit(PAGE).build();
    GetResponse page = await(client.getKVClient().get(keys.state(), first), deadline);
    long revision = page.getHeader().getRevision();
    while (true) {
      for (KeyValue kv : page.getKvs()) {
        state.put(keys.stateKey(kv.getKey()), kv.getValue().getBytes());
      }
      if (!page.isMore() || page.getKvs().isEmpty()) {
        break;
      }
      byte[] last = page.getKvs().getLast().getKey().getBytes();
      ByteSequence after = ByteSequence.from(Arrays.copyOf(last, last.length + 1));
      GetOption next =
          GetOption.builder()
              .withRange(keys.stateEnd())
              .withRevision(revision)
              .withLimit(PAGE)
              .build();
      page = await(client.getKVClient().get(after, next), deadline);
    }
    store.applyRebuilt(ReplicatedState.replacing(store, state), revision);
    LOG.log(
        Level.WARNING,
        "store {0}: rebuilt from the replicated state at revision {1} ({2}): its journal has a gap,"
            + " clients watching from an earlier revision list again",
        store.directory(),
        revision,
        why);
    error = null;
    signal();
    watch(revision + 1);
  }

  /** Reports a failure and starts again from the store's revision shortly. */
  private void retry(String what, Throwable t) {
    report(what, t);
    driver.schedule(this::begin, RETRY.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void report(String what, Throwable t) {
    error = what + ": " + Fence.reason(t);
    LOG.log(Level.WARNING, "store {0}: {1}", store.directory(), error);
  }

  private void closeWatch() {
    if (watcher != null) {
      watcher.close();
      watcher = null;
    }
  }

  // ---- plumbing

  /** Wakes those waiting in {@link #awaitRevision}. */
  private void signal() {
    synchronized (progress) {
      progress.notifyAll();
    }
  }

  /**
   * The value of {@code future}, waited for until {@code deadline} (of {@link System#nanoTime}).
   */
  private <T> T await(CompletableFuture<T> future, long deadline) {
    try {
      return future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new SvcregException("etcd did not answer within " + timeout.toMillis() + " ms", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof CompactedException c) {
        throw c;
      }
      throw new SvcregException("etcd failed: " + Fence.reason(e), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SvcregException("interrupted while waiting for etcd", e);
    }
  }

  /** Hands {@code task} to the driver; dropped once closed. */
  private void run(Runnable task) {
    Drivers.run(driver, task);
  }

  /** Stops following (what is being applied is finished first); the client stays open. */
  @Override
  public void close() {
    Runnable last =
        () -> {
          closed = true;
          closeWatch();
        };
    if (!Drivers.stop(driver, last, CLOSE_TIMEOUT)) {
      LOG.log(Level.WARNING, "store {0}: the follower did not stop in time", store.directory());
    }
  }
}
