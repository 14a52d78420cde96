package io.svcreg.core.rollout;

import static io.svcreg.core.rollout.Given.given;
import static io.svcreg.core.rollout.Given.restart;
import static io.svcreg.core.rollout.Given.start;
import static io.svcreg.core.rollout.Then.then;
import static io.svcreg.core.rollout.When.decide;
import static io.svcreg.core.rollout.When.observe;
import static io.svcreg.core.rollout.When.started;
import static io.svcreg.core.rollout.When.stopped;

import io.svcreg.core.Action;
import io.svcreg.schema.Condition;
import io.svcreg.schema.ConditionStatus;
import io.svcreg.schema.Ipv4;
import io.svcreg.schema.Phase;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Addresses on nodes, as a table: on a network whose addresses svcreg configures on the nodes (a
 * LAN), a service's address is configured on its node before every start, configured again when the
 * node lost it, and removed when the address is released; one that cannot be configured is said in
 * {@code Degraded} and tried again, and nothing starts without it. On other networks (loopback)
 * nothing is configured.
 */
class RolloutAddressTest {

  private static final String SUBNET = "10.0.0.0/24";

  private static Arguments row(String rule, Given given, When when, Then then) {
    return Arguments.of(rule, given, when, then);
  }

  private static StepResult bound(String device) {
    return new StepResult.Bound(device);
  }

  static Stream<Arguments> rules() {
    return Stream.of(
        row(
            "a start on a LAN: the address configured first",
            given().lan(SUBNET).failed().planned(start()),
            decide(bound("eth0"), started(Given.NEW_PID, false)),
            then()
                .steps("bind 10.0.0.1/24", "start 2.0.0")
                .phase(Phase.STARTING)
                .pid(String.valueOf(Given.NEW_PID))
                .next("requeue 1s")),
        row(
            "a start on a loopback network: nothing configured",
            given().failed().planned(start()),
            decide(started(Given.NEW_PID, false)),
            then().steps("start 2.0.0").phase(Phase.STARTING)),
        row(
            "a restart on a LAN: stopped, the address configured, started",
            given().lan(SUBNET).recorded("1.0.0").planned(restart("changed spec.env")),
            decide(stopped(), bound(""), started(Given.NEW_PID, false)),
            then().steps("stop pid 100", "bind 10.0.0.1/24", "start 1.0.0").phase(Phase.STARTING)),
        row(
            "the address cannot be configured: Degraded with the reason, nothing started, retried",
            given().lan(SUBNET).failed().planned(start()),
            decide(new StepResult.Failed("AddressFailed", "no interface holds 10.0.0.0/24", "")),
            then()
                .steps("bind 10.0.0.1/24")
                .condition(Condition.DEGRADED, "True/AddressFailed")
                .message(Condition.DEGRADED, "no interface holds")
                .phase(Phase.FAILED)
                .next("retry")),
        row(
            "configured after a failure: its Degraded cleared",
            given()
                .lan(SUBNET)
                .failed()
                .condition(Condition.DEGRADED, ConditionStatus.TRUE, "AddressFailed")
                .planned(start()),
            decide(bound("eth0"), started(Given.NEW_PID, false)),
            then().steps("bind 10.0.0.1/24", "start 2.0.0").noCondition(Condition.DEGRADED)),
        row(
            "the node lost the address of a running service (rebooted): configured again",
            given().lan(SUBNET).probe(new Probe.Seen(true, true, true)),
            observe(bound("eth0")),
            then().steps("bind 10.0.0.1/24").phase(Phase.RUNNING).pid("100").next("none")),
        row(
            "the node still has the address: nothing to do",
            given().lan(SUBNET).probe(new Probe.Seen(true, true, false)),
            observe(),
            then().steps().recordUnchanged().next("none")),
        row(
            "a released address on a LAN is removed from the node, then given back",
            given()
                .lan(SUBNET)
                .stopped()
                .planned(new Action.ReleaseAddress(Given.NAME, Given.NETWORK, Ipv4.of("10.0.0.9"))),
            decide(bound("eth0")),
            then().steps("unbind 10.0.0.9 on n1").released("10.0.0.9")),
        row(
            "an address that cannot be removed is kept leased, retried",
            given()
                .lan(SUBNET)
                .stopped()
                .planned(new Action.ReleaseAddress(Given.NAME, Given.NETWORK, Ipv4.of("10.0.0.9"))),
            decide(new StepResult.Failed("AddressFailed", "ip: Operation not permitted", "")),
            then()
                .steps("unbind 10.0.0.9 on n1")
                .released()
                .condition(Condition.DEGRADED, "True/AddressFailed")
                .next("retry")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rules")
  void address_onANode_configuredBeforeStartsAndRemovedOnRelease(
      String rule, Given given, When when, Then then) {
    then.check(rule, when.on(given));
  }
}
