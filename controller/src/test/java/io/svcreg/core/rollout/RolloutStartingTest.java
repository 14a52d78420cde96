package io.svcreg.core.rollout;

import static io.svcreg.core.rollout.Given.DEAD;
import static io.svcreg.core.rollout.Given.deploy;
import static io.svcreg.core.rollout.Given.given;
import static io.svcreg.core.rollout.Given.restart;
import static io.svcreg.core.rollout.Given.rollback;
import static io.svcreg.core.rollout.Given.start;
import static io.svcreg.core.rollout.Then.then;
import static io.svcreg.core.rollout.When.decide;
import static io.svcreg.core.rollout.When.failing;
import static io.svcreg.core.rollout.When.installed;
import static io.svcreg.core.rollout.When.passing;
import static io.svcreg.core.rollout.When.reconcile;
import static io.svcreg.core.rollout.When.started;
import static io.svcreg.core.rollout.When.stopped;

import io.svcreg.core.Reasons;
import io.svcreg.schema.Condition;
import io.svcreg.schema.ConditionStatus;
import io.svcreg.schema.HealthState;
import io.svcreg.schema.Phase;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A started process, as a table: it must outlive its start grace period (1 s), then pass its health
 * check within {@code rollout.progressDeadline} (60 s), or the rollout fails and is rolled back; a
 * start waits for its dependencies.
 */
class RolloutStartingTest {

  private static Arguments row(String rule, Given given, When when, Then then) {
    return Arguments.of(rule, given, when, then);
  }

  private static Duration millis(long ms) {
    return Duration.ofMillis(ms);
  }

  private static Duration seconds(long s) {
    return Duration.ofSeconds(s);
  }

  /** Starting 2.0.0 (previous 1.0.0) with a health check, its process confirmed. */
  private static Given checkedStart(Duration ago) {
    return given().health().healthState(HealthState.UNKNOWN).starting(ago, true);
  }

  static Stream<Arguments> grace() {
    return Stream.of(
        row(
            "unconfirmed within its grace: looks again when the grace is over",
            given().starting(millis(400), false),
            decide(),
            then()
                .steps()
                .phase(Phase.STARTING)
                .process("pid 200 unconfirmed")
                .next("requeue 600ms")),
        row(
            "unconfirmed at the end of its grace: confirm",
            given().starting(seconds(1), false),
            decide(),
            then().steps("confirm pid 200").phase(Phase.STARTING).next("none")),
        row(
            "unconfirmed after its grace: confirm",
            given().starting(seconds(5), false),
            decide(),
            then().steps("confirm pid 200").next("none")),
        row(
            "unconfirmed, the node says it died within its grace: confirm at once, no crash yet",
            given().starting(millis(200), false).probe(DEAD),
            reconcile(),
            then().steps("confirm pid 200").phase(Phase.STARTING).crashes(0).next("none")),
        row(
            "confirmed, no health check: running",
            given().starting(seconds(1), false),
            decide(started(Given.NEW_PID, true)),
            then()
                .steps("confirm pid 200")
                .phase(Phase.RUNNING)
                .pid("200")
                .process("pid 200 confirmed")
                .condition(Condition.READY, "True/Healthy")
                .condition(Condition.PROGRESSING, "False/Completed")
                .health(HealthState.UNKNOWN)
                .events("service_state_changed")
                .next("requeue 30s")),
        row(
            "confirmed, with a health check: checks its health",
            given().health().starting(seconds(1), false),
            decide(started(Given.NEW_PID, true)),
            then()
                .steps("confirm pid 200", "check health pid 200")
                .phase(Phase.STARTING)
                .process("pid 200 confirmed")
                .next("none")));
  }

  /**
   * A process started by this reconcile is new: what the node said before about the process it
   * replaced (or about no process) says nothing about it, so it too must outlive its grace.
   */
  static Stream<Arguments> graceOfNewProcess() {
    return Stream.of(
        row(
            "crashed process started again: the new one waits for its grace",
            given().recentCrashes(1).probe(DEAD).planned(start()),
            reconcile(started(300, false)),
            then()
                .steps("start 2.0.0")
                .phase(Phase.STARTING)
                .pid("300")
                .process("pid 300 unconfirmed")
                .crashes(2)
                .next("requeue 1s")),
        row(
            "stopped service started: the new process waits for its grace",
            given().stopped().probe(DEAD).planned(start()),
            reconcile(started(300, false)),
            then()
                .steps("start 2.0.0")
                .phase(Phase.STARTING)
                .process("pid 300 unconfirmed")
                .next("requeue 1s")),
        row(
            "running service restarted with a new version: the new process waits for its grace",
            given()
                .version("3.0.0")
                .recorded("2.0.0")
                .probe(Given.ALIVE)
                .planned(deploy("3.0.0"), restart("version 2.0.0 → 3.0.0")),
            reconcile(installed(), stopped(), started(300, false)),
            then()
                .steps("install 3.0.0", "stop pid 100", "start 3.0.0")
                .phase(Phase.STARTING)
                .process("pid 300 unconfirmed")
                .next("requeue 1s")));
  }

