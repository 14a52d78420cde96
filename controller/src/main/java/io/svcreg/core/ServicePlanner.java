package io.svcreg.core;

import io.svcreg.schema.Network;
import io.svcreg.schema.Resource;
import io.svcreg.schema.ResourceKey;
import io.svcreg.schema.Service;
import io.svcreg.schema.SpecSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@link Planner#plan} for one service, at a cost that does not grow with the fleet: the plan of a
 * desired and an observed state that hold only the service, its network and its own leases. Its
 * actions are those the full plan gives the service, with two exceptions that the loop handles
 * itself: a new address is chosen without the other services' leases (so an {@code
 * allocate_address} in it must be planned again with the full plan), and a dependency's address or
 * port that moves does not restart the service (the loop compares the addresses a process was
 * started with). Pure.
 */
public final class ServicePlanner {

  private ServicePlanner() {}

  /**
   * The plan of service {@code name}: {@code desired} is the whole desired state (for its declared
   * spec, its network, held keys and completeness), {@code observed} and {@code leases} its own
   * observed record and leases, {@code network} its network's observed record.
   */
  public static Plan plan(
      SpecSet desired,
      Optional<Resource> declared,
      Optional<Resource> declaredNetwork,
      String name,
      Optional<ObservedService> observed,
      Optional<ObservedNetwork> network,
      List<Lease> leases) {
    List<Resource> resources = new ArrayList<>(2);
    Set<ResourceKey> held = new TreeSet<>();
    ResourceKey key = ResourceKey.service(name);
    if (desired.held().contains(key)) {
      held.add(key);
    }
    String net =
        declared
            .filter(Service.class::isInstance)
            .map(r -> ((Service) r).spec().network())
            .or(() -> observed.map(o -> o.spec().network()))
            .orElse("");
    ResourceKey netKey = ResourceKey.network(net);
    if (desired.held().contains(netKey)) {
      held.add(netKey);
    }
    declaredNetwork.filter(Network.class::isInstance).ifPresent(resources::add);
    declared.filter(Service.class::isInstance).ifPresent(resources::add);
    SpecSet one = new SpecSet(resources, held, desired.complete(), List.of(), desired.files());
    ObservedState state =
        new ObservedState(
            0,
            network.filter(n -> n.metadata().name().equals(net)).map(List::of).orElse(List.of()),
            observed.map(List::of).orElse(List.of()),
            leases);
    return Planner.plan(one, state);
  }
}
