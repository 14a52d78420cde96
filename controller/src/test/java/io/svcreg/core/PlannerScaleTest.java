package io.svcreg.core;

import static io.svcreg.core.Specs.set;
import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.schema.SpecSet;
import org.junit.jupiter.api.Test;

/**
 * The planner's answers at fleet scale. How fast it gives them is measured by {@code tools/bench
 * plan}, never here.
 */
class PlannerScaleTest {

  @Test
  void plan_tenThousandConverged_noChanges() {
    SpecSet desired = set(Generated.resources(10_000, 5, false));
    ObservedState observed =
        ObservedStates.converged(desired, Planner.plan(desired, ObservedState.EMPTY));

    Plan plan = Planner.plan(desired, observed);

    assertThat(plan.hasChanges()).isFalse();
    assertThat(plan.actions()).isEmpty();
    assertThat(plan.problems()).isEmpty();
  }

  @Test
  void plan_hundredThousandNew_everyServiceCreatedWithoutProblems() {
    SpecSet desired = set(Generated.resources(100_000, 9, false));

    Plan plan = Planner.plan(desired, ObservedState.EMPTY);

    assertThat(plan.problems()).isEmpty();
    assertThat(plan.changes()).hasSize(100_003);
    assertThat(plan.actions()).hasSizeGreaterThan(250_000);
  }
}
