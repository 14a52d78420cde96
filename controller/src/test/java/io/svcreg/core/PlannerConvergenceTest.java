package io.svcreg.core;

import static io.svcreg.core.Specs.converge;
import static io.svcreg.core.Specs.set;
import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.schema.Resource;
import io.svcreg.schema.Service;
import io.svcreg.schema.SpecSet;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** No diff noise: once converged, re-planning the same specs does nothing. */
class PlannerConvergenceTest {

  @Test
  void plan_convergedGeneratedSet_noChangesNoActions() {
    SpecSet desired = set(Generated.resources(50, 7, false));
    Plan first = Planner.plan(desired, ObservedState.EMPTY);
    assertThat(first.problems()).isEmpty();
    assertThat(first.actions()).hasSizeGreaterThan(100);

    Plan again = Planner.plan(desired, ObservedStates.converged(desired, first));

    assertThat(again.changes()).isEmpty();
    assertThat(again.waves()).isEmpty();
    assertThat(again.problems()).isEmpty();
    assertThat(again.hasChanges()).isFalse();
    assertThat(again.unchanged()).isEqualTo(53);
  }

  @Test
  void plan_sameSpecsWrittenDifferently_noChanges() {
    ObservedState observed = converge(set(Generated.resources(50, 7, false)));
    List<Resource> rewritten = new ArrayList<>(Generated.resources(50, 7, true));
    Collections.shuffle(rewritten, new Random(1));

    Plan plan = Planner.plan(set(rewritten), observed);

    assertThat(plan.hasChanges()).isFalse();
    assertThat(plan.unchanged()).isEqualTo(53);
  }

  @Test
  void plan_convergedStateThroughSnapshot_noChanges() {
    SpecSet desired = set(Generated.resources(50, 11, false));
    ObservedState observed = Snapshot.fromJson(Snapshot.toJson(converge(desired)));

    assertThat(Planner.plan(desired, observed).hasChanges()).isFalse();
  }

  /** Random edits, each planned, applied by a perfect executor and re-planned: always quiet. */
  @Test
  void plan_randomEditsEachConverged_replanAlwaysQuiet() {
    Random r = new Random(2024);
    List<Resource> resources = new ArrayList<>(Generated.resources(40, 3, false));
    ObservedState observed = converge(set(resources));
    int next = 1000;
    for (int step = 0; step < 60; step++) {
      int i = 3 + r.nextInt(resources.size() - 3);
      Service s = (Service) resources.get(i);
      Specs.ServiceBuilder b = rebuild(s);
      String edit;
      switch (r.nextInt(7)) {
        case 0 -> {
          edit = "version";
          b.version("2." + step + ".0");
        }
        case 1 -> {
          edit = "env";
          b.env("STEP", Integer.toString(step));
        }
        case 2 -> {
          edit = "state";
          if (s.spec().state() == io.svcreg.schema.RunState.RUNNING
              && !hasDependents(resources, s)) {
            b.stopped();
          }
        }
        case 3 -> {
          edit = "node";
          if (s.spec().network().equals("lan") && s.spec().address().isEmpty()) {
            b.node(s.spec().node().equals("n1") ? "n2" : "n1");
          }
        }
        case 4 -> {
          edit = "label";
          b.label("step", Integer.toString(step));
        }
        case 5 -> {
          edit = "add";
          resources.add(Specs.service("new-" + next++).dependsOn(s.name()).build());
        }
        default -> {
          edit = "delete";
          if (!hasDependents(resources, s)) {
            resources.remove(i);
            b = null;
          }
        }
      }
      if (b != null) {
        resources.set(i, b.build());
      }
      SpecSet desired = set(resources);
      Plan plan = Planner.plan(desired, observed);
      assertThat(plan.problems()).as("step %d (%s)", step, edit).isEmpty();
      observed = ObservedStates.converged(desired, observed, plan);
      Plan again = Planner.plan(desired, observed);
      assertThat(again.hasChanges())
          .as("re-plan after step %d (%s): %s", step, edit, again)
          .isFalse();
    }
  }

  private static boolean hasDependents(List<Resource> resources, Service s) {
    return resources.stream()
        .anyMatch(x -> x instanceof Service d && d.spec().dependsOn().contains(s.name()));
  }

  /** A builder holding the spec and labels of {@code s}. */
  private static Specs.ServiceBuilder rebuild(Service s) {
    var spec = s.spec();
    Specs.ServiceBuilder b =
        Specs.service(s.name())
            .version(spec.version())
            .packageRef(spec.packageRef())
            .network(spec.network())
            .node(spec.node())
            .execution(spec.execution());
    spec.address().ifPresent(a -> b.address(a.toString()));
    spec.endpoints().forEach(e -> b.endpoint(e.name(), e.port()));
    b.dependsOn(spec.dependsOn().toArray(String[]::new));
    spec.env().forEach(b::env);
    spec.health().ifPresent(h -> b.health(h.script()));
    if (spec.state() == io.svcreg.schema.RunState.STOPPED) {
      b.stopped();
    }
    s.metadata().labels().forEach(b::label);
    return b;
  }
}
