package io.svcreg.schema;

import java.util.List;
import java.util.Optional;

/**
 * The observed state of a service, as kept by the controller (never written in spec files). {@code
 * endpoints} are resolved {@code ip:port} strings in the order of the spec's endpoints; {@code pid}
 * is the service's process (a unit's or a container's main process), {@code containerId} the Docker
 * container that runs it ({@code execution: docker}).
 */
public record ServiceStatus(
    Phase phase,
    long observedGeneration,
    Optional<String> deployedVersion,
    Optional<String> previousVersion,
    Optional<String> node,
    Optional<Ipv4> address,
    List<String> endpoints,
    Optional<Long> pid,
    Optional<String> containerId,
    Health health,
    List<Condition> conditions,
    Optional<String> lastError,
    Optional<String> sourceRevision) {

  public ServiceStatus {
    endpoints = List.copyOf(endpoints);
    containerId = containerId == null ? Optional.empty() : containerId; // absent in older records
    conditions = List.copyOf(conditions);
  }

  /** The status of a service that does not run as a container. */
  public ServiceStatus(
      Phase phase,
      long observedGeneration,
      Optional<String> deployedVersion,
      Optional<String> previousVersion,
      Optional<String> node,
      Optional<Ipv4> address,
      List<String> endpoints,
      Optional<Long> pid,
      Health health,
      List<Condition> conditions,
      Optional<String> lastError,
      Optional<String> sourceRevision) {
    this(
        phase,
        observedGeneration,
        deployedVersion,
        previousVersion,
        node,
        address,
        endpoints,
        pid,
        Optional.empty(),
        health,
        conditions,
        lastError,
        sourceRevision);
  }

  /** The status of a service the controller knows of but has not acted on yet. */
  public static ServiceStatus registered() {
    return new ServiceStatus(
        Phase.REGISTERED,
        0,
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        List.of(),
        Optional.empty(),
        Health.UNKNOWN,
        List.of(),
        Optional.empty(),
        Optional.empty());
  }

  /** The condition of this type, if present. */
  public Optional<Condition> condition(String type) {
    return conditions.stream().filter(c -> c.type().equals(type)).findFirst();
  }
}
