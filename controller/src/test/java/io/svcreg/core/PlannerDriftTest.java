package io.svcreg.core;

import static io.svcreg.core.Specs.condition;
import static io.svcreg.core.Specs.converge;
import static io.svcreg.core.Specs.lan;
import static io.svcreg.core.Specs.service;
import static io.svcreg.core.Specs.set;
import static io.svcreg.core.Specs.withStatus;
import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.schema.Condition;
import io.svcreg.schema.ConditionStatus;
import io.svcreg.schema.Phase;
import io.svcreg.schema.SpecSet;
import java.time.Instant;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Drift: the spec is unchanged (generation 1, converged) but the observed status differs. Table:
 * the spec, a change to the observed status, the expected actions.
 */
class PlannerDriftTest {

  private static Arguments row(
      String rule,
      Specs.ServiceBuilder api,
      UnaryOperator<Specs.StatusBuilder> status,
      String... expected) {
    return Arguments.of(rule, api, status, List.of(expected));
  }

  /** A true {@code Held} condition: an operator stopped the service. */
  private static Condition held() {
    return new Condition(
        Condition.HELD, ConditionStatus.TRUE, Reasons.STOPPED_BY_OPERATOR, "", Instant.EPOCH);
  }

  private static Specs.ServiceBuilder api() {
    return service("api");
  }

  private static Specs.ServiceBuilder v2() {
    return service("api").version("2.0.0");
  }

