package io.svcreg.core;

import static io.svcreg.core.Specs.condition;
import static io.svcreg.core.Specs.converge;
import static io.svcreg.core.Specs.lan;
import static io.svcreg.core.Specs.network;
import static io.svcreg.core.Specs.service;
import static io.svcreg.core.Specs.set;
import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.schema.Condition;
import io.svcreg.schema.HealthState;
import io.svcreg.schema.Ipv4;
import io.svcreg.schema.Phase;
import io.svcreg.schema.ServiceStatus;
import io.svcreg.schema.SpecSet;
import org.junit.jupiter.api.Test;

/** The state a perfect executor reaches by applying a plan. */
class ObservedStatesTest {

  @Test
  void converged_newServices_runningHealthyWithLeasesAndEndpoints() {
    SpecSet desired =
        set(
            lan(),
            service("api").endpoint("http", 8080).build(),
            service("idle").stopped().build());

    ObservedState state = converge(desired);

    assertThat(state.revision()).isEqualTo(1);
    ServiceStatus api = state.service("api").orElseThrow().status();
    assertThat(api.phase()).isEqualTo(Phase.RUNNING);
    assertThat(api.health().state()).isEqualTo(HealthState.PASSING);
    assertThat(api.deployedVersion()).contains("1.0.0");
    assertThat(api.address()).contains(Ipv4.of("10.0.0.1"));
    assertThat(api.endpoints()).containsExactly("10.0.0.1:8080");
    assertThat(api.observedGeneration()).isEqualTo(1);
    assertThat(state.service("idle").orElseThrow().status().phase()).isEqualTo(Phase.STOPPED);
    assertThat(state.leases())
        .containsExactly(
            Specs.lease("lan", "10.0.0.1", "api"), Specs.lease("lan", "10.0.0.2", "idle"));
    ObservedNetwork lanState = state.network("lan").orElseThrow();
    assertThat(lanState.status().allocated()).isEqualTo(2);
    assertThat(lanState.status().capacity()).isEqualTo(253);
  }

  @Test
  void converged_newVersion_keepsPreviousForRollback() {
    ObservedState v1 = converge(set(lan(), service("api").build()));

    ObservedState v2 = converge(set(lan(), service("api").version("2.0.0").build()), v1);

    ServiceStatus st = v2.service("api").orElseThrow().status();
    assertThat(st.deployedVersion()).contains("2.0.0");
    assertThat(st.previousVersion()).contains("1.0.0");
    assertThat(v2.service("api").orElseThrow().generation()).isEqualTo(2);
    assertThat(v2.revision()).isEqualTo(2);
  }

  @Test
  void converged_rollback_setsRolledBackCondition() {
    SpecSet v2 = set(lan(), service("api").version("2.0.0").build());
    ObservedState failed =
        Specs.withStatus(
            converge(v2, converge(set(lan(), service("api").build()))),
            "api",
            s ->
                s.phase(Phase.FAILED)
                    .conditions(
                        condition(Condition.PROGRESSING, Reasons.PROGRESS_DEADLINE_EXCEEDED)));

    ObservedState after = converge(v2, failed);

    ServiceStatus st = after.service("api").orElseThrow().status();
    assertThat(st.deployedVersion()).contains("1.0.0");
    assertThat(st.phase()).isEqualTo(Phase.RUNNING);
    assertThat(st.condition(Condition.PROGRESSING).orElseThrow().reason())
        .isEqualTo(Reasons.ROLLED_BACK);
    assertThat(ServiceStates.gaveUp(after.service("api").orElseThrow())).isTrue();
  }

  @Test
  void converged_deletions_removeServicesNetworksAndLeases() {
    ObservedState before =
        converge(set(lan(), network("old").subnet("10.9.0.0/24").build(), service("api").build()));

    ObservedState after = converge(set(lan()), before);

    assertThat(after.services()).isEmpty();
    assertThat(after.networks()).extracting(n -> n.metadata().name()).containsExactly("lan");
    assertThat(after.leases()).isEmpty();
  }

  @Test
  void converged_serviceWithProblem_registeredWithoutAddress() {
    SpecSet desired =
        set(
            network("lan").subnet("10.0.0.0/30").build(),
            service("a").build(),
            service("b").build());

    ObservedState state = converge(desired);

    ServiceStatus b = state.service("b").orElseThrow().status();
    assertThat(b.phase()).isEqualTo(Phase.REGISTERED);
    assertThat(b.address()).isEmpty();
  }

  @Test
  void converged_heldServiceWithDrift_healedOnItsObservedSpec() {
    ObservedState failed =
        Specs.withStatus(
            converge(set(lan(), service("api").build())), "api", s -> s.phase(Phase.FAILED));
    SpecSet held = Specs.specs(lan()).held(io.svcreg.schema.ResourceKey.service("api")).build();

    ObservedState after = converge(held, failed);

    assertThat(after.service("api").orElseThrow().status().phase()).isEqualTo(Phase.RUNNING);
  }

  @Test
  void converged_withoutBefore_sameAsFromEmpty() {
    SpecSet desired = set(lan(), service("api").build());
    Plan plan = Planner.plan(desired, ObservedState.EMPTY);

    assertThat(ObservedStates.converged(desired, plan))
        .isEqualTo(ObservedStates.converged(desired, ObservedState.EMPTY, plan));
    assertThat(ObservedStates.converged(desired, plan).leases())
        .extracting(Lease::address)
        .containsExactly(Ipv4.of("10.0.0.1"));
  }
}
