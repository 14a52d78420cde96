package io.svcreg.schema;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The desired state of a service, with defaults applied and the package manifest's defaults merged
 * in, so that two specs that mean the same thing are equal.
 *
 * <p>{@code packageRef} is the package as written (relative to the spec file); {@code node} is the
 * resolved node name ({@link Node#LOCAL_NODE} for local networks).
 */
public record ServiceSpec(
    String version,
    String packageRef,
    String network,
    String node,
    Optional<Ipv4> address,
    ExecutionType execution,
    List<Endpoint> endpoints,
    List<String> dependsOn,
    Map<String, String> env,
    Optional<HealthCheck> health,
    RunState state,
    Rollout rollout) {

  public ServiceSpec {
    endpoints = List.copyOf(endpoints);
    dependsOn = dependsOn.isEmpty() ? List.of() : dependsOn.stream().sorted().distinct().toList();
    env = Metadata.sorted(env);
  }
}
