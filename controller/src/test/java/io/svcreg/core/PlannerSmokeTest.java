package io.svcreg.core;

import static io.svcreg.core.Specs.converge;
import static io.svcreg.core.Specs.lan;
import static io.svcreg.core.Specs.service;
import static io.svcreg.core.Specs.set;
import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.schema.SpecSet;
import org.junit.jupiter.api.Test;

class PlannerSmokeTest {

  @Test
  void plan_newServices_createsInDependencyOrder() {
    SpecSet desired = set(lan(), service("db").build(), service("api").dependsOn("db").build());
    Plan plan = Planner.plan(desired, ObservedState.EMPTY);
    assertThat(Actions.of(plan))
        .containsExactly(
            "allocate db lan 10.0.0.1",
            "deploy db 1.0.0 on n1",
            "start db on n1",
            "allocate api lan 10.0.0.2",
            "deploy api 1.0.0 on n1",
            "start api on n1");
    assertThat(Actions.waves(plan))
        .containsExactly(java.util.List.of("db"), java.util.List.of("api"));
    ObservedState after = ObservedStates.converged(desired, ObservedState.EMPTY, plan);
    Plan again = Planner.plan(desired, after);
    assertThat(again.hasChanges()).isFalse();
    assertThat(again.unchanged()).isEqualTo(3);
    assertThat(converge(desired).leases()).hasSize(2);
  }
}
