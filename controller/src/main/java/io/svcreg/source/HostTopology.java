package io.svcreg.source;

import io.svcreg.schema.Cidr;
import io.svcreg.schema.Ipv4;
import io.svcreg.schema.Network;
import io.svcreg.schema.NetworkType;
import io.svcreg.schema.WireGuard;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Which declared networks this host is attached to (CONTRACT section 6): {@code local} always;
 * {@code lan} when an interface that is up has an IPv4 address in the subnet; {@code wireguard}
 * when such an interface exists or the network's {@code spec.wireguard.configPath} does. {@link
 * #compare} turns two detections into the changes to report.
 */
public final class HostTopology {

  private HostTopology() {}

  /** Detects this host's attachment to each network, from its interfaces and files. */
  public static Map<String, Attachment> detect(List<Network> networks) {
    return detect(networks, HostInterface.list(), p -> Files.exists(p));
  }

  /**
   * Detects attachments from a list of interfaces and a test for files; keyed and ordered by
   * network name.
   */
  public static Map<String, Attachment> detect(
      List<Network> networks, List<HostInterface> interfaces, Predicate<Path> exists) {
    Map<String, Attachment> out = new TreeMap<>();
    for (Network n : networks) {
      out.put(n.name(), attachment(n, interfaces, exists));
    }
    return Collections.unmodifiableMap(out);
  }

  /**
   * The changes from {@code before} to {@code after}, by network name: attached or detached,
   * another interface, address or config file, or a network declared or no longer declared.
   */
  public static List<TopologyChange> compare(
      Map<String, Attachment> before, Map<String, Attachment> after) {
    TreeSet<String> names = new TreeSet<>(before.keySet());
    names.addAll(after.keySet());
    List<TopologyChange> out = new ArrayList<>();
    for (String name : names) {
      Optional<Attachment> b = Optional.ofNullable(before.get(name));
      Optional<Attachment> a = Optional.ofNullable(after.get(name));
      if (!Objects.equals(b, a)) {
        out.add(new TopologyChange(name, b, a));
      }
    }
    return List.copyOf(out);
  }

  private static Attachment attachment(
      Network n, List<HostInterface> interfaces, Predicate<Path> exists) {
    NetworkType type = n.spec().type();
    Cidr subnet = n.spec().subnet();
    Optional<String> iface = Optional.empty();
    Optional<Ipv4> address = Optional.empty();
    search:
    for (HostInterface i : interfaces) {
      if (!i.up()) {
        continue;
      }
      for (Ipv4 ip : i.addresses()) {
        if (subnet.contains(ip)) {
          iface = Optional.of(i.name());
          address = Optional.of(ip);
          break search;
        }
      }
    }
    Optional<String> config = Optional.empty();
    if (type == NetworkType.WIREGUARD) {
      Optional<String> path = n.spec().wireguard().map(WireGuard::configPath);
      if (path.isPresent() && exists(path.get(), exists)) {
        config = path;
      }
    }
    boolean attached =
        switch (type) {
          case LOCAL -> true;
          case LAN -> iface.isPresent();
          case WIREGUARD -> iface.isPresent() || config.isPresent();
        };
    return new Attachment(n.name(), type, attached, iface, address, config);
  }

  private static boolean exists(String path, Predicate<Path> exists) {
    try {
      return exists.test(expand(path));
    } catch (InvalidPathException e) {
      return false;
    }
  }

  /** A config path with a leading {@code ~/} taken from the user's home directory. */
  static Path expand(String path) {
    if (path.equals("~") || path.startsWith("~/")) {
      return Path.of(System.getProperty("user.home") + path.substring(1));
    }
    return Path.of(path);
  }
}
