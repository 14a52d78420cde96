package io.svcreg.core;

import static io.svcreg.core.Specs.set;
import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.schema.SpecSet;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Planning stays fast at scale. A run's cost is the CPU time of the planning thread (the machine
 * may be shared, and waiting for a core is not the planner's cost), the best of several runs after
 * warm-up. Bounds are the product's targets, scaled by {@code svcreg.test.timeoutScale}, and
 * doubled when the JaCoCo agent instruments the code (its probes about double the cost of this
 * accessor-heavy loop; measured without the agent: about 2 ms for 10k unchanged services on a busy
 * 2-core machine). Regressions that matter (quadratic joins, per-service address pools or JSON)
 * cost orders of magnitude more and still fail.
 */
class PlannerPerformanceTest {

  private static final double SCALE =
      Double.parseDouble(System.getProperty("svcreg.test.timeoutScale", "1"))
          * (ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                  .anyMatch(a -> a.startsWith("-javaagent") && a.contains("jacoco"))
              ? 2
              : 1);

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private static long now() {
    return THREADS.isCurrentThreadCpuTimeSupported()
        ? THREADS.getCurrentThreadCpuTime()
        : System.nanoTime();
  }

  private static Duration best(int runs, Runnable r) {
    long best = Long.MAX_VALUE;
    for (int i = 0; i < runs; i++) {
      long t0 = now();
      r.run();
      best = Math.min(best, now() - t0);
    }
    return Duration.ofNanos(best);
  }

  private static Duration scaled(Duration d) {
    return Duration.ofNanos((long) (d.toNanos() * SCALE));
  }

  @Test
  void plan_tenThousandUnchanged_wellUnderFiveMilliseconds() {
    SpecSet desired = set(Generated.resources(10_000, 5, false));
    ObservedState observed =
        ObservedStates.converged(desired, Planner.plan(desired, ObservedState.EMPTY));
    assertThat(Planner.plan(desired, observed).hasChanges()).isFalse();
    best(300, () -> Planner.plan(desired, observed));

    Duration t = best(100, () -> Planner.plan(desired, observed));

    assertThat(t)
        .as("re-plan of 10k unchanged services took %s", t)
        .isLessThan(scaled(Duration.ofMillis(5)));
  }

  @Test
  void plan_hundredThousandNew_wellUnderTwoSeconds() {
    SpecSet desired = set(Generated.resources(100_000, 9, false));
    Plan[] plan = new Plan[1];
    best(1, () -> plan[0] = Planner.plan(desired, ObservedState.EMPTY));

    Duration t = best(2, () -> plan[0] = Planner.plan(desired, ObservedState.EMPTY));

    assertThat(t)
        .as("plan of 100k new services took %s", t)
        .isLessThan(scaled(Duration.ofSeconds(2)));
    assertThat(plan[0].problems()).isEmpty();
    assertThat(plan[0].changes()).hasSize(100_003);
    assertThat(plan[0].actions()).hasSizeGreaterThan(250_000);
  }
}
