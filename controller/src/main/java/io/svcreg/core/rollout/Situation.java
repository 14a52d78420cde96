package io.svcreg.core.rollout;

import io.svcreg.core.Lease;
import io.svcreg.core.ObservedService;
import io.svcreg.schema.Cidr;
import io.svcreg.schema.Service;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Everything a decision about one service takes, read by the loop before it decides: the desired
 * spec, the observed record, the operator's intent, the loop's ledger (process, crashes), what the
 * node said, the planned actions, the dependencies, and {@code now}.
 *
 * @param name the service
 * @param want the declared spec to act on (the last good one of a held key), if declared
 * @param removable whether an undeclared service may be torn down and forgotten (every spec file
 *     was read and the key is not held)
 * @param have the observed record, if the service is known
 * @param intent the operator's intent
 * @param ledger the loop's ledger of the service
 * @param probe what the node said about the deployed version and process
 * @param planned the planner's actions for the service (after the probe's corrections)
 * @param dependencies the services in the desired spec's {@code dependsOn}, by name
 * @param reachable the nodes a deployer reaches, as {@code network/node}
 * @param removingDependent a service that depends on this one and is being removed first
 * @param leftoverNodes the nodes where the inventory still records installs of the service
 * @param lastHealthCheck when the running process's health was last checked (kept in memory)
 * @param sourceRevision the Git commit of the spec directory, if it is a Git work tree
 * @param leases the addresses leased to the service
 * @param bound the subnets, by network, whose addresses svcreg configures on the nodes ({@code lan}
 *     and {@code wireguard} networks), of the networks the service is or was in
 * @param now the time of the decision
 */
public record Situation(
    String name,
    Optional<Service> want,
    boolean removable,
    Optional<ObservedService> have,
    Intent intent,
    Ledger ledger,
    Probe probe,
    Planned planned,
    Map<String, Dependency> dependencies,
    Set<String> reachable,
    Optional<String> removingDependent,
    List<String> leftoverNodes,
    Optional<Instant> lastHealthCheck,
    Optional<String> sourceRevision,
    List<Lease> leases,
    Map<String, Cidr> bound,
    Instant now) {

  public Situation {
    Objects.requireNonNull(name, "name");
    dependencies = Map.copyOf(dependencies);
    reachable = Set.copyOf(reachable);
    leftoverNodes = List.copyOf(leftoverNodes);
    leases = List.copyOf(leases);
    bound = Map.copyOf(bound);
    Objects.requireNonNull(now, "now");
  }

  /** Whether a deployer reaches {@code node} of {@code network}. */
  public boolean reaches(String network, String node) {
    return reachable.contains(network + "/" + node);
  }

  /** This situation with the planner's actions. */
  public Situation withPlanned(Planned p) {
    return new Situation(
        name,
        want,
        removable,
        have,
        intent,
        ledger,
        probe,
        p,
        dependencies,
        reachable,
        removingDependent,
        leftoverNodes,
        lastHealthCheck,
        sourceRevision,
        leases,
        bound,
        now);
  }

  /** This situation with the service's leases as they are now. */
  public Situation withLeases(List<Lease> current) {
    return new Situation(
        name,
        want,
        removable,
        have,
        intent,
        ledger,
        probe,
        planned,
        dependencies,
        reachable,
        removingDependent,
        leftoverNodes,
        lastHealthCheck,
        sourceRevision,
        current,
        bound,
        now);
  }

  /** This situation after {@code w} was committed: its record, intent and ledger. */
  public Situation after(Writes w) {
    if (w.isEmpty()) {
      return this;
    }
    Optional<ObservedService> h = w.removeService() ? Optional.empty() : w.service().or(() -> have);
    return new Situation(
        name,
        want,
        removable,
        h,
        w.intent().orElse(intent),
        w.ledger().orElse(ledger),
        probe,
        planned,
        dependencies,
        reachable,
        removingDependent,
        leftoverNodes,
        lastHealthCheck,
        sourceRevision,
        leases,
        bound,
        now);
  }
}
