package io.svcreg.core;

import static io.svcreg.core.Specs.converge;
import static io.svcreg.core.Specs.network;
import static io.svcreg.core.Specs.service;
import static io.svcreg.core.Specs.set;
import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.schema.Network;
import io.svcreg.schema.Resource;
import io.svcreg.schema.SpecSet;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The actions for one service when its spec changes, as a table: the spec before (converged; none
 * for a new service), the spec after (none for a deleted service), and the expected actions.
 */
class PlannerActionsTest {

  /** Network {@code lan} with nodes n1 and n2; network {@code lan2} with n1. */
  private static List<Resource> networks() {
    Network lan = network("lan").node("n1", "10.0.0.254").node("n2", "10.0.0.253").build();
    Network lan2 = network("lan2").subnet("10.0.1.0/24").build();
    return List.of(lan, lan2);
  }

  private static SpecSet with(Specs.ServiceBuilder api) {
    List<Resource> all = new ArrayList<>(networks());
    if (api != null) {
      all.add(api.build());
    }
    return set(all);
  }

  private static Arguments row(
      String rule, Specs.ServiceBuilder before, Specs.ServiceBuilder after, String... expected) {
    return Arguments.of(rule, before, after, List.of(expected));
  }

  private static Specs.ServiceBuilder api() {
    return service("api");
  }

