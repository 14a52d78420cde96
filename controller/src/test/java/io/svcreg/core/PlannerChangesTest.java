package io.svcreg.core;

import static io.svcreg.core.Specs.converge;
import static io.svcreg.core.Specs.lan;
import static io.svcreg.core.Specs.network;
import static io.svcreg.core.Specs.service;
import static io.svcreg.core.Specs.set;
import static io.svcreg.core.Specs.specs;
import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.schema.Ipv4;
import io.svcreg.schema.Problem;
import io.svcreg.schema.ResourceKey;
import io.svcreg.schema.SpecSet;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Which resources a plan creates, updates or deletes, with generations and changed fields. */
class PlannerChangesTest {

  private static final ResourceKey API = ResourceKey.service("api");

  private static ResourceChange changeOf(Plan plan, ResourceKey key) {
    return plan.changes().stream()
        .filter(c -> c.key().equals(key))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no change for " + key + " in " + plan.changes()));
  }

  private static FieldChange field(String path, String old, String now) {
    return new FieldChange(path, Optional.ofNullable(old), Optional.ofNullable(now));
  }

  private static Arguments row(
      String rule, Specs.ServiceBuilder before, Specs.ServiceBuilder after, FieldChange... f) {
    return Arguments.of(rule, before, after, List.of(f));
  }

