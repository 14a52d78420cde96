package io.svcreg.core;

import io.svcreg.schema.Condition;
import io.svcreg.schema.ConditionStatus;
import io.svcreg.schema.Endpoint;
import io.svcreg.schema.Health;
import io.svcreg.schema.HealthState;
import io.svcreg.schema.Ipv4;
import io.svcreg.schema.Kind;
import io.svcreg.schema.Network;
import io.svcreg.schema.NetworkStatus;
import io.svcreg.schema.Phase;
import io.svcreg.schema.ResourceKey;
import io.svcreg.schema.RunState;
import io.svcreg.schema.Service;
import io.svcreg.schema.ServiceSpec;
import io.svcreg.schema.ServiceStatus;
import io.svcreg.schema.SpecSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/** Pure helpers that build observed states, e.g. for tests and benchmarks. */
public final class ObservedStates {

  /** The time stamp of conditions set by {@link #converged}: there is no clock in the core. */
  public static final Instant CONVERGED_AT = Instant.EPOCH;

  private ObservedStates() {}

  /**
   * The observed state a perfect executor reaches from {@code before} by applying {@code plan} (the
   * plan of {@code desired} against {@code before}): every action succeeds, running services are
   * healthy. Services the plan could not act on (they have a problem) keep their previous status;
   * new ones among them are recorded as {@code registered}. The revision is {@code before}'s plus
   * one.
   */
  public static ObservedState converged(SpecSet desired, ObservedState before, Plan plan) {
    Map<ResourceKey, ResourceChange> changes = new HashMap<>();
    for (ResourceChange c : plan.changes()) {
      changes.put(c.key(), c);
    }
    Map<String, List<Action>> actions = new HashMap<>();
    Set<Lease> leases = new LinkedHashSet<>(before.leases());
    for (Action a : plan.actions()) {
      actions.computeIfAbsent(a.service(), k -> new ArrayList<>()).add(a);
      switch (a) {
        case Action.AllocateAddress x ->
            leases.add(new Lease(x.network(), x.address(), x.service()));
        case Action.ReleaseAddress x ->
            leases.remove(new Lease(x.network(), x.address(), x.service()));
        case Action.Deploy x -> {}
        case Action.Start x -> {}
        case Action.Stop x -> {}
        case Action.Restart x -> {}
        case Action.Rollback x -> {}
        case Action.Undeploy x -> {}
      }
    }
    Map<String, Integer> leaseCount = new HashMap<>();
    Map<String, Lease> leaseOf = new HashMap<>();
    for (Lease l : leases) {
      leaseCount.merge(l.network(), 1, Integer::sum);
      leaseOf.putIfAbsent(l.service() + "\n" + l.network(), l);
    }

    Map<String, ObservedNetwork> networks = new TreeMap<>();
    for (ObservedNetwork n : before.networks()) {
      networks.put(n.metadata().name(), n);
    }
    for (Network n : desired.networks()) {
      if (desired.held().contains(n.key())) {
        continue;
      }
      ResourceChange c = changes.get(n.key());
      ObservedNetwork old = networks.get(n.name());
      long generation = c != null ? c.generation() : old != null ? old.generation() : 1;
      networks.put(
          n.name(),
          new ObservedNetwork(
              n.metadata(),
              generation,
              n.specHash(),
              n.spec(),
              new NetworkStatus(
                  generation,
                  leaseCount.getOrDefault(n.name(), 0),
                  AddressRules.capacity(n.spec()),
                  old != null && old.status().attached(),
                  old != null ? old.status().conditions() : List.of())));
    }

    Map<String, ObservedService> services = new TreeMap<>();
    for (ObservedService s : before.services()) {
      services.put(s.metadata().name(), s);
    }
    for (ResourceChange c : plan.changes()) {
      if (c.change() == ChangeType.DELETE) {
        (c.key().kind() == Kind.SERVICE ? services : networks).remove(c.key().name());
      }
    }
    Map<String, Service> declared = new HashMap<>();
    for (Service s : desired.services()) {
      if (!desired.held().contains(s.key())) {
        declared.put(s.name(), s);
      }
    }
    for (Service s : declared.values()) {
      ObservedService old = services.get(s.name());
      ResourceChange c = changes.get(s.key());
      long generation = c != null ? c.generation() : old != null ? old.generation() : 1;
      List<Action> mine = actions.getOrDefault(s.name(), List.of());
      ServiceStatus status;
      if (!mine.isEmpty()) {
        status =
            reached(
                s.spec(), old, generation, mine, leaseOf.get(s.name() + "\n" + s.spec().network()));
      } else if (old != null) {
        status = withGeneration(old.status(), generation);
      } else {
        status = ServiceStatus.registered();
      }
      services.put(
          s.name(), new ObservedService(s.metadata(), generation, s.specHash(), s.spec(), status));
    }
    for (Map.Entry<String, List<Action>> e : actions.entrySet()) {
      ObservedService old = services.get(e.getKey());
      if (old != null && !declared.containsKey(e.getKey())) {
        Lease lease = leaseOf.get(e.getKey() + "\n" + old.spec().network());
        services.put(
            e.getKey(),
            new ObservedService(
                old.metadata(),
                old.generation(),
                old.specHash(),
                old.spec(),
                reached(old.spec(), old, old.generation(), e.getValue(), lease)));
      }
    }
    return new ObservedState(
        before.revision() + 1,
        List.copyOf(networks.values()),
        List.copyOf(services.values()),
        List.copyOf(leases));
  }

