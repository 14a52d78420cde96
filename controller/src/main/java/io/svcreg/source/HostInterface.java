package io.svcreg.source;

import io.svcreg.core.SvcregException;
import io.svcreg.schema.Ipv4;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A network interface of this host: its name, whether it is up, and its IPv4 addresses.
 *
 * @param name the interface name, e.g. {@code eth0}, {@code wg0}, {@code lo}
 * @param up whether the interface is up
 * @param addresses its IPv4 addresses
 */
public record HostInterface(String name, boolean up, List<Ipv4> addresses) {

  public HostInterface {
    addresses = List.copyOf(addresses);
  }

  /** The interfaces of this host, as {@link NetworkInterface} lists them. */
  public static List<HostInterface> list() {
    List<HostInterface> out = new ArrayList<>();
    try {
      for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        List<Ipv4> v4 = new ArrayList<>();
        for (InetAddress a : Collections.list(ni.getInetAddresses())) {
          if (a instanceof Inet4Address) {
            byte[] b = a.getAddress();
            v4.add(
                new Ipv4(
                    ((b[0] & 0xff) << 24)
                        | ((b[1] & 0xff) << 16)
                        | ((b[2] & 0xff) << 8)
                        | (b[3] & 0xff)));
          }
        }
        boolean up;
        try {
          up = ni.isUp();
        } catch (SocketException e) {
          up = false;
        }
        out.add(new HostInterface(ni.getName(), up, v4));
      }
    } catch (SocketException e) {
      throw new SvcregException("cannot list this host's network interfaces: " + e.getMessage(), e);
    }
    out.sort((a, b) -> a.name().compareTo(b.name()));
    return out;
  }
}
