package io.svcreg.loop;

import java.time.Duration;

/** Exponential backoff: {@code base * 2^(failures-1)}, capped. */
record Backoff(Duration base, Duration cap) {

  /** The delay before retry number {@code failures} (from 1). */
  Duration delay(int failures) {
    if (failures <= 0) {
      return Duration.ZERO;
    }
    int shift = Math.min(failures - 1, 30);
    long millis = base.toMillis() << shift;
    return millis <= 0 || millis > cap.toMillis() ? cap : Duration.ofMillis(millis);
  }
}
