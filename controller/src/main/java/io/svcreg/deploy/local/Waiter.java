package io.svcreg.deploy.local;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Waits for a condition by checking it every {@code interval} until a deadline on an injected
 * clock; the pause between checks is injected too, so tests can run it on a fake clock.
 */
public final class Waiter {

  /** Pauses the calling thread for about {@code duration}. */
  @FunctionalInterface
  public interface Pause {
    /** Pauses; throws when the thread is interrupted. */
    void pause(Duration duration) throws InterruptedException;
  }

  private final InstantSource clock;
  private final Duration interval;
  private final Pause pause;

  /** A waiter checking every {@code interval} on {@code clock}, pausing with {@code pause}. */
  public Waiter(InstantSource clock, Duration interval, Pause pause) {
    this.clock = Objects.requireNonNull(clock, "clock");
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("interval must be positive");
    }
    this.interval = interval;
    this.pause = Objects.requireNonNull(pause, "pause");
  }

  /** A waiter on a monotonic clock that checks every 20 ms and parks the thread in between. */
  public static Waiter system() {
    return new Waiter(monotonic(), Duration.ofMillis(20), Waiter::park);
  }

  /**
   * Checks {@code done} until it is true (returns true) or {@code timeout} has passed (returns
   * false); it is checked at least once, and once more at the deadline.
   */
  public boolean until(Duration timeout, BooleanSupplier done) throws InterruptedException {
    Instant deadline = clock.instant().plus(timeout);
    while (true) {
      if (done.getAsBoolean()) {
        return true;
      }
      Instant now = clock.instant();
      if (!now.isBefore(deadline)) {
        return false;
      }
      Duration left = Duration.between(now, deadline);
      pause.pause(left.compareTo(interval) < 0 ? left : interval);
    }
  }

  /** An instant source that follows {@link System#nanoTime()}, immune to wall-clock steps. */
  static InstantSource monotonic() {
    Instant base = Instant.now();
    long origin = System.nanoTime();
    return () -> base.plusNanos(System.nanoTime() - origin);
  }

  private static void park(Duration duration) throws InterruptedException {
    LockSupport.parkNanos(duration.toNanos());
    if (Thread.interrupted()) {
      throw new InterruptedException();
    }
  }
}
