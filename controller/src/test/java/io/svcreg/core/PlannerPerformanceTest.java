package io.svcreg.core;

import static io.svcreg.core.Specs.set;
import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.schema.SpecSet;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Planning stays fast at scale. Times are the best of several runs after warm-up, so that a busy
 * machine does not make the test flaky; the bounds are the product's targets.
 */
class PlannerPerformanceTest {

  private static Duration best(int runs, Runnable r) {
    long best = Long.MAX_VALUE;
    for (int i = 0; i < runs; i++) {
      long t0 = System.nanoTime();
      r.run();
      best = Math.min(best, System.nanoTime() - t0);
    }
    return Duration.ofNanos(best);
  }

  @Test
  void plan_tenThousandUnchanged_wellUnderFiveMilliseconds() {
    SpecSet desired = set(Generated.resources(10_000, 5, false));
    ObservedState observed =
        ObservedStates.converged(desired, Planner.plan(desired, ObservedState.EMPTY));
    assertThat(Planner.plan(desired, observed).hasChanges()).isFalse();
    best(50, () -> Planner.plan(desired, observed));

    Duration t = best(30, () -> Planner.plan(desired, observed));

    assertThat(t)
        .as("re-plan of 10k unchanged services took %s", t)
        .isLessThan(Duration.ofMillis(5));
  }

  @Test
  void plan_hundredThousandNew_wellUnderTwoSeconds() {
    SpecSet desired = set(Generated.resources(100_000, 9, false));
    best(1, () -> Planner.plan(desired, ObservedState.EMPTY));

    Duration t = best(3, () -> Planner.plan(desired, ObservedState.EMPTY));

    assertThat(t).as("plan of 100k new services took %s", t).isLessThan(Duration.ofSeconds(2));
    Plan plan = Planner.plan(desired, ObservedState.EMPTY);
    assertThat(plan.problems()).isEmpty();
    assertThat(plan.changes()).hasSize(100_003);
  }
}
