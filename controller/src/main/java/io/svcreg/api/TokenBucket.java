package io.svcreg.api;

/**
 * A token bucket: {@code ratePerSecond} tokens a second, at most {@code burst} saved up. Time is
 * passed in (nanoseconds of a monotonic clock). Thread-safe: a role's bucket is shared by all its
 * connections and HTTPS requests.
 */
final class TokenBucket {

  private final double ratePerNano;
  private final double burst;
  private double tokens;
  private long last;

  TokenBucket(double ratePerSecond, int burst, long nowNanos) {
    this.ratePerNano = ratePerSecond / 1e9;
    this.burst = burst;
    this.tokens = burst;
    this.last = nowNanos;
  }

  /** Takes one token if there is one. */
  synchronized boolean tryTake(long nowNanos) {
    long elapsed = Math.max(0, nowNanos - last);
    last = Math.max(last, nowNanos);
    tokens = Math.min(burst, tokens + elapsed * ratePerNano);
    if (tokens >= 1) {
      tokens -= 1;
      return true;
    }
    return false;
  }
}
