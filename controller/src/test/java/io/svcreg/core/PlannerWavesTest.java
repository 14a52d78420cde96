package io.svcreg.core;

import static io.svcreg.core.Specs.converge;
import static io.svcreg.core.Specs.lan;
import static io.svcreg.core.Specs.service;
import static io.svcreg.core.Specs.set;
import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.schema.Resource;
import io.svcreg.schema.SpecSet;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** How actions are ordered into waves. */
class PlannerWavesTest {

  private static SpecSet chain() {
    return set(
        lan(),
        service("db").build(),
        service("api").dependsOn("db").build(),
        service("web").dependsOn("api").build());
  }

  @Test
  void plan_newChain_dependenciesFirst() {
    Plan plan = Planner.plan(chain(), ObservedState.EMPTY);

    assertThat(Actions.waves(plan)).containsExactly(List.of("db"), List.of("api"), List.of("web"));
    assertThat(plan.waves()).extracting(Wave::number).containsExactly(1, 2, 3);
    assertThat(Actions.of(plan, "db"))
        .containsExactly("allocate db lan 10.0.0.1", "deploy db 1.0.0 on n1", "start db on n1");
  }

  @Test
  void plan_independentServices_shareAWaveByName() {
    SpecSet desired =
        set(
            lan(),
            service("zeta").build(),
            service("alpha").build(),
            service("mid").dependsOn("zeta", "alpha").build());

    Plan plan = Planner.plan(desired, ObservedState.EMPTY);

    assertThat(Actions.waves(plan)).containsExactly(List.of("alpha", "zeta"), List.of("mid"));
    assertThat(Actions.of(plan).subList(0, 3))
        .containsExactly(
            "allocate alpha lan 10.0.0.1", "deploy alpha 1.0.0 on n1", "start alpha on n1");
  }

  @Test
  void plan_deletedChain_dependentsStopFirst() {
    Plan plan = Planner.plan(set(lan()), converge(chain()));

    assertThat(Actions.waves(plan)).containsExactly(List.of("web"), List.of("api"), List.of("db"));
    assertThat(Actions.of(plan, "web"))
        .containsExactly("stop web on n1", "undeploy web 1.0.0 on n1", "release web lan 10.0.0.3");
  }

  @Test
  void plan_chainStopped_dependentsStopFirst() {
    SpecSet stopped =
        set(
            lan(),
            service("db").stopped().build(),
            service("api").stopped().dependsOn("db").build(),
            service("web").stopped().dependsOn("api").build());

    Plan plan = Planner.plan(stopped, converge(chain()));

    assertThat(Actions.waves(plan)).containsExactly(List.of("web"), List.of("api"), List.of("db"));
    assertThat(Actions.of(plan)).allMatch(a -> a.startsWith("stop "));
  }

  @Test
  void plan_teardownAndBringUp_teardownFirst() {
    SpecSet before = set(lan(), service("old").build(), service("db").build());
    SpecSet after =
        set(lan(), service("db").version("2.0.0").build(), service("api").dependsOn("db").build());

    Plan plan = Planner.plan(after, converge(before));

    assertThat(Actions.waves(plan)).containsExactly(List.of("old"), List.of("db"), List.of("api"));
    assertThat(Actions.of(plan, "api")).startsWith("allocate api lan 10.0.0.3");
  }

  @Test
  void plan_dependencyWithoutActions_waitsForIndirectDependency() {
    ObservedState observed =
        converge(set(lan(), service("db").build(), service("api").dependsOn("db").build()));
    SpecSet desired =
        set(
            lan(),
            service("db").version("2.0.0").build(),
            service("api").dependsOn("db").build(),
            service("web").dependsOn("api").build());

    Plan plan = Planner.plan(desired, observed);

    assertThat(Actions.waves(plan)).containsExactly(List.of("db"), List.of("web"));
    assertThat(Actions.of(plan, "api")).isEmpty();
  }

  @Test
  void plan_restartOfDependencyAndDependent_dependencyFirst() {
    SpecSet before = set(lan(), service("db").build(), service("api").dependsOn("db").build());
    SpecSet after =
        set(
            lan(),
            service("db").env("X", "1").build(),
            service("api").dependsOn("db").env("Y", "2").build());

    Plan plan = Planner.plan(after, converge(before));

    assertThat(Actions.waveOf(plan, "db")).isLessThan(Actions.waveOf(plan, "api"));
  }

  @Test
  void plan_cycle_problemNamesItAndOthersProceed() {
    SpecSet desired =
        set(
            lan(),
            service("a").dependsOn("b").build(),
            service("b").dependsOn("a").build(),
            service("c").dependsOn("a").build(),
            service("free").build());

    Plan plan = Planner.plan(desired, ObservedState.EMPTY);

    assertThat(plan.problems())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.message()).contains("dependency cycle: a → b → a");
              assertThat(p.message()).contains("3 service(s)");
              assertThat(p.path()).isEqualTo("spec.dependsOn");
              assertThat(p.file()).isEqualTo("a.yaml");
            });
    assertThat(Actions.waves(plan)).containsExactly(List.of("free"));
  }

  @Test
  void plan_sameInputInAnyOrder_samePlan() {
    List<Resource> resources = new ArrayList<>();
    resources.add(lan());
    for (int i = 0; i < 30; i++) {
      Specs.ServiceBuilder b = service("s" + i);
      if (i > 0) {
        b.dependsOn("s" + (i / 3));
      }
      resources.add(b.build());
    }
    Plan first = Planner.plan(set(resources), ObservedState.EMPTY);
    Collections.shuffle(resources, new Random(42));

    Plan second = Planner.plan(set(resources), ObservedState.EMPTY);

    assertThat(second).isEqualTo(first);
  }

  @Test
  void plan_dependencyMovesAddress_runningDependentsRestart() {
    SpecSet before =
        set(
            lan(),
            service("db").endpoint("pg", 5432).build(),
            service("api").dependsOn("db").build(),
            service("idle").stopped().dependsOn("db").build());
    SpecSet after =
        set(
            lan(),
            service("db").endpoint("pg", 5432).address("10.0.0.40").build(),
            service("api").dependsOn("db").build(),
            service("idle").stopped().dependsOn("db").build());

    Plan plan = Planner.plan(after, converge(before));

    assertThat(Actions.of(plan, "api"))
        .containsExactly("restart api on n1 (dependency db: address 10.0.0.1 → 10.0.0.40)");
    assertThat(Actions.of(plan, "idle")).isEmpty();
    assertThat(Actions.waveOf(plan, "db")).isLessThan(Actions.waveOf(plan, "api"));
  }

  @Test
  void plan_dependencyChangesPort_runningDependentsRestart() {
    SpecSet before =
        set(
            lan(),
            service("db").endpoint("pg", 5432).build(),
            service("api").dependsOn("db").build());
    SpecSet after =
        set(
            lan(),
            service("db").endpoint("pg", 6432).build(),
            service("api").dependsOn("db").build());

    Plan plan = Planner.plan(after, converge(before));

    assertThat(Actions.of(plan, "api"))
        .containsExactly("restart api on n1 (dependency db: port 5432 → 6432)");
  }
}
