package io.svcreg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.core.ObservedState;
import io.svcreg.core.ObservedStates;
import io.svcreg.core.Plan;
import io.svcreg.core.Planner;
import io.svcreg.core.Snapshot;
import io.svcreg.schema.SpecLoader;
import io.svcreg.schema.SpecSet;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code plan --state FILE} against the state a controller reaches by applying the plan. */
class PlanNoChangesTest {

  @TempDir Path tmp;
  private SpecDir dir;
  private Path state;

  @BeforeEach
  void convergeAndSnapshot() {
    dir = SpecDir.write(tmp);
    SpecSet specs = SpecLoader.load(List.of(dir.specs()));
    Plan plan = Planner.plan(specs, ObservedState.EMPTY);
    state = tmp.resolve("state.json");
    Snapshot.write(ObservedStates.converged(specs, plan), state);
  }

  private CliRun plan(String... more) {
    String[] args = new String[4 + more.length];
    args[0] = "plan";
    args[1] = "--specs";
    args[2] = dir.specs().toString();
    args[3] = "--state=" + state;
    System.arraycopy(more, 0, args, 4, more.length);
    return CliRun.of(args);
  }

  @Test
  void plan_convergedState_exits0WithNoChanges() {
    CliRun run = plan();

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(Cli.OK);
    assertThat(run.out()).isEqualTo("No changes. Desired state matches observed state.\n");
    assertThat(run.err()).isEmpty();
  }

  @Test
  void plan_convergedStateAsJson_hasNoChangesAndCountsUnchanged() {
    CliRun run = plan("-o", "json");

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(Cli.OK);
    assertThat(run.out()).contains("\"changes\": []").contains("\"unchanged\": 4");
  }

  @Test
  void plan_convergedStateAsMarkdown_saysNoChanges() {
    CliRun run = plan("-o", "markdown");

    assertThat(run.exitCode()).isEqualTo(Cli.OK);
    assertThat(run.out()).startsWith("### svcreg plan: no changes\n");
  }

  @Test
  void plan_oneFieldEdited_exits1AndShowsOnlyThatUpdate() {
    dir.edit("services.yaml", "env: {MODE: blue}", "env: {MODE: green}");

    CliRun run = plan();

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(Cli.CHANGES);
    assertThat(run.out())
        .contains("  ~ Service/web  generation 2")
        .contains("      spec.env.MODE: blue \u2192 green\n")
        .contains("  3 unchanged\n")
        .endsWith("Plan: 0 to create, 1 to update, 0 to delete, 3 unchanged.\n");
  }
}
