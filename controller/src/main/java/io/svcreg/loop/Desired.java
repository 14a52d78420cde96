package io.svcreg.loop;

import io.svcreg.schema.Network;
import io.svcreg.schema.Resource;
import io.svcreg.schema.ResourceKey;
import io.svcreg.schema.Service;
import io.svcreg.schema.SpecSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The desired state the loop works from, the last reading of the spec directory, with the indexes a
 * reconcile of one key needs (so that none of them walks the whole desired state): resources by
 * key, the dependents of each service, and the services of each network. Replaced whole on each
 * reading; thread-safe.
 */
final class Desired {

  /** One reading and its indexes. */
  private record View(
      SpecSet specs,
      Map<ResourceKey, Resource> index,
      Map<String, List<String>> dependents,
      Map<String, List<String>> byNetwork,
      Optional<String> revision,
      boolean loaded) {}

  private volatile View view =
      new View(
          new SpecSet(List.of(), Set.of(), true, List.of(), List.of()),
          Map.of(),
          Map.of(),
          Map.of(),
          Optional.empty(),
          false);

  /** Takes a new reading (the effective desired state) and the spec directory's Git commit. */
  void set(SpecSet specs, Optional<String> revision) {
    Map<ResourceKey, Resource> index = new HashMap<>();
    Map<String, List<String>> dependents = new HashMap<>();
    Map<String, List<String>> byNetwork = new HashMap<>();
    for (Resource r : specs.resources()) {
      index.put(r.key(), r);
      if (r instanceof Service s) {
        byNetwork.computeIfAbsent(s.spec().network(), k -> new ArrayList<>()).add(s.name());
        for (String d : s.spec().dependsOn()) {
          dependents.computeIfAbsent(d, k -> new ArrayList<>()).add(s.name());
        }
      }
    }
    view = new View(specs, index, dependents, byNetwork, revision, true);
  }

  /** The desired state (empty before the first reading). */
  SpecSet specs() {
    return view.specs();
  }

  /** Whether the spec directory was read at least once. */
  boolean loaded() {
    return view.loaded();
  }

  /** The Git commit of the spec directory's last reading, if it is a Git work tree. */
  Optional<String> revision() {
    return view.revision();
  }

  /** The declared resource of this key (the last good one of a held key), or null. */
  Resource get(ResourceKey key) {
    return view.index().get(key);
  }

  /** The declared service of this name, if any. */
  Optional<Service> service(String name) {
    return get(ResourceKey.service(name)) instanceof Service s ? Optional.of(s) : Optional.empty();
  }

  /** The declared network of this name, if any. */
  Optional<Network> network(String name) {
    return get(ResourceKey.network(name)) instanceof Network n ? Optional.of(n) : Optional.empty();
  }

  /** The keys of every declared resource. */
  Set<ResourceKey> keys() {
    return view.index().keySet();
  }

  /** The declared services that depend on {@code service}. */
  List<String> dependents(String service) {
    return view.dependents().getOrDefault(service, List.of());
  }

  /** The declared services of {@code network}. */
  List<String> servicesOf(String network) {
    return view.byNetwork().getOrDefault(network, List.of());
  }
}
