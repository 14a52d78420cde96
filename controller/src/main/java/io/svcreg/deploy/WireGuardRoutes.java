package io.svcreg.deploy;

import io.svcreg.schema.Cidr;
import io.svcreg.schema.Ipv4;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The WireGuard side of addresses on nodes: which interface of a host holds a network's subnet, its
 * public key and its peers' {@code AllowedIPs}, read with {@code ip -o -4 addr show} and {@code wg
 * show all dump} in one script ({@link #PROBE}); and the command that sets a peer's {@code
 * AllowedIPs} ({@link #allowScript}). Peers route to a node only the addresses in its {@code
 * AllowedIPs}, so a service address on a node must be added there on every other peer.
 */
public final class WireGuardRoutes {

  /** The script whose output {@link #parse} reads. */
  public static final String PROBE =
      "ip -o -4 addr show 2>/dev/null; echo ---wg---; wg show all dump 2>/dev/null; true\n";

  private WireGuardRoutes() {}

  /**
   * A host's WireGuard interface: its name, public key and each peer's {@code AllowedIPs} (by the
   * peer's public key, as CIDRs).
   */
  public record Interface(String device, String publicKey, Map<String, Set<String>> peers) {

    public Interface {
      Map<String, Set<String>> copy = new LinkedHashMap<>();
      peers.forEach((k, v) -> copy.put(k, Set.copyOf(v)));
      peers = Map.copyOf(copy);
    }

    /**
     * The peer this interface sends packets for {@code address} to: the one whose {@code
     * AllowedIPs} hold the longest prefix that contains it, as WireGuard chooses; empty when none
     * does.
     */
    public Optional<String> peerOf(Ipv4 address) {
      String best = null;
      int bestPrefix = -1;
      for (Map.Entry<String, Set<String>> peer : peers.entrySet()) {
        for (String allowed : peer.getValue()) {
          if (allowed.contains(":")) {
            continue; // IPv6
          }
          Cidr.Parsed p = Cidr.parse(allowed.contains("/") ? allowed : allowed + "/32");
          if (p instanceof Cidr.Parsed.Ok ok
              && ok.cidr().contains(address)
              && ok.cidr().prefix() > bestPrefix) {
            best = peer.getKey();
            bestPrefix = ok.cidr().prefix();
          }
        }
      }
      return Optional.ofNullable(best);
    }
  }

  /**
   * The WireGuard interface that holds an address in {@code subnet}, from {@link #PROBE}'s output;
   * empty when no interface holds one, or the one that does is not a WireGuard interface.
   */
  public static Optional<Interface> parse(String out, Cidr subnet) {
    int cut = out.indexOf("---wg---");
    if (cut < 0) {
      return Optional.empty();
    }
    String device = null;
    for (String line : out.substring(0, cut).split("\n")) {
      String[] f = line.trim().split("\\s+");
      for (int i = 0; i + 1 < f.length; i++) {
        if (f[i].equals("inet")) {
          String ip =
              f[i + 1].contains("/") ? f[i + 1].substring(0, f[i + 1].indexOf('/')) : f[i + 1];
          Optional<Ipv4> a = Ipv4.parse(ip);
          if (a.isPresent() && subnet.contains(a.get()) && f.length > 1) {
            device = f[1];
          }
        }
      }
      if (device != null) {
        break;
      }
    }
    if (device == null) {
      return Optional.empty();
    }
    String publicKey = null;
    Map<String, Set<String>> peers = new LinkedHashMap<>();
    for (String line : out.substring(cut + "---wg---".length()).split("\n")) {
      String[] f = line.split("\t");
      if (f.length < 2 || !f[0].equals(device)) {
        continue;
      }
      if (f.length == 5) {
        publicKey = f[2];
      } else if (f.length >= 5) {
        Set<String> allowed = new LinkedHashSet<>();
        if (!f[4].equals("(none)")) {
          for (String c : f[4].split(",")) {
            if (!c.isBlank()) {
              allowed.add(c.trim());
            }
          }
        }
        peers.put(f[1], allowed);
      }
    }
    return publicKey == null
        ? Optional.empty()
        : Optional.of(new Interface(device, publicKey, peers));
  }

  /** The command that sets peer {@code key}'s {@code AllowedIPs} on {@code device}. */
  public static String allowScript(String device, String key, Collection<String> allowed) {
    return "wg set "
        + Shell.quote(device)
        + " peer "
        + Shell.quote(key)
        + " allowed-ips "
        + Shell.quote(String.join(",", allowed))
        + "\n";
  }
}
