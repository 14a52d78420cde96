package io.svcreg.core.rollout;

import static io.svcreg.core.rollout.Given.DEAD;
import static io.svcreg.core.rollout.Given.given;
import static io.svcreg.core.rollout.Given.secondsAgo;
import static io.svcreg.core.rollout.Given.start;
import static io.svcreg.core.rollout.Then.then;
import static io.svcreg.core.rollout.When.decide;
import static io.svcreg.core.rollout.When.failed;
import static io.svcreg.core.rollout.When.observe;

import io.svcreg.core.Reasons;
import io.svcreg.schema.Condition;
import io.svcreg.schema.Phase;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The start limit ({@link Rules#DEFAULTS}: 5 crashes within 60 s), as a table: a process found
 * dead, or a start that fails, counts as a crash of the declared spec.
 */
class RolloutStartLimitTest {

  private static Arguments row(String rule, Given given, When when, Then then) {
    return Arguments.of(rule, given, when, then);
  }

  static Stream<Arguments> rules() {
    return Stream.of(
        row(
            "running, found dead after 4 crashes within the window: gives up",
            given().recentCrashes(4).probe(DEAD),
            observe(),
            then()
                .steps()
                .phase(Phase.FAILED)
                .pid("none")
                .condition(Condition.READY, "False/ProcessExited")
                .condition(Condition.DEGRADED, "True/" + Reasons.START_LIMIT_REACHED)
                .message(Condition.DEGRADED, "5 times within 60s")
                .crashes(5)
                .process("none")
                .events("service_state_changed")
                .next("terminal")),
        row(
            "running, found dead after 3 crashes: failed, started again by the plan",
            given().recentCrashes(3).probe(DEAD),
            observe(),
            then()
                .steps()
                .phase(Phase.FAILED)
                .pid("none")
                .condition(Condition.READY, "False/ProcessExited")
                .noCondition(Condition.DEGRADED)
                .crashes(4)
                .process("none")
                .next("none")),
        row(
            "crashes older than the window do not count",
            given()
                .crashes(secondsAgo(90), secondsAgo(80), secondsAgo(70), secondsAgo(61))
                .probe(DEAD),
            observe(),
            then().phase(Phase.FAILED).noCondition(Condition.DEGRADED).crashes(1).next("none")),
        row(
            "a crash exactly one window ago still counts",
            given()
                .crashes(secondsAgo(60), secondsAgo(30), secondsAgo(20), secondsAgo(10))
                .probe(DEAD),
            observe(),
            then()
                .phase(Phase.FAILED)
                .condition(Condition.DEGRADED, "True/" + Reasons.START_LIMIT_REACHED)
                .crashes(5)
                .next("terminal")),
        row(
            "crashes counted for another spec do not count",
            given().recentCrashes(4).crashSpec("another-spec").probe(DEAD),
            observe(),
            then().phase(Phase.FAILED).noCondition(Condition.DEGRADED).crashes(1).next("none")),
        row(
            "stopping, found dead at the limit: gives up too",
            given().phase(Phase.STOPPING).recentCrashes(4).probe(DEAD),
            observe(),
            then()
                .phase(Phase.FAILED)
                .condition(Condition.DEGRADED, "True/" + Reasons.START_LIMIT_REACHED)
                .next("terminal")),
        row(
            "start that fails after 4 crashes: gives up",
            given().failed().recentCrashes(4).planned(start()),
            decide(failed("ExitedDuringStart")),
            then()
                .steps("start 2.0.0")
                .phase(Phase.FAILED)
                .pid("none")
                .condition(Condition.DEGRADED, "True/" + Reasons.START_LIMIT_REACHED)
                .message(Condition.DEGRADED, "failed to start 5 times within 60s")
                .message(Condition.DEGRADED, "ExitedDuringStart happened: last log line")
                .crashes(5)
                .process("none")
                .next("terminal")),
        row(
            "start the node cannot run (execution type): Degraded, given up, no crash counted",
            given().failed().recentCrashes(2).planned(start()),
            decide(failed("ExecutionUnsupported")),
            then()
                .steps("start 2.0.0")
                .phase(Phase.FAILED)
                .pid("none")
                .condition(Condition.DEGRADED, "True/ExecutionUnsupported")
                .message(Condition.DEGRADED, "ExecutionUnsupported happened")
                .crashes(2)
                .next("terminal")),
        row(
            "start that fails below the limit: retried, Degraded with the deployer's reason",
            given().failed().recentCrashes(2).planned(start()),
            decide(failed("ExitedDuringStart")),
            then()
                .steps("start 2.0.0")
                .phase(Phase.FAILED)
                .pid("none")
                .condition(Condition.DEGRADED, "True/ExitedDuringStart")
                .crashes(3)
                .next("retry")),
        row(
            "confirm that fails after 4 crashes: gives up",
            given().starting(Duration.ofSeconds(2), false).recentCrashes(4),
            decide(failed("ExitedDuringStart")),
            then()
                .steps("confirm pid 200")
                .phase(Phase.FAILED)
                .pid("none")
                .condition(Condition.DEGRADED, "True/" + Reasons.START_LIMIT_REACHED)
                .crashes(5)
                .process("none")
                .next("terminal")),
        row(
            "confirm that fails below the limit: retried, Degraded with the deployer's reason",
            given().starting(Duration.ofSeconds(2), false),
            decide(failed("ExitedDuringStart")),
            then()
                .steps("confirm pid 200")
                .phase(Phase.FAILED)
                .pid("none")
                .condition(Condition.DEGRADED, "True/ExitedDuringStart")
                .crashes(1)
                .process("none")
                .next("retry")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rules")
  void startLimit_crashOrFailedStart_decision(String rule, Given given, When when, Then then) {
    then.check(rule, when.on(given));
  }
}
