package io.svcreg.core;

import static io.svcreg.core.Specs.converge;
import static io.svcreg.core.Specs.lan;
import static io.svcreg.core.Specs.lease;
import static io.svcreg.core.Specs.network;
import static io.svcreg.core.Specs.service;
import static io.svcreg.core.Specs.set;
import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.schema.Ipv4;
import io.svcreg.schema.Network;
import io.svcreg.schema.ResourceKey;
import io.svcreg.schema.SpecSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Address decisions: the plan picks, keeps and releases leases. */
class PlannerAddressesTest {

  private static Optional<Ipv4> addressOf(Plan plan, String service) {
    return plan.changes().stream()
        .filter(c -> c.key().equals(ResourceKey.service(service)))
        .findFirst()
        .orElseThrow()
        .address();
  }

  @Test
  void plan_newServices_lowestFreeSkippingReservedNodesStaticsAndLeases() {
    Network net = network("lan").reserved("10.0.0.1", "10.0.0.3").node("n1", "10.0.0.2").build();
    ObservedState observed =
        Specs.withLeases(ObservedState.EMPTY, List.of(lease("lan", "10.0.0.4", "ghost")));
    SpecSet desired =
        set(
            net,
            service("a").build(),
            service("b").build(),
            service("c").address("10.0.0.5").build(),
            service("d").build());

    Plan plan = Planner.plan(desired, observed);

    assertThat(addressOf(plan, "a")).contains(Ipv4.of("10.0.0.6"));
    assertThat(addressOf(plan, "b")).contains(Ipv4.of("10.0.0.7"));
    assertThat(addressOf(plan, "c")).contains(Ipv4.of("10.0.0.5"));
    assertThat(addressOf(plan, "d")).contains(Ipv4.of("10.0.0.8"));
    assertThat(Actions.of(plan, "ghost")).containsExactly("release ghost lan 10.0.0.4");
  }

  @Test
  void plan_redeployAndRestart_keepTheirAddress() {
    SpecSet before = set(lan(), service("a").build(), service("b").build());
    SpecSet after =
        set(lan(), service("a").version("2.0.0").build(), service("b").env("X", "1").build());

    Plan plan = Planner.plan(after, converge(before));

    assertThat(Actions.of(plan))
        .noneMatch(a -> a.startsWith("allocate") || a.startsWith("release"));
    assertThat(addressOf(plan, "a")).contains(Ipv4.of("10.0.0.1"));
    assertThat(addressOf(plan, "b")).contains(Ipv4.of("10.0.0.2"));
  }

  @Test
  void plan_addressReleasedInThisPlan_notReused() {
    SpecSet before = set(lan(), service("a").build());
    SpecSet after = set(lan(), service("b").build());

    Plan plan = Planner.plan(after, converge(before));

    assertThat(Actions.of(plan))
        .containsExactly(
            "stop a on n1",
            "undeploy a 1.0.0 on n1",
            "release a lan 10.0.0.1",
            "allocate b lan 10.0.0.2",
            "deploy b 1.0.0 on n1",
            "start b on n1");
  }

