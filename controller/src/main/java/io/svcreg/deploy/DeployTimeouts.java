package io.svcreg.deploy;

import java.time.Duration;

/**
 * How long the steps of starting and stopping may take: {@code startGrace} is how long a started
 * script must stay alive to count as started; {@code stopScript} bounds {@code stop.sh} and the
 * exit it causes; {@code term} and {@code kill} bound the waits after SIGTERM and SIGKILL to the
 * process group.
 */
public record DeployTimeouts(
    Duration startGrace, Duration stopScript, Duration term, Duration kill) {

  /** 1 s grace, 10 s for stop.sh, 10 s after SIGTERM, 5 s after SIGKILL. */
  public static final DeployTimeouts DEFAULTS =
      new DeployTimeouts(
          Duration.ofSeconds(1),
          Duration.ofSeconds(10),
          Duration.ofSeconds(10),
          Duration.ofSeconds(5));

  public DeployTimeouts {
    for (Duration d : new Duration[] {startGrace, stopScript, term, kill}) {
      if (d.isNegative()) {
        throw new IllegalArgumentException("timeouts must not be negative: " + d);
      }
    }
  }
}
