package io.svcreg.deploy;

import io.svcreg.schema.Cidr;
import io.svcreg.schema.Endpoint;
import io.svcreg.schema.ExecutionType;
import io.svcreg.schema.Ipv4;
import io.svcreg.schema.Service;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What a service's scripts run with: its name and version (which install directory), its address
 * and endpoints, the {@code ip:port} of each dependency (by dependency name) and its {@code
 * spec.env}, how its process is run ({@code execution}), and the subnet whose prefix its address is
 * configured with on the node ({@code subnet}: on networks where svcreg configures addresses on
 * nodes, e.g. a unit's address configured again when the node boots). The deployer turns it into
 * the scripts' environment with {@link ServiceEnvironment}, and writes its {@code origin} into the
 * service's {@link RunRecord} on the node.
 */
public record Launch(
    String service,
    String version,
    Ipv4 ip,
    List<Endpoint> endpoints,
    Map<String, String> dependencyAddresses,
    Map<String, String> env,
    ExecutionType execution,
    Optional<Cidr> subnet,
    Origin origin) {

  /**
   * Who launches a service, and from what: the controller's identity ({@code controller}, empty
   * when unknown), the generation of the spec it acts on and that spec's hash ({@code specHash},
   * empty when unknown), and the version kept for rollback while this one runs.
   */
  public record Origin(
      String controller, long generation, String specHash, Optional<String> previousVersion) {

    /** The origin of a launch that no controller made (tests, tools). */
    public static final Origin NONE = new Origin("", 0, "", Optional.empty());

    public Origin {
      Objects.requireNonNull(controller, "controller");
      Objects.requireNonNull(specHash, "specHash");
      Objects.requireNonNull(previousVersion, "previousVersion");
    }
  }

  public Launch {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(ip, "ip");
    endpoints = List.copyOf(endpoints);
    dependencyAddresses = sorted(dependencyAddresses);
    env = sorted(env);
    Objects.requireNonNull(execution, "execution");
    Objects.requireNonNull(subnet, "subnet");
    Objects.requireNonNull(origin, "origin");
  }

  /** This launch, made by {@code by}. */
  public Launch from(Origin by) {
    return new Launch(
        service, version, ip, endpoints, dependencyAddresses, env, execution, subnet, by);
  }

  /** This launch, run as {@code how}. */
  public Launch withExecution(ExecutionType how) {
    return new Launch(
        service, version, ip, endpoints, dependencyAddresses, env, how, subnet, origin);
  }

  /** The launch of a service run as a managed process. */
  public Launch(
      String service,
      String version,
      Ipv4 ip,
      List<Endpoint> endpoints,
      Map<String, String> dependencyAddresses,
      Map<String, String> env) {
    this(
        service,
        version,
        ip,
        endpoints,
        dependencyAddresses,
        env,
        ExecutionType.MANAGED_PROCESS,
        Optional.empty(),
        Origin.NONE);
  }

  /**
   * The launch of a declared service at {@code ip}; {@code dependencyAddresses} maps each name in
   * its {@code dependsOn} to {@code ip:port} (see {@link #address}); its address is not configured
   * on its node.
   */
  public static Launch of(Service service, Ipv4 ip, Map<String, String> dependencyAddresses) {
    return new Launch(
        service.metadata().name(),
        service.spec().version(),
        ip,
        service.spec().endpoints(),
        dependencyAddresses,
        service.spec().env(),
        service.spec().execution(),
        Optional.empty(),
        Origin.NONE);
  }

  /** The {@code ip:port} of a service's first endpoint, or empty when it has none. */
  public static Optional<String> address(Ipv4 ip, List<Endpoint> endpoints) {
    return endpoints.isEmpty() ? Optional.empty() : Optional.of(ip + ":" + endpoints.get(0).port());
  }

  private static Map<String, String> sorted(Map<String, String> map) {
    return Collections.unmodifiableSortedMap(new TreeMap<>(map));
  }
}
