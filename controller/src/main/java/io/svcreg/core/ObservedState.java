package io.svcreg.core;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Everything the controller has observed, at a journal revision: the JSON snapshot format that
 * {@code plan --state FILE} reads and {@code get -o json} prints. Lists are sorted by name.
 */
public record ObservedState(
    long revision,
    List<ObservedNetwork> networks,
    List<ObservedService> services,
    List<Lease> leases) {

  /** The state of a controller that has done nothing yet. */
  public static final ObservedState EMPTY = new ObservedState(0, List.of(), List.of(), List.of());

  public ObservedState {
    networks =
        networks.stream()
            .sorted(Comparator.comparing((ObservedNetwork n) -> n.metadata().name()))
            .toList();
    services =
        services.stream()
            .sorted(Comparator.comparing((ObservedService s) -> s.metadata().name()))
            .toList();
    leases =
        leases.stream()
            .sorted(Comparator.comparing(Lease::network).thenComparing(Lease::address))
            .toList();
  }

  /** The observed service with this name, if any. */
  public Optional<ObservedService> service(String name) {
    return services.stream().filter(s -> s.metadata().name().equals(name)).findFirst();
  }

  /** The observed network with this name, if any. */
  public Optional<ObservedNetwork> network(String name) {
    return networks.stream().filter(n -> n.metadata().name().equals(name)).findFirst();
  }
}
