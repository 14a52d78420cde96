package io.svcreg.core.rollout;

import static io.svcreg.core.rollout.Given.deploy;
import static io.svcreg.core.rollout.Given.given;
import static io.svcreg.core.rollout.Given.restart;
import static io.svcreg.core.rollout.Then.then;
import static io.svcreg.core.rollout.When.decide;
import static io.svcreg.core.rollout.When.failed;
import static io.svcreg.core.rollout.When.installed;
import static io.svcreg.core.rollout.When.observe;
import static io.svcreg.core.rollout.When.reconcile;
import static io.svcreg.core.rollout.When.started;
import static io.svcreg.core.rollout.When.stopped;

import io.svcreg.core.Reasons;
import io.svcreg.schema.Condition;
import io.svcreg.schema.ConditionStatus;
import io.svcreg.schema.Phase;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The operator's intent, as a table: {@code stop} holds a service stopped, {@code start} resets the
 * start limit, {@code restart} and {@code deploy_package} are carried out on a settled service and
 * then forgotten.
 */
class RolloutOperatorTest {

  private static Arguments row(String rule, Given given, When when, Then then) {
    return Arguments.of(rule, given, when, then);
  }

  /** Declared 3.0.0, recorded and running 2.0.0: the planner deploys and restarts. */
  private static Given newVersion() {
    return given()
        .version("3.0.0")
        .recorded("2.0.0")
        .planned(deploy("3.0.0"), restart("version 2.0.0 → 3.0.0"));
  }

  static Stream<Arguments> holds() {
    return Stream.of(
        row(
            "held, running, nothing planned: Held, stopped",
            given().held(),
            reconcile(stopped()),
            then()
                .condition(Condition.HELD, "True/" + Reasons.STOPPED_BY_OPERATOR)
                .steps("stop pid 100")
                .phase(Phase.STOPPED)
                .pid("none")
                .process("none")
                .condition(Condition.READY, "False/Stopped")
                .intent("held")
                .next("done")),
        row(
            "held, deploy and restart planned: stopped, then installed, not started",
            newVersion().held(),
            reconcile(stopped(), installed()),
            then()
                .condition(Condition.HELD, "True/" + Reasons.STOPPED_BY_OPERATOR)
                .steps("stop pid 100", "install 3.0.0")
                .phase(Phase.STOPPED)
                .deployed("3.0.0")
                .previous("2.0.0")
                .next("done")),
        row(
            "held and stopped: nothing to do",
            given().held().stopped().condition(Condition.HELD, ConditionStatus.TRUE, "x"),
            reconcile(),
            then()
                .steps()
                .condition(Condition.HELD, "True/" + Reasons.STOPPED_BY_OPERATOR)
                .phase(Phase.STOPPED)
                .next("done")),
        row(
            "no longer held: Held removed",
            given()
                .stopped()
                .condition(Condition.HELD, ConditionStatus.TRUE, Reasons.STOPPED_BY_OPERATOR),
            observe(),
            then().noCondition(Condition.HELD).phase(Phase.STOPPED).next("none")));
  }

