package io.svcreg.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.schema.Cidr;
import io.svcreg.schema.Ipv4;
import io.svcreg.schema.Location;
import io.svcreg.schema.Metadata;
import io.svcreg.schema.Network;
import io.svcreg.schema.NetworkSpec;
import io.svcreg.schema.NetworkType;
import io.svcreg.schema.WireGuard;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** Attachment rules and the change list, on fake interface lists and files. */
class HostTopologyTest {

  private static final HostInterface LO =
      new HostInterface("lo", true, List.of(Ipv4.of("127.0.0.1")));
  private static final HostInterface ETH =
      new HostInterface("eth0", true, List.of(Ipv4.of("192.168.1.5")));
  private static final HostInterface WG =
      new HostInterface("wg0", true, List.of(Ipv4.of("10.8.0.2")));
  private static final Predicate<Path> NO_FILES = p -> false;

  private static Network net(String name, NetworkType type, String subnet) {
    return net(name, type, subnet, Optional.empty());
  }

  private static Network net(String name, NetworkType type, String subnet, Optional<WireGuard> wg) {
    return Network.of(
        Metadata.named(name),
        new NetworkSpec(type, Cidr.of(subnet), List.of(), List.of(), wg),
        Location.ofFile(name + ".yaml"));
  }

  private static Network wireguard() {
    return net(
        "mesh",
        NetworkType.WIREGUARD,
        "10.8.0.0/24",
        Optional.of(new WireGuard("/etc/wireguard/wg0.conf")));
  }

  private static Map<String, Attachment> detect(
      List<HostInterface> ifaces, Predicate<Path> files, Network... nets) {
    return HostTopology.detect(List.of(nets), ifaces, files);
  }

  @Test
  void detect_local_alwaysAttached() {
    Attachment a =
        detect(List.of(), NO_FILES, net("local", NetworkType.LOCAL, "127.0.0.0/8")).get("local");

    assertThat(a.attached()).isTrue();
    assertThat(a.iface()).isEmpty();
    assertThat(a.how()).isEqualTo("this host");
  }

  @Test
  void detect_lanWithAddressInSubnet_attachedViaThatInterface() {
    Attachment a =
        detect(List.of(LO, ETH), NO_FILES, net("office", NetworkType.LAN, "192.168.1.0/24"))
            .get("office");

    assertThat(a)
        .isEqualTo(
            new Attachment(
                "office",
                NetworkType.LAN,
                true,
                Optional.of("eth0"),
                Optional.of(Ipv4.of("192.168.1.5")),
                Optional.empty()));
    assertThat(a.how()).isEqualTo("interface eth0 (192.168.1.5)");
  }

  @Test
  void detect_lanWithoutAddressInSubnet_notAttached() {
    Attachment a =
        detect(List.of(LO, ETH), NO_FILES, net("dc", NetworkType.LAN, "192.168.2.0/24")).get("dc");

    assertThat(a.attached()).isFalse();
    assertThat(a.how()).isEqualTo("not attached");
  }

  @Test
  void detect_interfaceDown_notAttached() {
    HostInterface down = new HostInterface("eth0", false, ETH.addresses());

    Attachment a =
        detect(List.of(down), NO_FILES, net("office", NetworkType.LAN, "192.168.1.0/24"))
            .get("office");

    assertThat(a.attached()).isFalse();
  }

  @Test
  void detect_wireguardConfigOnly_attachedViaConfig() {
    Attachment a =
        detect(List.of(LO), p -> p.equals(Path.of("/etc/wireguard/wg0.conf")), wireguard())
            .get("mesh");

    assertThat(a.attached()).isTrue();
    assertThat(a.configFile()).contains("/etc/wireguard/wg0.conf");
    assertThat(a.iface()).isEmpty();
  }

  @Test
  void detect_wireguardInterfaceOnly_attachedViaInterface() {
    Attachment a = detect(List.of(LO, WG), NO_FILES, wireguard()).get("mesh");

    assertThat(a.attached()).isTrue();
    assertThat(a.iface()).contains("wg0");
    assertThat(a.configFile()).isEmpty();
  }

  @Test
  void detect_wireguardNeither_notAttached() {
    assertThat(detect(List.of(LO, ETH), NO_FILES, wireguard()).get("mesh").attached()).isFalse();
  }

  @Test
  void detect_configPathWithTilde_fromHome() {
    Network n =
        net(
            "mesh",
            NetworkType.WIREGUARD,
            "10.8.0.0/24",
            Optional.of(new WireGuard("~/wg/wg0.conf")));
    Path expected = Path.of(System.getProperty("user.home"), "wg/wg0.conf");

    assertThat(detect(List.of(), expected::equals, n).get("mesh").attached()).isTrue();
  }

  @Test
  void compare_sameDetection_noChanges() {
    Map<String, Attachment> d =
        detect(List.of(ETH), NO_FILES, net("office", NetworkType.LAN, "192.168.1.0/24"));

    assertThat(HostTopology.compare(d, d)).isEmpty();
  }

  @Test
  void compare_interfaceAppears_attachedChange() {
    Network office = net("office", NetworkType.LAN, "192.168.1.0/24");
    Network local = net("local", NetworkType.LOCAL, "127.0.0.0/8");
    Map<String, Attachment> before = detect(List.of(LO), NO_FILES, office, local);
    Map<String, Attachment> after = detect(List.of(LO, ETH), NO_FILES, office, local);

    List<TopologyChange> changes = HostTopology.compare(before, after);

    assertThat(changes)
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.network()).isEqualTo("office");
              assertThat(c.attached()).isTrue();
              assertThat(c.before().orElseThrow().attached()).isFalse();
              assertThat(c.describe())
                  .isEqualTo("office: not attached -> interface eth0 (192.168.1.5)");
            });
  }

  @Test
  void compare_addressMoves_change() {
    Network office = net("office", NetworkType.LAN, "192.168.1.0/24");
    HostInterface moved = new HostInterface("eth1", true, ETH.addresses());

    List<TopologyChange> changes =
        HostTopology.compare(
            detect(List.of(ETH), NO_FILES, office), detect(List.of(moved), NO_FILES, office));

    assertThat(changes).singleElement().extracting(TopologyChange::attached).isEqualTo(true);
  }

  @Test
  void compare_networkDeclaredAndDropped_bothReported() {
    Network office = net("office", NetworkType.LAN, "192.168.1.0/24");
    Network local = net("local", NetworkType.LOCAL, "127.0.0.0/8");

    List<TopologyChange> changes =
        HostTopology.compare(
            detect(List.of(), NO_FILES, office), detect(List.of(), NO_FILES, local));

    assertThat(changes).extracting(TopologyChange::network).containsExactly("local", "office");
    assertThat(changes.get(0).before()).isEmpty();
    assertThat(changes.get(1).after()).isEmpty();
    assertThat(changes.get(1).describe()).isEqualTo("office: not attached -> not declared");
    assertThat(Set.copyOf(changes.stream().map(TopologyChange::attached).toList()))
        .containsExactlyInAnyOrder(true, false);
  }
}
