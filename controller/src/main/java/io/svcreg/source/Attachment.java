package io.svcreg.source;

import io.svcreg.schema.Ipv4;
import io.svcreg.schema.NetworkType;
import java.util.Optional;

/**
 * Whether this host is attached to a declared network, and how.
 *
 * @param network the network's name
 * @param type its type
 * @param attached whether this host is in it: always for {@code local}; for {@code lan}, an
 *     interface that is up has an address in the subnet; for {@code wireguard}, that, or the
 *     WireGuard config file exists
 * @param iface the interface with an address in the subnet, if any
 * @param address that address
 * @param configFile the WireGuard config file, when it exists
 */
public record Attachment(
    String network,
    NetworkType type,
    boolean attached,
    Optional<String> iface,
    Optional<Ipv4> address,
    Optional<String> configFile) {

  /** How it is attached, for messages: e.g. {@code interface eth0 (192.168.1.5)}. */
  public String how() {
    if (!attached) {
      return "not attached";
    }
    StringBuilder b = new StringBuilder();
    if (iface.isPresent()) {
      b.append("interface ").append(iface.get());
      address.ifPresent(a -> b.append(" (").append(a).append(')'));
    }
    if (configFile.isPresent()) {
      b.append(b.isEmpty() ? "" : ", ").append("config ").append(configFile.get());
    }
    return b.isEmpty() ? "this host" : b.toString();
  }
}