  static Stream<Arguments> drift() {
    return Stream.of(
        row("running and healthy", api(), s -> s),
        row("stopped though it should run", api(), s -> s.phase(Phase.STOPPED), "start api on n1"),
        row("failed", api(), s -> s.phase(Phase.FAILED), "start api on n1"),
        row(
            "failed, start limit reached for this generation",
            api(),
            s ->
                s.phase(Phase.FAILED)
                    .conditions(condition(Condition.PROGRESSING, Reasons.START_LIMIT_REACHED))),
        row(
            "failed, Degraded says start limit reached",
            api(),
            s ->
                s.phase(Phase.FAILED)
                    .conditions(condition(Condition.DEGRADED, Reasons.START_LIMIT_REACHED))),
        row(
            "failed, start limit reached for an older generation",
            api(),
            s ->
                s.phase(Phase.FAILED)
                    .observedGeneration(0)
                    .conditions(condition(Condition.PROGRESSING, Reasons.START_LIMIT_REACHED)),
            "start api on n1"),
        row(
            "failed, other reason",
            api(),
            s -> s.phase(Phase.FAILED).conditions(condition(Condition.DEGRADED, "HealthFailing")),
            "start api on n1"),
        row(
            "rolled back for this generation",
            v2(),
            s ->
                s.deployed("1.0.0")
                    .previous("2.0.0")
                    .conditions(condition(Condition.PROGRESSING, Reasons.ROLLED_BACK))),
        row(
            "rolled back for this generation, then its process died",
            v2(),
            s ->
                s.phase(Phase.FAILED)
                    .deployed("1.0.0")
                    .previous("2.0.0")
                    .conditions(condition(Condition.DEGRADED, Reasons.ROLLED_BACK)),
            "start api on n1"),
        row(
            "rolled back, then the start limit reached",
            v2(),
            s ->
                s.phase(Phase.FAILED)
                    .deployed("1.0.0")
                    .previous("2.0.0")
                    .conditions(
                        condition(Condition.PROGRESSING, Reasons.ROLLED_BACK),
                        condition(Condition.DEGRADED, Reasons.START_LIMIT_REACHED))),
        row(
            "held stopped by an operator, running",
            api(),
            s -> s.conditions(held()),
            "stop api on n1"),
        row(
            "held stopped by an operator, stopped",
            api(),
            s -> s.phase(Phase.STOPPED).conditions(held())),
        row(
            "held stopped by an operator, its process died",
            api(),
            s -> s.phase(Phase.FAILED).conditions(held())),
        row(
            "held stopped by an operator, another version installed",
            api(),
            s -> s.phase(Phase.STOPPED).deployed("0.9.0").conditions(held()),
            "deploy api 1.0.0 on n1"),
        row(
            "Held condition false: runs as its spec says",
            api(),
            s ->
                s.phase(Phase.STOPPED)
                    .conditions(
                        new Condition(
                            Condition.HELD,
                            ConditionStatus.FALSE,
                            Reasons.STOPPED_BY_OPERATOR,
                            "",
                            Instant.EPOCH)),
            "start api on n1"),
        row(
            "never deployed",
            api(),
            s -> s.phase(Phase.REGISTERED).deployed(null),
            "deploy api 1.0.0 on n1",
            "start api on n1"),
        row(
            "files removed, should be stopped",
            api().stopped(),
            s -> s.phase(Phase.STOPPED).deployed(null),
            "deploy api 1.0.0 on n1"),
        row(
            "another version installed",
            api(),
            s -> s.deployed("0.9.0"),
            "deploy api 1.0.0 on n1",
            "restart api on n1 (version 0.9.0 → 1.0.0)"),
        row(
            "rollout deadline exceeded with a previous version",
            v2(),
            s ->
                s.phase(Phase.FAILED)
                    .previous("1.0.0")
                    .conditions(
                        condition(Condition.PROGRESSING, Reasons.PROGRESS_DEADLINE_EXCEEDED)),
            "rollback api 2.0.0 → 1.0.0 on n1"),
        row(
            "rollout deadline exceeded, autoRollback off",
            v2().rollout("1m", false),
            s ->
                s.phase(Phase.FAILED)
                    .previous("1.0.0")
                    .conditions(
                        condition(Condition.PROGRESSING, Reasons.PROGRESS_DEADLINE_EXCEEDED)),
            "start api on n1"),
        row(
            "rollout deadline exceeded, no previous version",
            v2(),
            s ->
                s.phase(Phase.FAILED)
                    .conditions(
                        condition(Condition.PROGRESSING, Reasons.PROGRESS_DEADLINE_EXCEEDED)),
            "start api on n1"),
        row(
            "rollout deadline exceeded, but should be stopped",
            v2().stopped(),
            s ->
                s.phase(Phase.FAILED)
                    .previous("1.0.0")
                    .conditions(
                        condition(Condition.PROGRESSING, Reasons.PROGRESS_DEADLINE_EXCEEDED))),
        row(
            "running though it should be stopped",
            api().stopped(),
            s -> s.phase(Phase.RUNNING),
            "stop api on n1"),
        row("starting: already on its way", api(), s -> s.phase(Phase.STARTING)),
        row("stopped and should be", api().stopped(), s -> s));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("drift")
  void plan_unchangedSpecWithDrift_expectedActions(
      String rule,
      Specs.ServiceBuilder api,
      UnaryOperator<Specs.StatusBuilder> status,
      List<String> expected) {
    SpecSet desired = set(lan(), api.build());
    ObservedState observed = withStatus(converge(desired), "api", status);

    Plan plan = Planner.plan(desired, observed);

    assertThat(Actions.of(plan)).as(rule).containsExactlyElementsOf(expected);
    assertThat(plan.changes()).isEmpty();
    assertThat(plan.unchanged()).isEqualTo(2);
    assertThat(plan.problems()).isEmpty();
    ObservedState reached = ObservedStates.converged(desired, observed, plan);
    assertThat(Planner.plan(desired, reached).hasChanges()).as("re-plan after " + rule).isFalse();
  }

  @Test
  void plan_gaveUpThenSpecChanged_actsOnNewSpec() {
    SpecSet v1 = set(lan(), service("api").build());
    ObservedState observed =
        withStatus(
            converge(v1),
            "api",
            s ->
                s.phase(Phase.FAILED)
                    .conditions(condition(Condition.PROGRESSING, Reasons.START_LIMIT_REACHED)));

    Plan plan = Planner.plan(set(lan(), service("api").version("1.0.1").build()), observed);

    assertThat(Actions.of(plan)).containsExactly("deploy api 1.0.1 on n1", "start api on n1");
  }

  @Test
  void plan_leaseLost_allocatesAndRestarts() {
    SpecSet desired = set(lan(), service("api").build());
    ObservedState observed = Specs.withLeases(converge(desired), List.of());

    Plan plan = Planner.plan(desired, observed);

    assertThat(Actions.of(plan))
        .containsExactly(
            "allocate api lan 10.0.0.1", "restart api on n1 (address (none) → 10.0.0.1)");
  }
}
