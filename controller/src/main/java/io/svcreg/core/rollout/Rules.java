package io.svcreg.core.rollout;

import java.time.Duration;

/**
 * The loop's timing and limits: {@code startLimit} crashes within {@code startLimitWindow} give up
 * on a spec; a started process must live {@code startGrace} to count as started; a starting
 * service's health is checked every {@code healthPoll}; a service waiting for its dependencies
 * looks again every {@code dependencyPoll}.
 */
public record Rules(
    int startLimit,
    Duration startLimitWindow,
    Duration startGrace,
    Duration healthPoll,
    Duration dependencyPoll) {

  /** 5 crashes within 60 s, 1 s grace, health poll 250 ms, dependency poll 1 s. */
  public static final Rules DEFAULTS =
      new Rules(
          5,
          Duration.ofSeconds(60),
          Duration.ofSeconds(1),
          Duration.ofMillis(250),
          Duration.ofSeconds(1));
}