  static Stream<Arguments> commands() {
    return Stream.of(
        row(
            "start: crashes and StartLimitReached forgotten, command consumed",
            given()
                .failed()
                .recentCrashes(5)
                .condition(Condition.DEGRADED, ConditionStatus.TRUE, Reasons.START_LIMIT_REACHED)
                .resetStartLimit(),
            observe(),
            then()
                .crashes(0)
                .noCondition(Condition.DEGRADED)
                .intent("")
                .phase(Phase.FAILED)
                .next("none")),
        row(
            "start: another Degraded is kept",
            given()
                .failed()
                .condition(Condition.DEGRADED, ConditionStatus.TRUE, "InstallFailed")
                .resetStartLimit(),
            observe(),
            then().condition(Condition.DEGRADED, "True/InstallFailed").intent("").next("none")),
        row(
            "restart of a settled running service: stop and start, pending until carried out",
            given().restartCommand(),
            reconcile(),
            then().steps("stop pid 100", "start 2.0.0").phase(Phase.STOPPING).intent("restart")),
        row(
            "restart carried out: a new process, command consumed",
            given().restartCommand(),
            reconcile(stopped(), started(300, false)),
            then()
                .steps("stop pid 100", "start 2.0.0")
                .phase(Phase.STARTING)
                .pid("300")
                .process("pid 300 unconfirmed")
                .deployed("2.0.0")
                .previous("1.0.0")
                .intent("")
                .next("requeue 1s")),
        row(
            "restart whose stop fails: command consumed all the same",
            given().restartCommand(),
            reconcile(failed("StopFailed")),
            then()
                .steps("stop pid 100")
                .phase(Phase.FAILED)
                .condition(Condition.DEGRADED, "True/StopFailed")
                .intent("")
                .next("retry")),
        row(
            "deploy_package: forced install, stop, start; command consumed",
            given().redeployCommand(),
            reconcile(installed(), stopped(), started(300, false)),
            then()
                .steps("install 2.0.0 forced", "stop pid 100", "start 2.0.0")
                .phase(Phase.STARTING)
                .deployed("2.0.0")
                .previous("1.0.0")
                .pid("300")
                .intent("")
                .next("requeue 1s")),
        row(
            "deploy_package of a held service: installed only",
            given()
                .held()
                .stopped()
                .condition(Condition.HELD, ConditionStatus.TRUE, Reasons.STOPPED_BY_OPERATOR)
                .redeployCommand(),
            reconcile(installed()),
            then().steps("install 2.0.0 forced").phase(Phase.STOPPED).intent("held").next("done")),
        row(
            "deploy_package whose install fails: phase restored, Degraded, command consumed",
            given().redeployCommand(),
            reconcile(failed("PackageNotFound")),
            then()
                .steps("install 2.0.0 forced")
                .phase(Phase.RUNNING)
                .pid("100")
                .condition(Condition.DEGRADED, "True/PackageNotFound")
                .condition(Condition.PROGRESSING, "False/PackageNotFound")
                .events("deployment_progress", "deployment_progress")
                .intent("")
                .next("done")),
        row(
            "deploy_package of a rolled-back service: RolledBack cleared",
            given()
                .deployed("1.0.0")
                .previous("2.0.0")
                .condition(Condition.DEGRADED, ConditionStatus.TRUE, Reasons.ROLLED_BACK)
                .condition(Condition.PROGRESSING, ConditionStatus.FALSE, Reasons.ROLLED_BACK)
                .redeployCommand(),
            observe(),
            then()
                .noCondition(Condition.DEGRADED)
                .noCondition(Condition.PROGRESSING)
                .intent("redeploy")
                .next("none")),
        row(
            "deploy_package of a rolled-back service: consumed by the plan's deploy and restart",
            given()
                .deployed("1.0.0")
                .previous("2.0.0")
                .condition(Condition.DEGRADED, ConditionStatus.TRUE, Reasons.ROLLED_BACK)
                .redeployCommand()
                .planned(deploy("2.0.0"), restart("version 1.0.0 → 2.0.0")),
            reconcile(),
            then()
                .steps("install 2.0.0", "stop pid 100", "start 2.0.0")
                .noCondition(Condition.DEGRADED)
                .intent("")),
        row(
            "restart pending, the plan restarts anyway: consumed at decide",
            newVersion().restartPending(),
            decide(),
            then().steps("install 3.0.0", "stop pid 100", "start 3.0.0").intent("")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("holds")
  void hold_operatorStop_keptStopped(String rule, Given given, When when, Then then) {
    then.check(rule, when.on(given));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("commands")
  void command_pending_carriedOutOnce(String rule, Given given, When when, Then then) {
    then.check(rule, when.on(given));
  }
}
