package io.svcreg.loop;

import io.svcreg.core.ObservedNetwork;
import io.svcreg.core.ObservedService;
import io.svcreg.core.ServiceStates;
import io.svcreg.core.rollout.Outcome;
import io.svcreg.schema.Ipv4;
import io.svcreg.schema.Network;
import io.svcreg.schema.NetworkStatus;
import io.svcreg.schema.NetworkType;
import io.svcreg.schema.ResourceKey;
import io.svcreg.store.Store;
import io.svcreg.store.Transaction;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Reconciles one network: records its spec and status (generation, addresses leased and free,
 * whether this host is attached to it), and forgets a network that is no longer declared once no
 * recorded service uses it. On a {@code wireguard} network it also makes the members' WireGuard
 * peers route the addresses of its services that are up ({@link WireGuardPeers}), so that a member
 * whose interface was set up again (a reboot) gets them back.
 */
final class NetworkReconciler {

  private final Store store;
  private final Desired desired;
  private final Committer committer;
  private final Predicate<String> attached;
  private final Controller.Options options;
  private final WireGuardPeers peers;

  NetworkReconciler(
      Store store,
      Desired desired,
      Committer committer,
      Predicate<String> attached,
      Controller.Options options,
      WireGuardPeers peers) {
    this.store = store;
    this.desired = desired;
    this.committer = committer;
    this.attached = attached;
    this.options = options;
    this.peers = peers;
  }

  /** One reconcile of network {@code name}. */
  Outcome reconcile(String name) {
    String key = ResourceKey.network(name).toString();
    Optional<ObservedNetwork> before = store.network(name);
    Optional<Network> want = desired.network(name);
    Transaction tx = new Transaction();
    if (want.isPresent()) {
      Network n = want.get();
      if (n.spec().type() == NetworkType.WIREGUARD) {
        peers.routeAll(name, n.spec(), held(name));
      }
      long generation =
          before
              .map(b -> b.specHash().equals(n.specHash()) ? b.generation() : b.generation() + 1)
              .orElse(1L);
      NetworkStatus status =
          new NetworkStatus(
              generation, store.leaseCount(name), capacity(n), attached.test(name), List.of());
      ObservedNetwork next =
          new ObservedNetwork(n.metadata(), generation, n.specHash(), n.spec(), status);
      if (before.isPresent() && before.get().equals(next)) {
        return Outcome.DONE;
      }
      tx.putNetwork(next);
      if (before.isEmpty()) {
        tx.event("reconcile_diff", key, diff("create", generation));
      } else if (before.get().generation() != generation
          || !before.get().metadata().equals(n.metadata())) {
        tx.event("reconcile_diff", key, diff("update", generation));
      }
      committer.commit(tx);
      return Outcome.DONE;
    }
    ResourceKey k = ResourceKey.network(name);
    if (before.isPresent() && !desired.specs().held().contains(k) && desired.specs().complete()) {
      boolean inUse =
          store.observed().services().stream().anyMatch(s -> s.spec().network().equals(name));
      if (inUse) {
        return new Outcome.RequeueAfter(options.dependencyPoll());
      }
      tx.removeNetwork(name);
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("change", "delete");
      d.put("fields", List.of());
      tx.event("reconcile_diff", key, committer.withRevision(d));
      committer.commit(tx);
    }
    return Outcome.DONE;
  }

  /** The addresses of {@code network}'s services that are up, with the node each runs on. */
  private Map<Ipv4, String> held(String network) {
    Map<Ipv4, String> out = new LinkedHashMap<>();
    for (ObservedService s : store.observed().services()) {
      if (s.spec().network().equals(network)
          && s.status().address().isPresent()
          && ServiceStates.isUp(s.status())) {
        out.put(s.status().address().get(), s.status().node().orElse(s.spec().node()));
      }
    }
    return out;
  }

  private Map<String, Object> diff(String change, long generation) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("change", change);
    d.put("generation", generation);
    d.put("fields", List.of());
    return committer.withRevision(d);
  }

  private static long capacity(Network n) {
    long size = n.spec().subnet().size();
    long unusable = n.spec().subnet().prefix() <= 30 ? 2 : 0;
    return Math.max(0, size - unusable - n.spec().reserved().size() - n.spec().nodes().size());
  }
}
