package io.svcreg.core.rollout;

import static io.svcreg.core.rollout.Given.given;
import static io.svcreg.core.rollout.Given.secondsAgo;
import static io.svcreg.core.rollout.Then.then;
import static io.svcreg.core.rollout.When.decide;
import static io.svcreg.core.rollout.When.exited;
import static io.svcreg.core.rollout.When.failing;
import static io.svcreg.core.rollout.When.nodeUnavailable;
import static io.svcreg.core.rollout.When.passing;

import io.svcreg.core.Reasons;
import io.svcreg.schema.Condition;
import io.svcreg.schema.ConditionStatus;
import io.svcreg.schema.HealthState;
import io.svcreg.schema.Phase;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The periodic health check of a settled running service (interval 10 s, failure threshold 3), as a
 * table: only transitions are recorded; a gone process is a crash; a node that does not answer
 * gives no verdict.
 */
class RolloutHealthTest {

  private static Arguments row(String rule, Given given, When when, Then then) {
    return Arguments.of(rule, given, when, then);
  }

  /** Running 2.0.0 with a health check, passing. */
  private static Given checked() {
    return given().health();
  }

  static Stream<Arguments> rules() {
    return Stream.of(
        row(
            "never checked: check now",
            checked(),
            decide(),
            then().steps("check health pid 100").next("none")),
        row(
            "checked 4s ago: not due, look again in 6s",
            checked().lastHealthCheck(secondsAgo(4)),
            decide(),
            then().steps().recordUnchanged().next("requeue 6s")),
        row(
            "checked one interval ago: check now",
            checked().lastHealthCheck(secondsAgo(10)),
            decide(),
            then().steps("check health pid 100")),
        row(
            "passing: nothing recorded, next check after the interval",
            checked().healthFailures(0),
            decide(passing()),
            then()
                .recordUnchanged()
                .events()
                .health(HealthState.PASSING)
                .healthFailures(0)
                .next("requeue 10s")),
        row(
            "failing below the threshold: no transition, failures counted",
            checked().healthFailures(1),
            decide(failing()),
            then()
                .steps("check health pid 100")
                .recordUnchanged()
                .events()
                .health(HealthState.PASSING)
                .condition(Condition.READY, "True/Healthy")
                .healthFailures(2)
                .next("requeue 10s")),
        row(
            "failing at the threshold: failing, not Ready",
            checked().healthFailures(2),
            decide(failing()),
            then()
                .phase(Phase.RUNNING)
                .health(HealthState.FAILING)
                .condition(Condition.READY, "False/HealthCheckFailing")
                .events("health_check_result")
                .healthFailures(3)
                .next("requeue 10s")),
        row(
            "failing above the threshold: already failing, nothing recorded",
            checked()
                .healthState(HealthState.FAILING)
                .condition(Condition.READY, ConditionStatus.FALSE, "HealthCheckFailing")
                .healthFailures(3),
            decide(failing()),
            then().recordUnchanged().events().healthFailures(4).next("requeue 10s")),
        row(
            "passing after failing: passing, Ready again",
            checked()
                .healthState(HealthState.FAILING)
                .condition(Condition.READY, ConditionStatus.FALSE, "HealthCheckFailing")
                .healthFailures(3),
            decide(passing()),
            then()
                .health(HealthState.PASSING)
                .condition(Condition.READY, "True/Healthy")
                .events("health_check_result")
                .healthFailures(0)
                .next("requeue 10s")),
        row(
            "process gone: a crash, started again at once",
            checked().healthFailures(1),
            decide(exited()),
            then()
                .phase(Phase.FAILED)
                .pid("none")
                .health(HealthState.FAILING)
                .condition(Condition.READY, "False/ProcessExited")
                .noCondition(Condition.DEGRADED)
                .crashes(1)
                .process("none")
                .healthFailures(0)
                .events("health_check_result", "service_state_changed")
                .next("requeue 0s")),
        row(
            "process gone after 4 crashes: gives up",
            checked().recentCrashes(4),
            decide(exited()),
            then()
                .phase(Phase.FAILED)
                .condition(Condition.DEGRADED, "True/" + Reasons.START_LIMIT_REACHED)
                .crashes(5)
                .next("terminal")),
        row(
            "node unavailable: Degraded with its reason, retried, not a failure",
            checked().healthFailures(1),
            decide(nodeUnavailable("NodeTimeout")),
            then()
                .phase(Phase.RUNNING)
                .pid("100")
                .health(HealthState.PASSING)
                .condition(Condition.DEGRADED, "True/NodeTimeout")
                .condition(Condition.READY, "True/Healthy")
                .healthFailures(1)
                .crashes(0)
                .next("retry")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rules")
  void health_runningService_onlyTransitionsRecorded(
      String rule, Given given, When when, Then then) {
    then.check(rule, when.on(given));
  }
}
