package io.svcreg.deploy;

import io.svcreg.schema.HealthState;

/**
 * The health of a service from its consecutive check results: {@code unknown} until the first pass,
 * {@code passing} after a pass, {@code failing} once {@code failureThreshold} checks in a row
 * failed (fewer failures keep the previous state). Immutable; {@link #record} returns the next.
 */
public record HealthTracker(int failureThreshold, HealthState state, int consecutiveFailures) {

  public HealthTracker {
    if (failureThreshold < 1) {
      throw new IllegalArgumentException("failureThreshold must be at least 1");
    }
    if (consecutiveFailures < 0) {
      throw new IllegalArgumentException("consecutiveFailures must not be negative");
    }
  }

  /** A tracker before any check: state {@code unknown}. */
  public static HealthTracker initial(int failureThreshold) {
    return new HealthTracker(failureThreshold, HealthState.UNKNOWN, 0);
  }

  /** The tracker after one more check that passed or not. */
  public HealthTracker record(boolean passed) {
    if (passed) {
      return new HealthTracker(failureThreshold, HealthState.PASSING, 0);
    }
    int failures =
        consecutiveFailures == Integer.MAX_VALUE ? consecutiveFailures : consecutiveFailures + 1;
    return new HealthTracker(
        failureThreshold, failures >= failureThreshold ? HealthState.FAILING : state, failures);
  }

  /** The tracker after one more check result. */
  public HealthTracker record(HealthResult result) {
    return record(result.state() == HealthState.PASSING);
  }
}
