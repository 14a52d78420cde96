package io.svcreg.cli;

import java.time.Duration;

/**
 * The delays between attempts to reach a controller that is not up (yet): {@code base}, doubling up
 * to {@code cap} (like client-go's watch backoff). Not thread-safe; one per command run.
 */
final class ConnectRetry {

  private final Duration base;
  private final Duration cap;
  private int failures;

  ConnectRetry(Duration base, Duration cap) {
    this.base = base;
    this.cap = cap;
  }

  /** Records a failed attempt; the delay before the next one. */
  Duration failed() {
    int shift = Math.min(failures, 30);
    failures++;
    long millis = base.toMillis() << shift;
    return millis <= 0 || millis > cap.toMillis() ? cap : Duration.ofMillis(millis);
  }

  /** How many attempts failed so far. */
  int failures() {
    return failures;
  }

  /** A delay as a user reads it: {@code 2s}, {@code 1.5s} or {@code 500ms}. */
  static String text(Duration d) {
    long ms = d.toMillis();
    if (ms < 1000) {
      return ms + "ms";
    }
    if (ms % 1000 == 0) {
      return ms / 1000 + "s";
    }
    return String.format(java.util.Locale.ROOT, "%.1fs", ms / 1000.0);
  }
}
