package io.svcreg;

import java.time.Duration;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;

/**
 * The one way tests wait for something: Awaitility with a timeout scaled by the system property
 * {@code svcreg.test.timeoutScale} (e.g. 3 on a slow machine).
 */
public final class Waits {

  private Waits() {}

  /** The scale factor for every timeout. */
  public static double scale() {
    return Double.parseDouble(System.getProperty("svcreg.test.timeoutScale", "1"));
  }

  /** {@code base} multiplied by the scale factor. */
  public static Duration scaled(Duration base) {
    return Duration.ofMillis((long) (base.toMillis() * scale()));
  }

  /** A condition factory that polls every 20 ms for at most {@code timeout} (scaled). */
  public static ConditionFactory atMost(Duration timeout) {
    return Awaitility.await()
        .atMost(scaled(timeout))
        .pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(20));
  }
}
