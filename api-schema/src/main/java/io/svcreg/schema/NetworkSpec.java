package io.svcreg.schema;

import java.util.List;
import java.util.Optional;

/**
 * The desired state of a network. {@code reserved} is sorted and {@code nodes} are in the order
 * written; {@code wireguard} is present only for {@code wireguard} networks.
 */
public record NetworkSpec(
    NetworkType type,
    Cidr subnet,
    List<Ipv4> reserved,
    List<Node> nodes,
    Optional<WireGuard> wireguard) {

  public NetworkSpec {
    reserved = reserved.stream().sorted().distinct().toList();
    nodes = List.copyOf(nodes);
  }

  /** The node with this name, if declared. */
  public Optional<Node> node(String name) {
    return nodes.stream().filter(n -> n.name().equals(name)).findFirst();
  }
}
