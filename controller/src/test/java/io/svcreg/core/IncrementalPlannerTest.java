package io.svcreg.core;

import static io.svcreg.core.Specs.set;
import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.schema.Metadata;
import io.svcreg.schema.Resource;
import io.svcreg.schema.RunState;
import io.svcreg.schema.Service;
import io.svcreg.schema.ServiceSpec;
import io.svcreg.schema.SpecSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

/** The incremental planner plans exactly what the full planner plans, whatever changed. */
class IncrementalPlannerTest {

  private static Service withSpec(Service s, ServiceSpec p, Metadata m) {
    return Service.of(m, p, s.origin());
  }

  private static ServiceSpec spec(
      ServiceSpec p, Map<String, String> env, RunState state, String version) {
    return new ServiceSpec(
        version,
        p.packageRef(),
        p.network(),
        p.node(),
        p.address(),
        p.execution(),
        p.endpoints(),
        p.dependsOn(),
        env,
        p.health(),
        state,
        p.rollout());
  }

  /** One random edit of service {@code s}; {@code other} is the same name from another seed. */
  private static Resource edit(Service s, Service other, Random r) {
    ServiceSpec p = s.spec();
    Map<String, String> env = new HashMap<>(p.env());
    return switch (r.nextInt(8)) {
      case 0 -> {
        env.put("REV", "" + r.nextInt(3));
        yield withSpec(s, spec(p, env, p.state(), p.version()), s.metadata());
      }
      case 1 -> withSpec(s, spec(p, env, RunState.STOPPED, p.version()), s.metadata());
      case 2 -> withSpec(s, spec(p, env, RunState.RUNNING, p.version()), s.metadata());
      case 3 -> withSpec(s, spec(p, env, p.state(), "9." + r.nextInt(2) + ".0"), s.metadata());
      case 4 ->
          withSpec(s, p, new Metadata(s.name(), Map.of("tier", "t" + r.nextInt(2)), Map.of()));
      case 5 -> other;
      case 6 -> Service.of(s.metadata(), p, s.origin()); // same content, another object
      default -> s; // back to as converged
    };
  }

  @RepeatedTest(30)
  void plan_randomEditsOfConvergedServices_equalsFullPlanner(RepetitionInfo info) {
    long seed = info.getCurrentRepetition();
    Random r = new Random(seed);
    List<Resource> base = Generated.resources(300, seed, false);
    List<Resource> others = Generated.resources(300, seed + 1000, false);
    SpecSet desired = set(base);
    ObservedState observed = Specs.converge(desired);
    IncrementalPlanner planner = new IncrementalPlanner();
    assertThat(planner.plan(desired, observed)).isEqualTo(Planner.plan(desired, observed));
    List<Resource> current = new ArrayList<>(base);
    for (int step = 0; step < 60; step++) {
      int edits = 1 + r.nextInt(r.nextInt(4) == 0 ? 20 : 3);
      for (int e = 0; e < edits; e++) {
        int i = 3 + r.nextInt(current.size() - 3);
        Service s = (Service) base.get(i);
        current.set(i, edit(s, (Service) others.get(i), r));
      }
      if (r.nextInt(5) == 0) {
        current = new ArrayList<>(base); // everything back: a quiet plan again
      }
      SpecSet next = set(current);

      Plan incremental = planner.plan(next, observed);

      assertThat(incremental).isEqualTo(Planner.plan(next, observed));
    }
    assertThat(planner.shortcuts).as("re-plans that took the shortcut").isPositive();
  }

  @Test
  void plan_oneChangedServiceAgainstConverged_restartsItOnly() {
    List<Resource> base = Generated.resources(200, 7, false);
    SpecSet desired = set(base);
    ObservedState observed = Specs.converge(desired);
    IncrementalPlanner planner = new IncrementalPlanner();
    planner.plan(desired, observed);
    List<Resource> changed = new ArrayList<>(base);
    Service s = (Service) base.get(150);
    Map<String, String> env = new HashMap<>(s.spec().env());
    env.put("REV", "1");
    changed.set(
        150, withSpec(s, spec(s.spec(), env, s.spec().state(), s.spec().version()), s.metadata()));
    SpecSet next = set(changed);

    Plan plan = planner.plan(next, observed);

    assertThat(plan).isEqualTo(Planner.plan(next, observed));
    assertThat(plan.changes()).hasSize(1);
    assertThat(planner.plan(desired, observed).hasChanges()).isFalse();
    assertThat(planner.shortcuts).isEqualTo(2);
  }

  @Test
  void plan_otherObservedState_plansInFull() {
    SpecSet desired = set(Generated.resources(100, 3, false));
    ObservedState observed = Specs.converge(desired);
    IncrementalPlanner planner = new IncrementalPlanner();
    planner.plan(desired, observed);

    assertThat(planner.plan(desired, ObservedState.EMPTY))
        .isEqualTo(Planner.plan(desired, ObservedState.EMPTY));
  }
}