  static Stream<Arguments> fieldChanges() {
    return Stream.of(
        row(
            "version",
            service("api"),
            service("api").version("1.2.0"),
            field("spec.version", "1.0.0", "1.2.0")),
        row(
            "env value changed, added, removed",
            service("api").env("LOG_LEVEL", "info").env("OLD", "x"),
            service("api").env("LOG_LEVEL", "debug").env("NEW", "y"),
            field("spec.env.LOG_LEVEL", "info", "debug"),
            field("spec.env.NEW", null, "y"),
            field("spec.env.OLD", "x", null)),
        row(
            "endpoints",
            service("api").endpoint("http", 8080),
            service("api").endpoint("http", 8080).endpoint("grpc", 9090),
            field("spec.endpoints", "http:8080/tcp", "http:8080/tcp, grpc:9090/tcp")),
        row(
            "static address added",
            service("api"),
            service("api").address("10.0.0.9"),
            field("spec.address", null, "10.0.0.9")),
        row(
            "dependsOn",
            service("api"),
            service("api").dependsOn("redis", "db"),
            field("spec.dependsOn", null, "db, redis")),
        row(
            "health",
            service("api"),
            service("api").health("scripts/health.sh"),
            field("spec.health.script", null, "scripts/health.sh"),
            field("spec.health.interval", null, "10s"),
            field("spec.health.timeout", null, "5s"),
            field("spec.health.failureThreshold", null, "3")),
        row(
            "state and rollout",
            service("api"),
            service("api").stopped().rollout("90s", false),
            field("spec.state", "running", "stopped"),
            field("spec.rollout.progressDeadline", "1m", "1m30s"),
            field("spec.rollout.autoRollback", "true", "false")),
        row(
            "fields in spec order",
            service("api"),
            service("api").version("2.0.0").node("n2").env("A", "1"),
            field("spec.version", "1.0.0", "2.0.0"),
            field("spec.node", "n1", "n2"),
            field("spec.env.A", null, "1")),
        row(
            "long value is cut",
            service("api"),
            service("api").env("KEY", "x".repeat(100)),
            field("spec.env.KEY", null, "x".repeat(57) + "...")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fieldChanges")
  void plan_specFieldChanged_updateWithFieldsAndNextGeneration(
      String rule,
      Specs.ServiceBuilder before,
      Specs.ServiceBuilder after,
      List<FieldChange> expected) {
    SpecSet desiredBefore =
        set(
            network("lan").node("n1", "10.0.0.254").node("n2", "10.0.0.253").build(),
            before.build());
    ObservedState observed = converge(desiredBefore);
    SpecSet desired =
        set(
            network("lan").node("n1", "10.0.0.254").node("n2", "10.0.0.253").build(),
            after.build());

    Plan plan = Planner.plan(desired, observed);

    ResourceChange c = changeOf(plan, API);
    assertThat(c.change()).isEqualTo(ChangeType.UPDATE);
    assertThat(c.generation()).isEqualTo(2);
    assertThat(c.fields()).as(rule).containsExactlyElementsOf(expected);
    assertThat(plan.unchanged()).isEqualTo(1);
  }

  @Test
  void plan_newService_createGenerationOneWithAddress() {
    Plan plan = Planner.plan(set(lan(), service("api").build()), ObservedState.EMPTY);

    assertThat(plan.changes())
        .containsExactly(
            new ResourceChange(
                ResourceKey.network("lan"), ChangeType.CREATE, 1, List.of(), Optional.empty()),
            new ResourceChange(
                API, ChangeType.CREATE, 1, List.of(), Optional.of(Ipv4.of("10.0.0.1"))));
    assertThat(plan.unchanged()).isZero();
    assertThat(plan.hasChanges()).isTrue();
  }

  @Test
  void plan_secondUpdate_generationThree() {
    SpecSet v1 = set(lan(), service("api").build());
    SpecSet v2 = set(lan(), service("api").version("2").build());
    ObservedState afterV2 = converge(v2, converge(v1));

    Plan plan = Planner.plan(set(lan(), service("api").version("3").build()), afterV2);

    assertThat(changeOf(plan, API).generation()).isEqualTo(3);
  }

  @Test
  void plan_labelsOnly_updateSameGenerationNoActions() {
    ObservedState observed = converge(set(lan(), service("api").label("tier", "web").build()));
    SpecSet desired =
        set(lan(), service("api").label("tier", "backend").annotation("owner", "a").build());

    Plan plan = Planner.plan(desired, observed);

    ResourceChange c = changeOf(plan, API);
    assertThat(c.change()).isEqualTo(ChangeType.UPDATE);
    assertThat(c.generation()).isEqualTo(1);
    assertThat(c.fields())
        .containsExactly(
            field("metadata.labels.tier", "web", "backend"),
            field("metadata.annotations.owner", null, "a"));
    assertThat(c.address()).contains(Ipv4.of("10.0.0.1"));
    assertThat(plan.actions()).isEmpty();
    assertThat(plan.hasChanges()).isTrue();
  }

  @Test
  void plan_serviceRemoved_deleteWithObservedGeneration() {
    SpecSet v2 = set(lan(), service("api").version("2").build());
    ObservedState observed = converge(v2, converge(set(lan(), service("api").build())));

    Plan plan = Planner.plan(set(lan()), observed);

    assertThat(changeOf(plan, API))
        .isEqualTo(new ResourceChange(API, ChangeType.DELETE, 2, List.of(), Optional.empty()));
  }

  @Test
  void plan_heldService_keepsLastGoodSpec() {
    ObservedState observed = converge(set(lan(), service("api").build()));
    SpecSet desired = specs(lan()).held(API).build();

    Plan plan = Planner.plan(desired, observed);

    assertThat(plan.changes()).isEmpty();
    assertThat(plan.actions()).isEmpty();
    assertThat(plan.unchanged()).isEqualTo(2);
    assertThat(plan.problems()).extracting(Problem::file).containsExactly("broken.yaml");
  }

  @Test
  void plan_heldServiceWithDrift_stillHealed() {
    ObservedState observed =
        Specs.withStatus(
            converge(set(lan(), service("api").build())),
            "api",
            s -> s.phase(io.svcreg.schema.Phase.FAILED));

    Plan plan = Planner.plan(specs(lan()).held(API).build(), observed);

    assertThat(Actions.of(plan)).containsExactly("start api on n1");
  }

  @Test
  void plan_heldServiceNeverApplied_notCreated() {
    Plan plan =
        Planner.plan(specs(lan(), service("api").build()).held(API).build(), ObservedState.EMPTY);

    assertThat(plan.changes())
        .extracting(ResourceChange::key)
        .containsExactly(ResourceKey.network("lan"));
  }

  @Test
  void plan_specFileUnreadable_nothingDeletedAndProblemSaysSo() {
    ObservedState observed =
        converge(
            set(
                lan(),
                network("old").subnet("10.0.9.0/24").build(),
                service("api").build(),
                service("gone").build()));
    SpecSet desired = specs(lan(), service("api").build()).incomplete("specs/broken.yaml").build();

    Plan plan = Planner.plan(desired, observed);

    assertThat(plan.changes()).isEmpty();
    assertThat(plan.actions()).isEmpty();
    assertThat(plan.unchanged()).isEqualTo(4);
    assertThat(plan.problems())
        .extracting(Problem::toString)
        .contains(
            "specs/broken.yaml: deletions are held back while a spec file cannot be read:"
                + " Network/old, Service/gone are not in the specs but kept until every file"
                + " can be read");
  }

  @Test
  void plan_manyHeldBack_problemNamesTenAndCountsTheRest() {
    List<io.svcreg.schema.Resource> many = new java.util.ArrayList<>();
    many.add(lan());
    for (int i = 0; i < 13; i++) {
      many.add(service("s" + (char) ('a' + i)).build());
    }
    ObservedState observed = converge(set(many));

    Plan plan = Planner.plan(specs(lan()).incomplete("x.yaml").build(), observed);

    assertThat(plan.problems())
        .anySatisfy(
            p -> assertThat(p.message()).contains("Service/sa, Service/sb", "and 3 more are not"));
  }

  @Test
  void plan_specProblems_includedInPlanProblems() {
    SpecSet desired = specs(lan()).incomplete("a.yaml").build();

    Plan plan = Planner.plan(desired, ObservedState.EMPTY);

    assertThat(plan.problems()).containsExactlyElementsOf(desired.problems());
  }

  @Test
  void plan_networkChanges_createUpdateDeleteWithoutActions() {
    ObservedState observed =
        converge(
            set(
                network("a").subnet("10.1.0.0/24").build(),
                network("b").subnet("10.2.0.0/24").build(),
                network("c").subnet("10.3.0.0/24").build()));
    SpecSet desired =
        set(
            network("a").subnet("10.1.0.0/24").reserved("10.1.0.1").build(),
            network("b").subnet("10.2.0.0/24").label("zone", "x").build(),
            network("d").subnet("10.4.0.0/24").build());

    Plan plan = Planner.plan(desired, observed);

    assertThat(plan.changes())
        .containsExactly(
            new ResourceChange(
                ResourceKey.network("a"),
                ChangeType.UPDATE,
                2,
                List.of(field("spec.reserved", null, "10.1.0.1")),
                Optional.empty()),
            new ResourceChange(
                ResourceKey.network("b"),
                ChangeType.UPDATE,
                1,
                List.of(field("metadata.labels.zone", null, "x")),
                Optional.empty()),
            new ResourceChange(
                ResourceKey.network("c"), ChangeType.DELETE, 1, List.of(), Optional.empty()),
            new ResourceChange(
                ResourceKey.network("d"), ChangeType.CREATE, 1, List.of(), Optional.empty()));
    assertThat(plan.waves()).isEmpty();
  }

  @Test
  void plan_networkNodesChanged_fieldsPerNode() {
    ObservedState observed = converge(set(network("lan").node("n1", "10.0.0.10").build()));
    SpecSet desired =
        set(
            network("lan")
                .node("n1", "10.0.0.11")
                .node("n2", "10.0.0.12")
                .wireguard("/etc/wireguard/wg0.conf")
                .build());

    Plan plan = Planner.plan(desired, observed);

    assertThat(changeOf(plan, ResourceKey.network("lan")).fields())
        .extracting(FieldChange::path)
        .containsExactly(
            "spec.type",
            "spec.nodes.n1.address",
            "spec.nodes.n2.address",
            "spec.nodes.n2.ssh.user",
            "spec.nodes.n2.ssh.port",
            "spec.nodes.n2.ssh.identityFile",
            "spec.nodes.n2.ssh.knownHosts",
            "spec.nodes.n2.installRoot",
            "spec.wireguard.configPath");
  }

  @Test
  void plan_heldNetwork_keepsLastGoodSpecForAddresses() {
    ObservedState observed = converge(set(network("lan").subnet("10.5.0.0/24").build()));
    SpecSet desired = specs(service("api").build()).held(ResourceKey.network("lan")).build();

    Plan plan = Planner.plan(desired, observed);

    assertThat(Actions.of(plan, "api")).startsWith("allocate api lan 10.5.0.1");
    assertThat(plan.unchanged()).isEqualTo(1);
  }
}
