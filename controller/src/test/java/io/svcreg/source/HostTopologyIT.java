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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Detection on this host's real interfaces (nothing is contacted). */
class HostTopologyIT {

  @TempDir Path tmp;

  private static Network net(String name, NetworkType type, String subnet, Optional<WireGuard> wg) {
    return Network.of(
        Metadata.named(name),
        new NetworkSpec(type, Cidr.of(subnet), List.of(), List.of(), wg),
        Location.ofFile(name + ".yaml"));
  }

  @Test
  void list_thisHost_hasLoopbackUp() {
    assertThat(HostInterface.list())
        .anySatisfy(
            i -> {
              assertThat(i.up()).isTrue();
              assertThat(i.addresses()).contains(Ipv4.of("127.0.0.1"));
            });
  }

  /**
   * A documentation subnet (RFC 5737) that no interface of this host is in. Some sandboxes put
   * their own interface in 192.0.2.0/24, so the first one is not always free.
   */
  private static String freeTestNet() {
    List<Ipv4> mine = HostInterface.list().stream().flatMap(i -> i.addresses().stream()).toList();
    for (String subnet : List.of("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")) {
      Cidr c = Cidr.of(subnet);
      if (mine.stream().noneMatch(c::contains)) {
        return subnet;
      }
    }
    throw new AssertionError("this host has addresses in every TEST-NET: " + mine);
  }

  @Test
  void detect_thisHost_localAttachedViaLoopbackTestNetNot() {
    Map<String, Attachment> d =
        HostTopology.detect(
            List.of(
                net("local", NetworkType.LOCAL, "127.0.0.0/8", Optional.empty()),
                net("testnet", NetworkType.LAN, freeTestNet(), Optional.empty())));

    assertThat(d.get("local").attached()).isTrue();
    assertThat(d.get("local").address()).contains(Ipv4.of("127.0.0.1"));
    assertThat(d.get("testnet").attached()).isFalse();
  }

  @Test
  void detect_thisHost_lanOfEachInterfaceAddressAttachedViaIt() {
    for (HostInterface i : HostInterface.list()) {
      if (!i.up()) {
        continue;
      }
      for (Ipv4 ip : i.addresses()) {
        Network n = net("n", NetworkType.LAN, ip + "/32", Optional.empty());

        Attachment a = HostTopology.detect(List.of(n)).get("n");

        assertThat(a.attached()).isTrue();
        assertThat(a.address()).contains(ip);
      }
    }
  }

  @Test
  void detect_wireguardConfigCreated_attachedAndReportedAsChange() throws Exception {
    Path conf = tmp.resolve("wg-test.conf");
    Network mesh =
        net(
            "mesh",
            NetworkType.WIREGUARD,
            freeTestNet(),
            Optional.of(new WireGuard(conf.toString())));
    Map<String, Attachment> before = HostTopology.detect(List.of(mesh));
    assertThat(before.get("mesh").attached()).isFalse();

    SpecFixtures.write(conf, "[Interface]\nPrivateKey = test\n");
    Map<String, Attachment> after = HostTopology.detect(List.of(mesh));

    assertThat(after.get("mesh").attached()).isTrue();
    assertThat(after.get("mesh").configFile()).contains(conf.toString());
    assertThat(HostTopology.compare(before, after))
        .singleElement()
        .extracting(TopologyChange::attached)
        .isEqualTo(true);
  }
}
