package io.svcreg.loop;

import io.svcreg.core.rollout.Outcome;
import io.svcreg.store.StoreReadOnly;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongConsumer;

/**
 * A per-key work queue in the manner of controller-runtime: at most one reconcile in flight per
 * key; adds that arrive while a key runs coalesce into exactly one more run; failures retry with a
 * per-key exponential backoff. Each reconcile runs on a virtual thread of its own, at most {@code
 * concurrency} at a time: a reconcile that waits for a node (a script, an SSH round trip) holds no
 * platform thread, and waits for time are "look again at T" ({@link Outcome.RequeueAfter}).
 *
 * @param <K> the key type
 */
public final class WorkQueue<K> implements AutoCloseable {

  private static final Logger LOG = System.getLogger(WorkQueue.class.getName());

  private final Function<K, Outcome> reconciler;
  private final Backoff backoff;
  private final ScheduledExecutorService timers;
  private final Thread dispatcher;
  private final Semaphore permits;
  private final Thread.Builder.OfVirtual reconcilers;

  private final Object lock = new Object();
  private final ArrayDeque<K> queue = new ArrayDeque<>();
  private final Set<K> queued = new HashSet<>();
  private final Set<K> running = new HashSet<>();
  private final Set<K> dirty = new HashSet<>();
  private final Map<K, Integer> failures = new HashMap<>();
  private final Map<K, ScheduledFuture<?>> delayed = new HashMap<>();
  private final Map<K, Long> enqueuedAt = new HashMap<>();
  private long reconciles;
  private boolean closed;
  private boolean held;
  private volatile LongConsumer waitObserver = nanos -> {};

