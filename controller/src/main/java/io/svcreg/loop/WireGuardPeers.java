package io.svcreg.loop;

import io.svcreg.deploy.AddressOutcome;
import io.svcreg.deploy.DeployReasons;
import io.svcreg.deploy.Deployer;
import io.svcreg.deploy.NodeUnavailable;
import io.svcreg.deploy.WireGuardRoutes;
import io.svcreg.schema.Ipv4;
import io.svcreg.schema.NetworkSpec;
import io.svcreg.schema.Node;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Makes the members of a {@code wireguard} network — the controller's host and the network's nodes
 * — route each service address to the node that holds it. A WireGuard interface sends a packet to
 * the peer whose {@code AllowedIPs} contain its destination, and accepts one from a peer only when
 * its source is in them; so an address svcreg configures on node N must be in N's peer entry on
 * every other member, or it would not answer there. On each member whose WireGuard interface holds
 * an address of the subnet, the peer that routes N's own address (the node's tunnel) gets the
 * service address as a {@code /32}, unless that peer already routes it (e.g. {@code AllowedIPs =
 * 10.100.0.0/24} on a hub); a member with no such peer has no tunnel to N and is left alone.
 * WireGuard moves a {@code /32} to the peer it is last given to. Nothing else of a WireGuard
 * configuration is changed, and only the running interface: a member whose interface is set up
 * again from its configuration file gets the addresses back at the network's next reconcile.
 */
final class WireGuardPeers {

  private static final Logger LOG = System.getLogger(WireGuardPeers.class.getName());

  /** A member of a network: the controller's host (node {@code ""}) or one of its nodes. */
  private record Member(String key, String node, String describe, Deployer deployer) {}

  private final Controller.Deployers deployers;

  /**
   * One change at a time per member: {@code wg set} replaces a peer's whole {@code AllowedIPs}, so
   * two services' reads and writes must not interleave.
   */
  private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();

  WireGuardPeers(Controller.Deployers deployers) {
    this.deployers = deployers;
  }

  /**
   * Makes every other member route {@code address} to {@code node}. Fails when a member that has a
   * tunnel to the node cannot be changed (a member that cannot be reached is skipped: its own
   * services report it, and the network's next reconcile sets it).
   */
  AddressOutcome announce(String network, NetworkSpec spec, String node, Ipv4 address) {
    List<String> failures = route(network, spec, Map.of(address, node));
    return failures.isEmpty()
        ? new AddressOutcome.Done("")
        : new AddressOutcome.Failed(DeployReasons.ADDRESS_FAILED, String.join("; ", failures));
  }

  /**
   * Makes every member route each of {@code held} (address → node); what fails is logged and
   * returned.
   */
  List<String> routeAll(String network, NetworkSpec spec, Map<Ipv4, String> held) {
    if (held.isEmpty()) {
      return List.of();
    }
    List<String> failures = route(network, spec, held);
    for (String f : failures) {
      LOG.log(Level.WARNING, "network " + network + ": " + f);
    }
    return failures;
  }

  /** Takes {@code address}, released, out of every member's peers (best effort, logged). */
  void withdraw(String network, NetworkSpec spec, Ipv4 address) {
    String host = address + "/32";
    for (Member m : members(network, spec)) {
      ReentrantLock lock = locks.computeIfAbsent(m.key(), k -> new ReentrantLock());
      lock.lock();
      try {
        withdraw(network, spec, m, host);
      } finally {
        lock.unlock();
      }
    }
  }

  private void withdraw(String network, NetworkSpec spec, Member m, String host) {
    Optional<WireGuardRoutes.Interface> wg = probe(m, spec);
    if (wg.isEmpty()) {
      return;
    }
    wg.get()
        .peers()
        .forEach(
            (key, allowed) -> {
              if (allowed.contains(host)) {
                Set<String> rest = new LinkedHashSet<>(allowed);
                rest.remove(host);
                if (m.deployer().allowPeer(wg.get().device(), key, rest)
                    instanceof AddressOutcome.Failed f) {
                  LOG.log(Level.WARNING, "network " + network + ": " + f.message());
                }
              }
            });
  }

  private List<String> route(String network, NetworkSpec spec, Map<Ipv4, String> held) {
    List<String> failures = new ArrayList<>(0);
    for (Member m : members(network, spec)) {
      ReentrantLock lock = locks.computeIfAbsent(m.key(), k -> new ReentrantLock());
      lock.lock();
      try {
        route(network, spec, held, m, failures);
      } finally {
        lock.unlock();
      }
    }
    return failures;
  }

  private void route(
      String network, NetworkSpec spec, Map<Ipv4, String> held, Member m, List<String> failures) {
    Optional<WireGuardRoutes.Interface> wg = probe(m, spec);
    if (wg.isEmpty()) {
      return;
    }
    Map<String, Set<String>> changed = new LinkedHashMap<>();
    held.forEach(
        (address, node) -> {
          Optional<Node> holder = spec.node(node);
          if (node.equals(m.node()) || holder.isEmpty()) {
            return;
          }
          Optional<String> tunnel = wg.get().peerOf(holder.get().address());
          if (tunnel.isEmpty() || wg.get().peerOf(address).equals(tunnel)) {
            return;
          }
          changed
              .computeIfAbsent(
                  tunnel.get(), k -> new LinkedHashSet<>(wg.get().peers().get(tunnel.get())))
              .add(address + "/32");
        });
    changed.forEach(
        (key, allowed) -> {
          if (m.deployer().allowPeer(wg.get().device(), key, allowed)
              instanceof AddressOutcome.Failed f) {
            failures.add(f.message());
          } else {
            LOG.log(
                Level.INFO,
                "network "
                    + network
                    + ": "
                    + m.describe()
                    + " routes "
                    + allowed
                    + " through WireGuard peer "
                    + key);
          }
        });
  }

  private static Optional<WireGuardRoutes.Interface> probe(Member m, NetworkSpec spec) {
    try {
      return m.deployer().wireguard(spec.subnet());
    } catch (NodeUnavailable e) {
      LOG.log(
          Level.DEBUG, "WireGuard peers of " + m.describe() + " not checked: " + e.getMessage());
      return Optional.empty();
    }
  }

  private List<Member> members(String network, NetworkSpec spec) {
    List<Member> out = new ArrayList<>(spec.nodes().size() + 1);
    deployers.host().ifPresent(d -> out.add(new Member("", "", "the controller's host", d)));
    for (Node n : spec.nodes()) {
      deployers
          .forNode(network, spec, n.name())
          .ifPresent(
              d -> out.add(new Member(network + "/" + n.name(), n.name(), "node " + n.name(), d)));
    }
    return out;
  }
}