  /** The state of a controller that applied {@code plan} to nothing. */
  public static ObservedState converged(SpecSet desired, Plan plan) {
    return converged(desired, ObservedState.EMPTY, plan);
  }

  private static ServiceStatus withGeneration(ServiceStatus s, long generation) {
    return new ServiceStatus(
        s.phase(),
        generation,
        s.deployedVersion(),
        s.previousVersion(),
        s.node(),
        s.address(),
        s.endpoints(),
        s.pid(),
        s.containerId(),
        s.health(),
        s.conditions(),
        s.lastError(),
        s.sourceRevision());
  }

  /** The status a service reaches when all its actions succeed. */
  private static ServiceStatus reached(
      ServiceSpec spec, ObservedService old, long generation, List<Action> actions, Lease lease) {
    Optional<String> deployed = old != null ? old.status().deployedVersion() : Optional.empty();
    Optional<String> previous = old != null ? old.status().previousVersion() : Optional.empty();
    List<Condition> conditions = old != null ? old.status().conditions() : List.of();
    boolean running = old != null && ServiceStates.isUp(old.status());
    for (Action a : actions) {
      switch (a) {
        case Action.Deploy d -> {
          if (deployed.isPresent() && !deployed.get().equals(d.version())) {
            previous = deployed;
          }
          deployed = Optional.of(d.version());
          // a new install clears what went wrong before, not an operator's stop
          conditions = conditions.stream().filter(c -> Condition.HELD.equals(c.type())).toList();
        }
        case Action.Undeploy u -> deployed = Optional.empty();
        case Action.Start x -> running = true;
        case Action.Restart x -> running = true;
        case Action.Stop x -> running = false;
        case Action.Rollback r -> {
          deployed = Optional.of(r.toVersion());
          previous = Optional.of(r.fromVersion());
          running = true;
          conditions =
              List.of(
                  new Condition(
                      Condition.PROGRESSING,
                      ConditionStatus.FALSE,
                      Reasons.ROLLED_BACK,
                      "rolled back from " + r.fromVersion() + " to " + r.toVersion(),
                      CONVERGED_AT));
        }
        case Action.AllocateAddress x -> {}
        case Action.ReleaseAddress x -> {}
      }
    }
    Optional<Ipv4> address = Optional.ofNullable(lease).map(Lease::address);
    List<String> endpoints = new ArrayList<>();
    if (address.isPresent()) {
      for (Endpoint e : spec.endpoints()) {
        endpoints.add(address.get() + ":" + e.port());
      }
    }
    boolean held =
        conditions.stream()
            .anyMatch(c -> Condition.HELD.equals(c.type()) && c.status() == ConditionStatus.TRUE);
    boolean up = running && deployed.isPresent() && spec.state() == RunState.RUNNING && !held;
    return new ServiceStatus(
        up ? Phase.RUNNING : Phase.STOPPED,
        generation,
        deployed,
        previous,
        Optional.of(spec.node()),
        address,
        endpoints,
        Optional.empty(),
        up ? new Health(HealthState.PASSING, Optional.empty(), "") : Health.UNKNOWN,
        conditions,
        Optional.empty(),
        old != null ? old.status().sourceRevision() : Optional.empty());
  }
}