  static Stream<Arguments> rules() {
    return Stream.of(
        row(
            "new running service",
            null,
            api(),
            "allocate api lan 10.0.0.1",
            "deploy api 1.0.0 on n1",
            "start api on n1"),
        row(
            "new stopped service",
            null,
            api().stopped(),
            "allocate api lan 10.0.0.1",
            "deploy api 1.0.0 on n1"),
        row(
            "new service with a static address leases it",
            null,
            api().address("10.0.0.50"),
            "allocate api lan 10.0.0.50",
            "deploy api 1.0.0 on n1",
            "start api on n1"),
        row(
            "version change",
            api(),
            api().version("1.1.0"),
            "deploy api 1.1.0 on n1",
            "restart api on n1 (version 1.0.0 → 1.1.0)"),
        row(
            "package change, same version",
            api(),
            api().packageRef("packages/api-v2.tar.gz"),
            "deploy api 1.0.0 on n1",
            "restart api on n1 (package packages/api → packages/api-v2.tar.gz)"),
        row(
            "version and env change",
            api(),
            api().version("1.1.0").env("LOG_LEVEL", "debug"),
            "deploy api 1.1.0 on n1",
            "restart api on n1 (version 1.0.0 → 1.1.0; changed spec.env)"),
        row(
            "env change",
            api().env("LOG_LEVEL", "info"),
            api().env("LOG_LEVEL", "debug"),
            "restart api on n1 (changed spec.env)"),
        row(
            "endpoints change",
            api().endpoint("http", 8080),
            api().endpoint("http", 8081),
            "restart api on n1 (changed spec.endpoints)"),
        row(
            "health change",
            api(),
            api().health("scripts/health.sh"),
            "restart api on n1 (changed spec.health)"),
        row(
            "rollout change",
            api(),
            api().rollout("2m", false),
            "restart api on n1 (changed spec.rollout)"),
        row(
            "dependsOn change",
            api(),
            api().dependsOn("db"),
            "restart api on n1 (changed spec.dependsOn)"),
        row(
            "execution change",
            api(),
            api().execution(io.svcreg.schema.ExecutionType.SYSTEMD),
            "restart api on n1 (changed spec.execution)"),
        row(
            "several config changes",
            api(),
            api().env("A", "1").endpoint("http", 80),
            "restart api on n1 (changed spec.endpoints, spec.env)"),
        row("running → stopped", api(), api().stopped(), "stop api on n1"),
        row("stopped → running", api().stopped(), api(), "start api on n1"),
        row(
            "running → stopped with a new version",
            api(),
            api().stopped().version("2.0.0"),
            "stop api on n1",
            "deploy api 2.0.0 on n1"),
        row(
            "stopped → running with a new version",
            api().stopped(),
            api().version("2.0.0"),
            "deploy api 2.0.0 on n1",
            "start api on n1"),
        row(
            "version change of a stopped service",
            api().stopped(),
            api().stopped().version("2.0.0"),
            "deploy api 2.0.0 on n1"),
        row("env change of a stopped service", api().stopped(), api().stopped().env("A", "1")),
        row(
            "static address change",
            api().address("10.0.0.10"),
            api().address("10.0.0.20"),
            "release api lan 10.0.0.10",
            "allocate api lan 10.0.0.20",
            "restart api on n1 (address 10.0.0.10 → 10.0.0.20)"),
        row(
            "allocated → static address",
            api(),
            api().address("10.0.0.20"),
            "release api lan 10.0.0.1",
            "allocate api lan 10.0.0.20",
            "restart api on n1 (address 10.0.0.1 → 10.0.0.20)"),
        row("static → allocated address keeps the address", api().address("10.0.0.20"), api()),
        row(
            "static address change of a stopped service",
            api().stopped().address("10.0.0.10"),
            api().stopped().address("10.0.0.20"),
            "release api lan 10.0.0.10",
            "allocate api lan 10.0.0.20"),
        row(
            "node change replaces the service",
            api(),
            api().node("n2"),
            "stop api on n1",
            "undeploy api 1.0.0 on n1",
            "release api lan 10.0.0.1",
            "allocate api lan 10.0.0.2",
            "deploy api 1.0.0 on n2",
            "start api on n2"),
        row(
            "network change replaces the service",
            api(),
            api().network("lan2"),
            "stop api on n1",
            "undeploy api 1.0.0 on n1",
            "release api lan 10.0.0.1",
            "allocate api lan2 10.0.1.1",
            "deploy api 1.0.0 on n1",
            "start api on n1"),
        row(
            "network change of a stopped service",
            api().stopped(),
            api().stopped().network("lan2"),
            "undeploy api 1.0.0 on n1",
            "release api lan 10.0.0.1",
            "allocate api lan2 10.0.1.1",
            "deploy api 1.0.0 on n1"),
        row(
            "node change with a static address keeps it",
            api().address("10.0.0.30"),
            api().address("10.0.0.30").node("n2"),
            "stop api on n1",
            "undeploy api 1.0.0 on n1",
            "release api lan 10.0.0.30",
            "allocate api lan 10.0.0.30",
            "deploy api 1.0.0 on n2",
            "start api on n2"),
        row(
            "deleted running service",
            api(),
            null,
            "stop api on n1",
            "undeploy api 1.0.0 on n1",
            "release api lan 10.0.0.1"),
        row(
            "deleted stopped service",
            api().stopped(),
            null,
            "undeploy api 1.0.0 on n1",
            "release api lan 10.0.0.1"),
        row("label change", api(), api().label("tier", "backend")),
        row("annotation change", api(), api().annotation("owner", "team-a")),
        row("nothing changed", api().env("A", "1"), api().env("A", "1")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rules")
  void plan_specChange_expectedActions(
      String rule, Specs.ServiceBuilder before, Specs.ServiceBuilder after, List<String> expected) {
    ObservedState observed = before == null ? ObservedState.EMPTY : converge(with(before));
    SpecSet desired = with(after);

    Plan plan = Planner.plan(desired, observed);

    assertThat(plan.problems()).isEmpty();
    assertThat(Actions.of(plan, "api")).as(rule).containsExactlyElementsOf(expected);
    assertThat(plan.actions()).allMatch(a -> a.service().equals("api"));
    assertThat(plan.waves()).hasSizeLessThanOrEqualTo(1);
    // a perfect executor converges: the next plan has nothing to do
    ObservedState reached = ObservedStates.converged(desired, observed, plan);
    Plan next = Planner.plan(desired, reached);
    assertThat(next.hasChanges()).as("re-plan after " + rule).isFalse();
  }
}
