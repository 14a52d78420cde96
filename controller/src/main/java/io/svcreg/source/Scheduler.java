package io.svcreg.source;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/** Runs tasks after a delay, one at a time, and tells the time; tests pass a manual one. */
interface Scheduler extends AutoCloseable {

  /** A scheduled task that may be cancelled. */
  interface Task {
    /** Cancels the task if it has not started. */
    void cancel();
  }

  /** The current time. */
  Instant now();

  /** Runs {@code task} once after {@code delay}. */
  Task schedule(Duration delay, Runnable task);

  /** Stops running tasks. */
  @Override
  void close();

  /** A scheduler with one daemon thread named {@code name}, telling time with {@code clock}. */
  static Scheduler threaded(String name, InstantSource clock) {
    ScheduledThreadPoolExecutor exec =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, name);
              t.setDaemon(true);
              return t;
            });
    exec.setRemoveOnCancelPolicy(true);
    exec.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    return new Scheduler() {
      @Override
      public Instant now() {
        return clock.instant();
      }

      @Override
      public Task schedule(Duration delay, Runnable task) {
        ScheduledFuture<?> f = exec.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
        return () -> f.cancel(false);
      }

      @Override
      public void close() {
        exec.shutdownNow();
      }
    };
  }
}
