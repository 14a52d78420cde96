package io.svcreg.store;

import java.time.Duration;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;

/** Awaitility with a timeout scaled by {@code -Dsvcreg.test.timeoutScale} (slow machines). */
final class Waits {

  private Waits() {}

  static ConditionFactory await(Duration timeout) {
    double scale = Double.parseDouble(System.getProperty("svcreg.test.timeoutScale", "1"));
    return Awaitility.await()
        .atMost(Duration.ofMillis((long) (timeout.toMillis() * scale)))
        .pollInterval(Duration.ofMillis(20));
  }
}
