package io.svcreg.core;

import io.svcreg.schema.Cidr;
import io.svcreg.schema.Ipv4;
import io.svcreg.schema.NetworkSpec;
import io.svcreg.schema.NetworkType;
import io.svcreg.schema.Node;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Which addresses of a network may ever be handed out: those in the subnet, except the network and
 * broadcast addresses, {@code reserved} and node addresses (in a {@code local} network without
 * declared nodes, the implicit node's 127.0.0.1).
 */
final class AddressRules {

  /** The address of the implicit {@code local} node of a local network. */
  static final Ipv4 LOCAL_HOST = Ipv4.of("127.0.0.1");

  private final String network;
  private final Cidr subnet;
  private final Set<Ipv4> reserved;
  private final Set<Ipv4> nodes;
  private final int[] excluded;
  private final long first;
  private final long last;

  AddressRules(String network, NetworkSpec spec) {
    this.network = network;
    this.subnet = spec.subnet();
    this.reserved = Set.copyOf(spec.reserved());
    Set<Ipv4> n = new HashSet<>();
    for (Node node : spec.nodes()) {
      if (node.address() != null) {
        n.add(node.address());
      }
    }
    if (spec.type() == NetworkType.LOCAL && n.isEmpty() && subnet.contains(LOCAL_HOST)) {
      // the implicit node of a local network is the controller's own host, at 127.0.0.1
      n.add(LOCAL_HOST);
    }
    this.nodes = Set.copyOf(n);
    Set<Ipv4> all = new HashSet<>(reserved);
    all.addAll(nodes);
    this.excluded = all.stream().mapToInt(Ipv4::bits).sorted().toArray();
    long base = subnet.network().unsigned();
    long top = subnet.broadcast().unsigned();
    this.first = subnet.prefix() <= 30 ? base + 1 : base;
    this.last = subnet.prefix() <= 30 ? top - 1 : top;
  }

  /** Whether {@code address} may be handed out (the fast form of {@link #unusable}). */
  boolean usable(Ipv4 address) {
    long u = address.unsigned();
    return u >= first && u <= last && Arrays.binarySearch(excluded, address.bits()) < 0;
  }

  /** The network's name. */
  String network() {
    return network;
  }

  /** The network's subnet. */
  Cidr subnet() {
    return subnet;
  }

  /** Why {@code address} can never be handed out in this network, or empty if it can. */
  Optional<String> unusable(Ipv4 address) {
    if (!subnet.contains(address)) {
      return Optional.of(address + " is outside subnet " + subnet + " of network " + network);
    }
    if (subnet.isNetworkOrBroadcast(address)) {
      return Optional.of(address + " is the network or broadcast address of subnet " + subnet);
    }
    if (reserved.contains(address)) {
      return Optional.of(address + " is reserved in network " + network);
    }
    if (nodes.contains(address)) {
      return Optional.of(address + " is a node address in network " + network);
    }
    return Optional.empty();
  }

  /** The first address that may be handed out, as an unsigned number. */
  long first() {
    return first;
  }

  /** The last address that may be handed out, as an unsigned number. */
  long last() {
    return last;
  }

  /** How many addresses may be handed out in all. */
  long capacity() {
    long n = last() - first() + 1;
    for (Ipv4 a : reserved) {
      if (isInRange(a)) {
        n--;
      }
    }
    for (Ipv4 a : nodes) {
      if (isInRange(a) && !reserved.contains(a)) {
        n--;
      }
    }
    return n;
  }

  private boolean isInRange(Ipv4 a) {
    long u = a.unsigned();
    return u >= first && u <= last;
  }

  /** Capacity of a network spec: how many addresses it can hand out. */
  static long capacity(NetworkSpec spec) {
    return new AddressRules("", spec).capacity();
  }
}