  static Stream<Arguments> deadline() {
    return Stream.of(
        row(
            "health passing: running, Ready, whatever degraded it is over",
            checkedStart(seconds(5))
                .condition(Condition.DEGRADED, ConditionStatus.TRUE, "ExitedDuringStart"),
            decide(passing()),
            then()
                .steps("check health pid 200")
                .phase(Phase.RUNNING)
                .health(HealthState.PASSING)
                .condition(Condition.READY, "True/Healthy")
                .condition(Condition.PROGRESSING, "False/Completed")
                .noCondition(Condition.DEGRADED)
                .next("requeue 10s")),
        row(
            "health failing before the deadline: polls again",
            checkedStart(seconds(30)),
            decide(failing()),
            then()
                .steps("check health pid 200")
                .phase(Phase.STARTING)
                .condition(Condition.PROGRESSING, "True/Starting")
                .next("requeue 250ms")),
        row(
            "health failing at the deadline: polls again",
            checkedStart(seconds(60)),
            decide(failing()),
            then().phase(Phase.STARTING).next("requeue 250ms")),
        row(
            "health failing after the deadline, with a previous version: failed, rolled back next",
            checkedStart(seconds(61)),
            decide(failing()),
            then()
                .steps("check health pid 200")
                .phase(Phase.FAILED)
                .health(HealthState.FAILING)
                .condition(Condition.PROGRESSING, "False/" + Reasons.PROGRESS_DEADLINE_EXCEEDED)
                .message(Condition.PROGRESSING, "did not become healthy within 1m: 503")
                .noCondition(Condition.DEGRADED)
                .deployed("2.0.0")
                .previous("1.0.0")
                .next("requeue 0s")),
        row(
            "health failing after the deadline, no previous version: gives up",
            checkedStart(seconds(61)).previous(null),
            decide(failing()),
            then()
                .phase(Phase.FAILED)
                .condition(Condition.PROGRESSING, "False/" + Reasons.PROGRESS_DEADLINE_EXCEEDED)
                .condition(Condition.DEGRADED, "True/" + Reasons.START_LIMIT_REACHED)
                .message(Condition.DEGRADED, "nothing to roll back to")
                .next("terminal")),
        row(
            "health failing after the deadline, autoRollback false: gives up",
            checkedStart(seconds(61)).noAutoRollback(),
            decide(failing()),
            then()
                .phase(Phase.FAILED)
                .condition(Condition.DEGRADED, "True/" + Reasons.START_LIMIT_REACHED)
                .message(Condition.DEGRADED, "nothing to roll back to")
                .next("terminal")),
        row(
            "planned rollback: stop, start of the previous version; RolledBack written, no step",
            given()
                .health()
                .phase(Phase.FAILED)
                .pid(Given.NEW_PID)
                .condition(
                    Condition.PROGRESSING,
                    ConditionStatus.FALSE,
                    Reasons.PROGRESS_DEADLINE_EXCEEDED)
                .planned(rollback("2.0.0", "1.0.0")),
            decide(stopped(), started(300, false)),
            then()
                .steps("stop pid 200", "start 1.0.0")
                .phase(Phase.STARTING)
                .deployed("1.0.0")
                .previous("2.0.0")
                .pid("300")
                .condition(Condition.DEGRADED, "True/" + Reasons.ROLLED_BACK)
                .message(Condition.DEGRADED, "version 2.0.0 did not become healthy within 1m")
                .condition(Condition.PROGRESSING, "True/Starting")
                .process("pid 300 unconfirmed")
                .events(
                    "service_state_changed",
                    "service_state_changed",
                    "deployment_progress",
                    "deployment_progress",
                    "service_state_changed",
                    "endpoint_updated")
                .next("requeue 1s")),
        row(
            "health passing after a rollback: running the previous version, still RolledBack",
            checkedStart(seconds(5))
                .deployed("1.0.0")
                .previous("2.0.0")
                .condition(Condition.DEGRADED, ConditionStatus.TRUE, Reasons.ROLLED_BACK),
            decide(passing()),
            then()
                .phase(Phase.RUNNING)
                .deployed("1.0.0")
                .condition(Condition.READY, "True/Healthy")
                .condition(Condition.DEGRADED, "True/" + Reasons.ROLLED_BACK)
                .condition(Condition.PROGRESSING, "False/" + Reasons.ROLLED_BACK)
                .next("requeue 10s")));
  }

  static Stream<Arguments> dependencies() {
    return Stream.of(
        row(
            "dependency not ready: waits, nothing started",
            given().stopped().dependsOn("db").dependency("db", false, null).planned(start()),
            decide(),
            then()
                .steps()
                .phase(Phase.STOPPED)
                .condition(Condition.PROGRESSING, "True/WaitingForDependencies")
                .message(Condition.PROGRESSING, "waiting for db")
                .next("requeue 1s")),
        row(
            "dependency not recorded: waits, nothing started",
            given().stopped().dependsOn("db").planned(start()),
            decide(),
            then()
                .steps()
                .phase(Phase.STOPPED)
                .condition(Condition.PROGRESSING, "True/WaitingForDependencies")
                .next("requeue 1s")),
        row(
            "dependency ready: started with its address",
            given()
                .stopped()
                .dependsOn("db")
                .dependency("db", true, "10.0.0.2:5432")
                .planned(start()),
            decide(),
            then()
                .steps("start 2.0.0 with {db=10.0.0.2:5432}")
                .phase(Phase.STARTING)
                .condition(Condition.PROGRESSING, "True/Starting")
                .next("none")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("grace")
  void progress_startedProcess_confirmedAfterGrace(String rule, Given given, When when, Then then) {
    then.check(rule, when.on(given));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("graceOfNewProcess")
  void progress_processStartedThisReconcile_waitsForGrace(
      String rule, Given given, When when, Then then) {
    then.check(rule, when.on(given));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("deadline")
  void progress_healthOfStart_runningOrRolledBack(String rule, Given given, When when, Then then) {
    then.check(rule, when.on(given));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dependencies")
  void start_dependencies_waitsUntilReady(String rule, Given given, When when, Then then) {
    then.check(rule, when.on(given));
  }
}
