package io.svcreg.core.rollout;

import static io.svcreg.core.rollout.Given.ALIVE;
import static io.svcreg.core.rollout.Given.deploy;
import static io.svcreg.core.rollout.Given.given;
import static io.svcreg.core.rollout.Given.restart;
import static io.svcreg.core.rollout.Given.start;
import static io.svcreg.core.rollout.Then.then;
import static io.svcreg.core.rollout.When.decide;
import static io.svcreg.core.rollout.When.failed;
import static io.svcreg.core.rollout.When.observe;
import static io.svcreg.core.rollout.When.reconcile;

import io.svcreg.core.Reasons;
import io.svcreg.schema.Condition;
import io.svcreg.schema.ConditionStatus;
import io.svcreg.schema.Phase;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What the node says, and what a new generation of the spec forgets, as tables: a node that cannot
 * be asked changes nothing recorded but {@code Degraded} (once per reason); the node answering
 * again clears it; a new generation starts with no crashes and no {@code Degraded}.
 */
class RolloutNodeTest {

  private static Arguments row(String rule, Given given, When when, Then then) {
    return Arguments.of(rule, given, when, then);
  }

  private static Probe unreachable(String reason) {
    return new Probe.Unreachable(reason, "cannot reach n1: " + reason);
  }

  static Stream<Arguments> probes() {
    return Stream.of(
        row(
            "node unreachable: Degraded with the reason, the rest kept, retried",
            given().probe(unreachable("NodeUnreachable")),
            observe(),
            then()
                .steps()
                .phase(Phase.RUNNING)
                .pid("100")
                .deployed("2.0.0")
                .condition(Condition.DEGRADED, "True/NodeUnreachable")
                .message(Condition.DEGRADED, "cannot reach n1")
                .condition(Condition.READY, "True/Healthy")
                .events()
                .next("retry")),
        row(
            "node still unreachable for the same reason: nothing written, retried",
            given()
                .condition(Condition.DEGRADED, ConditionStatus.TRUE, "NodeUnreachable")
                .probe(unreachable("NodeUnreachable")),
            observe(),
            then().recordUnchanged().events().next("retry")),
        row(
            "node unreachable for another reason: Degraded says the new one",
            given()
                .condition(Condition.DEGRADED, ConditionStatus.TRUE, "NodeUnreachable")
                .probe(unreachable("HostKeyRefused")),
            observe(),
            then().condition(Condition.DEGRADED, "True/HostKeyRefused").next("retry")),
        row(
            "node answers again: its Degraded cleared, the same process kept",
            given().condition(Condition.DEGRADED, ConditionStatus.TRUE, "NodeTimeout").probe(ALIVE),
            observe(),
            then()
                .steps()
                .noCondition(Condition.DEGRADED)
                .phase(Phase.RUNNING)
                .pid("100")
                .crashes(0)
                .next("none")),
        row(
            "node answers: a Degraded of another reason is kept",
            given()
                .condition(Condition.DEGRADED, ConditionStatus.TRUE, Reasons.ROLLED_BACK)
                .probe(ALIVE),
            observe(),
            then().condition(Condition.DEGRADED, "True/" + Reasons.ROLLED_BACK).next("none")),
        row(
            "install directory gone: recorded as not deployed, stopped for a reinstall",
            given().probe(new Probe.Seen(false, true)),
            observe(),
            then()
                .steps("stop pid 100")
                .deployed("null")
                .pid("none")
                .phase(Phase.STOPPED)
                .process("none")
                .next("none")),
        row(
            "a unit started again by systemd as another process: adopted, no crash counted",
            given()
                .probe(
                    new Probe.Seen(
                        true,
                        true,
                        false,
                        java.util.Optional.of(new Probe.Running(Given.NEW_PID, Given.NOW)))),
            observe(),
            then()
                .steps()
                .phase(Phase.RUNNING)
                .pid(String.valueOf(Given.NEW_PID))
                .process("pid " + Given.NEW_PID + " confirmed")
                .crashes(0)
                .next("none")),
        row(
            "start recorded without its process: still starting until its strays are stopped",
            given().phase(Phase.STARTING).noProcess().probe(ALIVE),
            observe(),
            then().steps("stop strays").phase(Phase.STARTING).next("none")),
        row(
            "start recorded without its process: strays stopped, stopped",
            given().phase(Phase.STARTING).noProcess().probe(ALIVE),
            observe(StepResult.DONE),
            then().steps("stop strays").phase(Phase.STOPPED).next("none")),
        row(
            "start recorded without its process, strays not stopped: still starting, retried",
            given().phase(Phase.STARTING).noProcess().probe(ALIVE),
            observe(failed("NodeUnreachable")),
            then().steps("stop strays").phase(Phase.STARTING).next("retry")));
  }

