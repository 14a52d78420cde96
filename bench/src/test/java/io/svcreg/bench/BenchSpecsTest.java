package io.svcreg.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.core.ChangeType;
import io.svcreg.core.ObservedState;
import io.svcreg.core.Plan;
import io.svcreg.core.Planner;
import io.svcreg.schema.SpecLoader;
import io.svcreg.schema.SpecSet;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The benchmark's generated specs stay valid as the loader's rules evolve. */
class BenchSpecsTest {

  @TempDir Path tmp;

  @Test
  void write_300Services_loadWithoutProblemsAndPlanEveryResource() throws IOException {
    BenchSpecs specs = BenchSpecs.write(tmp, 300, 7);

    SpecSet set = SpecLoader.load(List.of(specs.root()));
    Plan plan = Planner.plan(set, ObservedState.EMPTY);

    assertThat(set.problems()).isEmpty();
    assertThat(set.files()).hasSize(specs.files() + 1);
    assertThat(plan.problems()).isEmpty();
    assertThat(plan.changes())
        .hasSize(300 + BenchSpecs.NETWORKS)
        .allMatch(c -> c.change() == ChangeType.CREATE);
    assertThat(plan.waves().size()).as("dependencies make several waves").isGreaterThan(2);
  }

  @Test
  void replan_oneRewrittenFile_isOneUpdateThenNone() throws IOException {
    BenchSpecs specs = BenchSpecs.write(tmp, 300, 7);
    ReplanSession session = ReplanSession.open(specs);

    specs.rewrite(123, 5);
    Plan changed = session.replan(specs.fileOf(123)).plan();
    specs.rewrite(123, 0);
    Plan restored = session.replan(specs.fileOf(123)).plan();

    assertThat(changed.changes())
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.key().name()).isEqualTo(BenchSpecs.name(123));
              assertThat(c.change()).isEqualTo(ChangeType.UPDATE);
            });
    assertThat(restored.hasChanges()).isFalse();
  }
}
