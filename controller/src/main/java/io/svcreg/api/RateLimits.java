package io.svcreg.api;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * The request rate limits: one token bucket per role, shared by every WebSocket connection and
 * HTTPS request that presents that role's token, so a client cannot escape its limit by opening
 * more connections, and one busy client of a role never slows the other role. A connection that has
 * not authenticated yet has a small bucket of its own ({@link #unauthenticated}): it may send its
 * {@code auth} and little else. A rate of 0 turns the limit off.
 */
final class RateLimits {

  /** Messages a second an unauthenticated connection may send (it needs one: {@code auth}). */
  static final double UNAUTHENTICATED_PER_SECOND = 10;

  /** Messages an unauthenticated connection may send at once. */
  static final int UNAUTHENTICATED_BURST = 20;

  private final double perSecond;
  private final int burst;
  private final Map<Role, TokenBucket> byRole = new EnumMap<>(Role.class);

  RateLimits(double perSecond, int burst) {
    this.perSecond = perSecond;
    this.burst = burst;
    long now = System.nanoTime();
    for (Role r : Role.values()) {
      byRole.put(r, new TokenBucket(perSecond, burst, now));
    }
  }

  /** Takes one request from {@code role}'s bucket; false: the role is over its limit. */
  boolean tryTake(Role role) {
    return perSecond <= 0 || byRole.get(role).tryTake(System.nanoTime());
  }

  /** A new bucket for the messages of a connection before it authenticates. */
  static TokenBucket unauthenticated() {
    return new TokenBucket(UNAUTHENTICATED_PER_SECOND, UNAUTHENTICATED_BURST, System.nanoTime());
  }

  /** The answer to a request over {@code role}'s limit. */
  String refusal(Role role) {
    return String.format(
        Locale.ROOT,
        "more than %s requests a second (bursts of %d) with the %s token, over all its connections"
            + " and HTTPS requests; slow down, or raise svcreg serve --requests-per-second",
        perSecond == Math.rint(perSecond) ? Long.toString((long) perSecond) : perSecond,
        burst,
        role.wireName());
  }

  /** The answer to an unauthenticated connection over its limit. */
  static String unauthenticatedRefusal() {
    return "more than "
        + UNAUTHENTICATED_BURST
        + " messages before authenticating; send {\"action\": \"auth\", \"params\": {\"token\":"
        + " ...}} first";
  }
}
