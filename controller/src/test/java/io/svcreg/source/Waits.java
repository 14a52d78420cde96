package io.svcreg.source;

import java.time.Duration;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;

/** Waiting in tests: Awaitility with a timeout scaled by {@code svcreg.test.timeoutScale}. */
final class Waits {

  private Waits() {}

  /** Waits up to 10 s (times the scale), polling every 20 ms. */
  static ConditionFactory await() {
    return await(Duration.ofSeconds(10));
  }

  /** Waits up to {@code timeout} (times the scale). */
  static ConditionFactory await(Duration timeout) {
    double scale = Double.parseDouble(System.getProperty("svcreg.test.timeoutScale", "1"));
    return Awaitility.await()
        .atMost(Duration.ofMillis((long) (timeout.toMillis() * scale)))
        .pollInterval(Duration.ofMillis(20))
        .pollDelay(Duration.ZERO);
  }
}