  static Stream<Arguments> generations() {
    return Stream.of(
        row(
            "a new generation: crashes and Degraded forgotten",
            given()
                .version("3.0.0")
                .recorded("2.0.0")
                .failed()
                .recentCrashes(5)
                .condition(Condition.DEGRADED, ConditionStatus.TRUE, Reasons.START_LIMIT_REACHED)
                .planned(deploy("3.0.0"), start())
                .change(2),
            decide(),
            then()
                .steps("install 3.0.0", "start 3.0.0")
                .crashes(0)
                .noCondition(Condition.DEGRADED)
                .phase(Phase.DEPLOYING)),
        row(
            "the same generation: crashes and Degraded kept",
            given()
                .failed()
                .recentCrashes(3)
                .condition(Condition.DEGRADED, ConditionStatus.TRUE, "ExitedDuringStart")
                .planned(start())
                .change(1),
            decide(),
            then()
                .steps("start 2.0.0")
                .crashes(3)
                .condition(Condition.DEGRADED, "True/ExitedDuringStart")));
  }

  /**
   * An install the node refused (e.g. its disk is full): a running service's new version leaves the
   * running one as it is, phase included, so that the next plan restarts it rather than starting
   * the new version beside it; a spec back at the running version is a fresh start.
   */
  static Stream<Arguments> installs() {
    return Stream.of(
        row(
            "new version of a running service not installed: the running one kept, Degraded",
            given()
                .version("3.0.0")
                .recorded("2.0.0")
                .probe(ALIVE)
                .planned(deploy("3.0.0"), restart("version 2.0.0 → 3.0.0")),
            reconcile(failed("InstallFailed")),
            then()
                .steps("install 3.0.0")
                .phase(Phase.RUNNING)
                .pid("100")
                .process("pid 100 confirmed")
                .deployed("2.0.0")
                .condition(Condition.DEGRADED, "True/InstallFailed")
                .condition(Condition.READY, "True/Healthy")
                .next("retry")),
        row(
            "version of a stopped service not installed: failed",
            given().version("3.0.0").recorded("2.0.0").stopped().planned(deploy("3.0.0"), start()),
            reconcile(failed("InstallFailed")),
            then()
                .steps("install 3.0.0")
                .phase(Phase.FAILED)
                .deployed("2.0.0")
                .condition(Condition.DEGRADED, "True/InstallFailed")
                .next("retry")),
        row(
            "deployed version gone while its spec is held (invalid): nothing installed, no error",
            given()
                .specHeld()
                .stopped()
                .probe(new Probe.Seen(false, false))
                .planned(deploy("2.0.0")),
            reconcile(),
            then().steps().phase(Phase.STOPPED).next("done")),
        row(
            "spec back at the running version after a failed install: Degraded cleared",
            given()
                .recorded("3.0.0")
                .deployed("2.0.0")
                .condition(Condition.DEGRADED, ConditionStatus.TRUE, "InstallFailed")
                .change(2),
            decide(),
            then().steps().phase(Phase.RUNNING).pid("100").noCondition(Condition.DEGRADED)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("installs")
  void install_refusedByNode_runningVersionKept(String rule, Given given, When when, Then then) {
    then.check(rule, when.on(given));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("probes")
  void observe_nodeAnswer_recordedOnce(String rule, Given given, When when, Then then) {
    then.check(rule, when.on(given));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("generations")
  void decide_newGeneration_freshStart(String rule, Given given, When when, Then then) {
    then.check(rule, when.on(given));
  }
}