  /**
   * A queue calling {@code reconciler} on virtual threads named {@code name-N}, at most {@code
   * concurrency} at once, backing off from {@code backoffBase} to {@code backoffCap}.
   */
  public WorkQueue(
      String name,
      int concurrency,
      Duration backoffBase,
      Duration backoffCap,
      Function<K, Outcome> reconciler) {
    if (concurrency < 1) {
      throw new IllegalArgumentException("concurrency must be at least 1: " + concurrency);
    }
    this.reconciler = reconciler;
    this.backoff = new Backoff(backoffBase, backoffCap);
    this.timers =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, name + "-timer");
              t.setDaemon(true);
              return t;
            });
    this.permits = new Semaphore(concurrency);
    this.reconcilers = Thread.ofVirtual().name(name + "-", 0);
    this.dispatcher = new Thread(this::dispatch, name + "-dispatch");
    dispatcher.setDaemon(true);
    dispatcher.start();
  }

  /** Asks for a reconcile of {@code key} as soon as possible. */
  public void add(K key) {
    synchronized (lock) {
      if (closed) {
        return;
      }
      ScheduledFuture<?> pending = delayed.remove(key);
      if (pending != null) {
        pending.cancel(false);
      }
      if (running.contains(key)) {
        dirty.add(key);
      } else if (queued.add(key)) {
        queue.addLast(key);
        enqueuedAt.put(key, System.nanoTime());
        lock.notifyAll();
      }
    }
  }

  /** Asks for a reconcile of {@code key} after {@code delay}, unless one comes sooner. */
  public void addAfter(K key, Duration delay) {
    synchronized (lock) {
      if (closed || queued.contains(key)) {
        return;
      }
      ScheduledFuture<?> pending = delayed.get(key);
      if (pending != null && pending.getDelay(TimeUnit.NANOSECONDS) <= delay.toNanos()) {
        return;
      }
      if (pending != null) {
        pending.cancel(false);
      }
      delayed.put(
          key,
          timers.schedule(
              () -> {
                synchronized (lock) {
                  delayed.remove(key);
                }
                add(key);
              },
              delay.toNanos(),
              TimeUnit.NANOSECONDS));
    }
  }

  /**
   * Runs no more reconciles until {@link #release}: keys are still queued (and coalesced), and
   * those running finish. A standby member of a high-availability group holds its queue while
   * another member leads.
   */
  public void hold() {
    synchronized (lock) {
      held = true;
    }
  }

  /** Runs the queued reconciles again, after {@link #hold}. */
  public void release() {
    synchronized (lock) {
      held = false;
      lock.notifyAll();
    }
  }

  /** Keys waiting to run (not counting delayed ones). */
  public int depth() {
    synchronized (lock) {
      return queue.size();
    }
  }

  /** Whether nothing is queued, running or about to run from a coalesced add. */
  public boolean idle() {
    synchronized (lock) {
      return queue.isEmpty() && running.isEmpty() && dirty.isEmpty();
    }
  }

  /** Reconciles run since start. */
  public long reconciles() {
    synchronized (lock) {
      return reconciles;
    }
  }

  /** Calls {@code observer} with how long each key waited in the queue (nanoseconds) as it runs. */
  public void observeWait(LongConsumer observer) {
    this.waitObserver = observer;
  }

  /** Current failure count of a key (0 after a success). */
  public int failures(K key) {
    synchronized (lock) {
      return failures.getOrDefault(key, 0);
    }
  }

  /** Hands each queued key to a virtual thread of its own, once a permit is free. */
  private void dispatch() {
    while (true) {
      try {
        permits.acquire();
      } catch (InterruptedException e) {
        return;
      }
      K key;
      long waited;
      synchronized (lock) {
        while ((queue.isEmpty() || held) && !closed) {
          try {
            lock.wait();
          } catch (InterruptedException e) {
            permits.release();
            return;
          }
        }
        if (closed) {
          permits.release();
          return;
        }
        key = queue.removeFirst();
        queued.remove(key);
        running.add(key);
        Long since = enqueuedAt.remove(key);
        waited = since == null ? -1 : System.nanoTime() - since;
      }
      if (waited >= 0) {
        waitObserver.accept(waited);
      }
      reconcilers.start(() -> run(key));
    }
  }

  private void run(K key) {
    Outcome outcome;
    try {
      outcome = reconciler.apply(key);
    } catch (StoreReadOnly e) {
      // nothing was recorded, so nothing was done: tried again with the backoff
      LOG.log(Level.WARNING, key + ": " + e.getMessage());
      outcome = new Outcome.Retry(e.getMessage());
    } catch (RuntimeException | Error e) {
      LOG.log(Level.ERROR, key + ": reconcile failed unexpectedly", e);
      outcome = new Outcome.Retry(String.valueOf(e));
    }
    try {
      finish(key, outcome);
    } finally {
      permits.release();
    }
  }

  private void finish(K key, Outcome outcome) {
    Duration retryIn = null;
    synchronized (lock) {
      running.remove(key);
      if (running.isEmpty()) {
        lock.notifyAll();
      }
      reconciles++;
      switch (outcome) {
        case Outcome.Done d -> failures.remove(key);
        case Outcome.Terminal t -> failures.remove(key);
        case Outcome.RequeueAfter r -> {
          failures.remove(key);
          retryIn = r.delay();
        }
        case Outcome.Retry r -> {
          int n = failures.merge(key, 1, Integer::sum);
          retryIn = backoff.delay(n);
          Level level = n >= 5 ? Level.WARNING : Level.INFO;
          LOG.log(level, key + ": retry " + n + " in " + retryIn.toMillis() + " ms: " + r.reason());
        }
      }
      if (dirty.remove(key)) {
        retryIn = null;
        if (queued.add(key)) {
          queue.addLast(key);
          enqueuedAt.put(key, System.nanoTime());
          lock.notifyAll();
        }
      }
    }
    if (retryIn != null) {
      addAfter(key, retryIn);
    }
  }

  /**
   * Waits (at most {@code timeout}) for the reconciles in flight to end after {@link #close}: each
   * finishes its current step. Returns whether all ended.
   */
  public boolean awaitTermination(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      while (!running.isEmpty() || dispatcher.isAlive() && !closed) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        try {
          lock.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
    }
    return true;
  }

  /** Stops taking keys; a reconcile in flight finishes on its own thread. */
  @Override
  public void close() {
    synchronized (lock) {
      closed = true;
      delayed.values().forEach(f -> f.cancel(false));
      delayed.clear();
      lock.notifyAll();
    }
    timers.shutdownNow();
  }
}