  @Test
  void plan_subnetFull_problemOnThatServiceOthersProceed() {
    // 10.0.0.0/29: .1-.6 usable; .6 is the node, .5 reserved: 4 addresses
    Network small = network("lan").subnet("10.0.0.0/29").reserved("10.0.0.5").build();
    SpecSet desired =
        set(
            small,
            service("a").build(),
            service("b").build(),
            service("c").build(),
            service("d").build(),
            service("e").build());

    Plan plan = Planner.plan(desired, ObservedState.EMPTY);

    assertThat(plan.problems())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.file()).isEqualTo("e.yaml");
              assertThat(p.message())
                  .isEqualTo(
                      "network lan has no free address: 4 of 4 in use;"
                          + " the service gets no actions");
            });
    assertThat(Actions.waves(plan)).containsExactly(List.of("a", "b", "c", "d"));
    assertThat(addressOf(plan, "e")).isEmpty();
  }

  @Test
  void plan_subnetFullThenConverged_replanHasOnlyTheProblem() {
    Network small = network("lan").subnet("10.0.0.0/30").build();
    SpecSet desired = set(small, service("a").build(), service("b").build());

    ObservedState reached = converge(desired);
    Plan again = Planner.plan(desired, reached);

    assertThat(again.hasChanges()).isFalse();
    assertThat(again.problems()).singleElement().asString().contains("no free address: 1 of 1");
  }

  @Test
  void plan_staticAddressLeasedToAnother_problemOnTheStaticOne() {
    SpecSet before = set(lan(), service("a").build());
    SpecSet after = set(lan(), service("a").build(), service("b").address("10.0.0.1").build());

    Plan plan = Planner.plan(after, converge(before));

    assertThat(plan.problems())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.file()).isEqualTo("b.yaml");
              assertThat(p.path()).isEqualTo("spec.address");
              assertThat(p.message()).contains("10.0.0.1 is leased to service a");
            });
    assertThat(plan.actions()).isEmpty();
  }

  @Test
  void plan_staticAddressOfServiceDeletedInThisPlan_problemSaysNextPlan() {
    SpecSet before = set(lan(), service("old").build());
    SpecSet after = set(lan(), service("new").address("10.0.0.1").build());

    Plan plan = Planner.plan(after, converge(before));

    assertThat(plan.problems())
        .singleElement()
        .asString()
        .contains(
            "10.0.0.1 is leased to service old, which releases it in this plan;"
                + " it can be used from the next plan on");
    assertThat(Actions.of(plan))
        .containsExactly("stop old on n1", "undeploy old 1.0.0 on n1", "release old lan 10.0.0.1");
    ObservedState reached = ObservedStates.converged(after, converge(before), plan);
    Plan next = Planner.plan(after, reached);
    assertThat(next.problems()).isEmpty();
    assertThat(Actions.of(next, "new")).startsWith("allocate new lan 10.0.0.1");
  }

  @Test
  void plan_twoServicesSameStaticAddress_secondGetsProblem() {
    SpecSet desired =
        set(
            lan(),
            service("a").address("10.0.0.9").build(),
            service("b").address("10.0.0.9").build());

    Plan plan = Planner.plan(desired, ObservedState.EMPTY);

    assertThat(plan.problems())
        .singleElement()
        .asString()
        .contains("b.yaml", "10.0.0.9 is also the static address of service a");
    assertThat(Actions.of(plan, "a")).startsWith("allocate a lan 10.0.0.9");
  }

  @Test
  void plan_staticAddressReserved_problem() {
    SpecSet desired =
        set(network("lan").reserved("10.0.0.9").build(), service("a").address("10.0.0.9").build());

    Plan plan = Planner.plan(desired, ObservedState.EMPTY);

    assertThat(plan.problems()).singleElement().asString().contains("10.0.0.9 is reserved");
  }

  @Test
  void plan_staticAddressOutsideSubnet_problem() {
    Plan plan =
        Planner.plan(set(lan(), service("a").address("10.9.0.9").build()), ObservedState.EMPTY);

    assertThat(plan.problems()).singleElement().asString().contains("outside subnet 10.0.0.0/24");
  }

  @Test
  void plan_subnetChanged_servicesOutsideMoveAndRestart() {
    SpecSet before = set(lan(), service("a").build(), service("b").stopped().build());
    Network moved = network("lan").subnet("10.0.1.0/24").build();
    SpecSet after = set(moved, service("a").build(), service("b").stopped().build());

    Plan plan = Planner.plan(after, converge(before));

    assertThat(Actions.of(plan, "a"))
        .containsExactly(
            "release a lan 10.0.0.1",
            "allocate a lan 10.0.1.1",
            "restart a on n1 (address 10.0.0.1 → 10.0.1.1)");
    assertThat(Actions.of(plan, "b"))
        .containsExactly("release b lan 10.0.0.2", "allocate b lan 10.0.1.2");
    assertThat(plan.changes())
        .filteredOn(c -> c.key().equals(ResourceKey.network("lan")))
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.change()).isEqualTo(ChangeType.UPDATE);
              assertThat(c.generation()).isEqualTo(2);
              assertThat(c.fields())
                  .contains(
                      new FieldChange(
                          "spec.subnet", Optional.of("10.0.0.0/24"), Optional.of("10.0.1.0/24")));
            });
  }

  @Test
  void plan_addressNowReserved_serviceMoves() {
    SpecSet before = set(lan(), service("a").build());
    SpecSet after = set(network("lan").reserved("10.0.0.1").build(), service("a").build());

    Plan plan = Planner.plan(after, converge(before));

    assertThat(Actions.of(plan, "a"))
        .containsExactly(
            "release a lan 10.0.0.1",
            "allocate a lan 10.0.0.2",
            "restart a on n1 (address 10.0.0.1 → 10.0.0.2)");
  }

  @Test
  void plan_leaseLeftFromCrash_reusedForNewService() {
    ObservedState observed =
        Specs.withLeases(ObservedState.EMPTY, List.of(lease("lan", "10.0.0.7", "a")));

    Plan plan = Planner.plan(set(lan(), service("a").build()), observed);

    assertThat(Actions.of(plan)).containsExactly("deploy a 1.0.0 on n1", "start a on n1");
    assertThat(addressOf(plan, "a")).contains(Ipv4.of("10.0.0.7"));
  }

  @Test
  void plan_orphanLease_releasedButNotWhileSpecsIncomplete() {
    ObservedState observed =
        Specs.withLeases(ObservedState.EMPTY, List.of(lease("lan", "10.0.0.7", "gone")));

    assertThat(Actions.of(Planner.plan(set(lan()), observed)))
        .containsExactly("release gone lan 10.0.0.7");
    assertThat(Planner.plan(Specs.specs(lan()).incomplete("bad.yaml").build(), observed).actions())
        .isEmpty();
  }

  @Test
  void plan_smallestSubnets_useEveryAddress() {
    Network p31 = network("p31").subnet("10.0.0.0/31").noNodes().build();
    Network p32 = network("p32").subnet("10.0.1.7/32").noNodes().build();
    SpecSet desired =
        set(
            p31,
            p32,
            service("a").network("p31").build(),
            service("b").network("p31").build(),
            service("c").network("p32").build());

    Plan plan = Planner.plan(desired, ObservedState.EMPTY);

    assertThat(addressOf(plan, "a")).contains(Ipv4.of("10.0.0.0"));
    assertThat(addressOf(plan, "b")).contains(Ipv4.of("10.0.0.1"));
    assertThat(addressOf(plan, "c")).contains(Ipv4.of("10.0.1.7"));
  }

  @Test
  void plan_localNetwork_skipsTheControllersOwnAddress() {
    Network local =
        network("local")
            .type(io.svcreg.schema.NetworkType.LOCAL)
            .subnet("127.0.0.0/8")
            .noNodes()
            .build();
    SpecSet desired =
        set(
            local,
            service("store").network("local").node("local").build(),
            service("api").network("local").node("local").dependsOn("store").build(),
            service("web").network("local").node("local").dependsOn("api").build());

    Plan plan = Planner.plan(desired, ObservedState.EMPTY);

    assertThat(addressOf(plan, "store")).contains(Ipv4.of("127.0.0.2"));
    assertThat(addressOf(plan, "api")).contains(Ipv4.of("127.0.0.3"));
    assertThat(addressOf(plan, "web")).contains(Ipv4.of("127.0.0.4"));
    assertThat(Actions.waves(plan))
        .containsExactly(List.of("store"), List.of("api"), List.of("web"));
  }

  @Test
  void plan_localNetworkOutsideLoopbackOne_usesItsFirstAddress() {
    Network local =
        network("local")
            .type(io.svcreg.schema.NetworkType.LOCAL)
            .subnet("127.0.5.0/24")
            .noNodes()
            .build();

    Plan plan =
        Planner.plan(
            set(local, service("a").network("local").node("local").build()), ObservedState.EMPTY);

    assertThat(addressOf(plan, "a")).contains(Ipv4.of("127.0.5.1"));
  }

  @Test
  void plan_serviceOnUndeclaredNetwork_problemAndNoActions() {
    Plan plan =
        Planner.plan(set(lan(), service("a").network("nowhere").build()), ObservedState.EMPTY);

    assertThat(plan.problems())
        .singleElement()
        .asString()
        .isEqualTo(
            "a.yaml:1:1: spec.network: network nowhere is not declared or not valid;"
                + " the service gets no actions");
    assertThat(plan.actions()).isEmpty();
  }

  @Test
  void plan_moveBlockedByFullNetwork_serviceStaysWhereItIs() {
    Network full = network("full").subnet("10.0.1.0/30").build(); // one address, .1
    SpecSet before = set(lan(), full, service("a").build(), service("b").network("full").build());
    SpecSet after =
        set(
            lan(),
            full,
            service("a").network("full").build(),
            service("b").network("full").build());

    Plan plan = Planner.plan(after, converge(before));

    assertThat(plan.actions()).isEmpty();
    assertThat(plan.problems()).singleElement().asString().contains("network full has no free");
    assertThat(addressOf(plan, "a")).contains(Ipv4.of("10.0.0.1"));
  }
}
