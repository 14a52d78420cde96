package io.svcreg.source;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** A scheduler whose time moves only when a test advances it; tasks run on the test's thread. */
final class ManualScheduler implements Scheduler {

  private record Entry(Instant due, long seq, Runnable task) {}

  private final List<Entry> queue = new ArrayList<>();
  private Instant now = Instant.parse("2026-01-01T00:00:00Z");
  private long seq;
  private boolean closed;

  @Override
  public synchronized Instant now() {
    return now;
  }

  @Override
  public synchronized Task schedule(Duration delay, Runnable task) {
    Entry e = new Entry(now.plus(delay), seq++, task);
    if (!closed) {
      queue.add(e);
    }
    return () -> {
      synchronized (this) {
        queue.remove(e);
      }
    };
  }

  /** Moves time forward by {@code d}, running every task that falls due, in order. */
  void advance(Duration d) {
    Instant end;
    synchronized (this) {
      end = now.plus(d);
    }
    while (true) {
      Entry next;
      synchronized (this) {
        next =
            queue.stream()
                .filter(e -> !e.due().isAfter(end))
                .min(Comparator.comparing(Entry::due).thenComparingLong(Entry::seq))
                .orElse(null);
        if (next == null) {
          now = end;
          return;
        }
        queue.remove(next);
        if (next.due().isAfter(now)) {
          now = next.due();
        }
      }
      next.task().run();
    }
  }

  /** Number of tasks waiting. */
  synchronized int pending() {
    return queue.size();
  }

  @Override
  public synchronized void close() {
    closed = true;
    queue.clear();
  }
}
