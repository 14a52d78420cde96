package io.svcreg.core.rollout;

import static io.svcreg.core.rollout.Given.NAME;
import static io.svcreg.core.rollout.Given.NODE;
import static io.svcreg.core.rollout.Given.deploy;
import static io.svcreg.core.rollout.Given.given;
import static io.svcreg.core.rollout.Then.then;
import static io.svcreg.core.rollout.When.decide;
import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.core.Action;
import io.svcreg.schema.Condition;
import io.svcreg.schema.ConditionStatus;
import io.svcreg.schema.Phase;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Directories a deployer kept because live processes run from them, as tables: an install that kept
 * one is done and says so; a removal that kept one is not done: {@code Degraded} with reason {@code
 * InstallDirectoryInUse}, tried again; the removal done later clears it.
 */
class RolloutKeptTest {

  private static final StepResult.Kept KEPT =
      new StepResult.Kept(
          "1.0.0", "/srv/web-1.0.0", List.of(new StepResult.Kept.Holder(77, "sleep 1000", "cwd")));

  private static final Action UNDEPLOY = new Action.Undeploy(NAME, NODE, "2.0.0");

  private static Arguments row(String rule, Given given, When when, Then then) {
    return Arguments.of(rule, given, when, then);
  }

  static Stream<Arguments> kept() {
    return Stream.of(
        row(
            "an install that kept an old version a process runs from: done, reported",
            given().version("3.0.0").recorded("2.0.0").stopped().planned(deploy("3.0.0")),
            decide(new StepResult.Installed("/srv/web-3.0.0", List.of(), List.of(KEPT))),
            then()
                .steps("install 3.0.0")
                .phase(Phase.STOPPED)
                .deployed("3.0.0")
                .noCondition(Condition.DEGRADED)
                .events(
                    "deployment_progress",
                    "service_state_changed",
                    "deployment_progress",
                    "service_state_changed",
                    "deployment_progress")),
        row(
            "a removal that kept a directory a process runs from: Degraded, retried",
            given().stopped().planned(UNDEPLOY),
            decide(new StepResult.Uninstalled(List.of(), false, List.of(KEPT))),
            then()
                .steps("uninstall on n1")
                .condition(Condition.DEGRADED, "True/InstallDirectoryInUse")
                .message(
                    Condition.DEGRADED,
                    "kept /srv/web-1.0.0 on node n1: a live process runs from it"
                        + " (pid 77 (sleep 1000; cwd))")
                .events("deployment_progress")
                .next("retry")),
        row(
            "the removal done once the process is gone: its Degraded cleared",
            given()
                .stopped()
                .condition(Condition.DEGRADED, ConditionStatus.TRUE, "InstallDirectoryInUse")
                .planned(UNDEPLOY),
            decide(new StepResult.Uninstalled(List.of("2.0.0"), false)),
            then().steps("uninstall on n1").noCondition(Condition.DEGRADED)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kept")
  void afterStep_directoryKept_reportedAndRemovalRetried(
      String rule, Given given, When when, Then then) {
    then.check(rule, when.on(given));
  }

  @Test
  void afterStep_directoryKept_eventNamesNodeDirectoryAndProcesses() {
    When.Result r =
        decide(new StepResult.Uninstalled(List.of(), false, List.of(KEPT)))
            .on(given().stopped().planned(UNDEPLOY));

    EventDraft e = r.writes().events().getFirst();

    assertThat(e.key()).isEqualTo("Service/web");
    assertThat(e.data())
        .containsEntry("phase", "kept")
        .containsEntry("version", "1.0.0")
        .containsEntry("node", "n1")
        .containsEntry("home", "/srv/web-1.0.0")
        .containsEntry(
            "processes", List.of(Map.of("pid", 77L, "command", "sleep 1000", "how", "cwd")));
    assertThat((String) e.data().get("message")).contains("not deleted");
  }
}
