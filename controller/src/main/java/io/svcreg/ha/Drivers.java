package io.svcreg.ha;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The single threads the etcd parts keep their state on: jetcd's callbacks only hand work to them,
 * never block.
 */
final class Drivers {

  private Drivers() {}

  /** Hands {@code task} to {@code driver}; dropped once it is shut down. */
  static void run(ExecutorService driver, Runnable task) {
    try {
      driver.execute(task);
    } catch (RejectedExecutionException e) {
      // closed: nothing is acted on any more
    }
  }

  /**
   * Runs {@code last} on {@code driver} after what it has queued, shuts it down and waits at most
   * {@code timeout} for it to end; whether it ended in time.
   */
  static boolean stop(ExecutorService driver, Runnable last, Duration timeout) {
    run(driver, last);
    driver.shutdown();
    try {
      return driver.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
