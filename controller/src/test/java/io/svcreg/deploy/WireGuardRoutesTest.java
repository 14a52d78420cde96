package io.svcreg.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.schema.Cidr;
import io.svcreg.schema.Ipv4;
import org.junit.jupiter.api.Test;

class WireGuardRoutesTest {

  private static final String OUT =
      """
      1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
      2: eth0    inet 192.168.1.5/24 brd 192.168.1.255 scope global eth0\\       valid_lft forever
      7: wg0    inet 10.100.0.1/24 scope global wg0\\       valid_lft forever preferred_lft forever
      ---wg---
      wg0\tcHJpdmF0ZQ==\tSE9TVA==\t51820\toff
      wg0\tTk9ERTE=\t(none)\t192.168.1.10:51820\t10.100.0.10/32,10.100.0.2/32\t0\t0\t0\toff
      wg0\tSFVC\t(none)\t192.168.1.1:51820\t10.100.0.0/24\t0\t0\t0\toff
      wg0\tTEFQVE9Q\t(none)\t(none)\t(none)\t0\t0\t0\toff
      wg9\tb3RoZXI=\tT1RIRVI=\t51821\toff
      """;

  @Test
  void parse_theInterfaceHoldingTheSubnet_withItsKeyAndPeers() {
    WireGuardRoutes.Interface wg =
        WireGuardRoutes.parse(OUT, Cidr.of("10.100.0.0/24")).orElseThrow();

    assertThat(wg.device()).isEqualTo("wg0");
    assertThat(wg.publicKey()).isEqualTo("SE9TVA==");
    assertThat(wg.peers()).containsOnlyKeys("Tk9ERTE=", "SFVC", "TEFQVE9Q");
    assertThat(wg.peers().get("Tk9ERTE="))
        .containsExactlyInAnyOrder("10.100.0.10/32", "10.100.0.2/32");
    assertThat(wg.peers().get("TEFQVE9Q")).isEmpty();
  }

  @Test
  void peerOf_theLongestPrefixThatContainsTheAddress() {
    WireGuardRoutes.Interface wg =
        WireGuardRoutes.parse(OUT, Cidr.of("10.100.0.0/24")).orElseThrow();

    assertThat(wg.peerOf(Ipv4.of("10.100.0.2"))).contains("Tk9ERTE=");
    assertThat(wg.peerOf(Ipv4.of("10.100.0.3"))).as("the hub's /24").contains("SFVC");
    assertThat(wg.peerOf(Ipv4.of("10.200.0.3"))).isEmpty();
  }

  @Test
  void parse_noInterfaceInTheSubnet_orNotAWireGuardOne_empty() {
    assertThat(WireGuardRoutes.parse(OUT, Cidr.of("10.9.0.0/24"))).isEmpty();
    assertThat(WireGuardRoutes.parse(OUT, Cidr.of("192.168.1.0/24"))).as("eth0").isEmpty();
    assertThat(WireGuardRoutes.parse("", Cidr.of("10.100.0.0/24"))).isEmpty();
  }

  @Test
  void allowScript_setsThePeersWholeList_quoted() {
    assertThat(
            WireGuardRoutes.allowScript(
                "wg0", "Tk9ERTE=", java.util.List.of("10.100.0.10/32", "10.100.0.2/32")))
        .isEqualTo("wg set 'wg0' peer 'Tk9ERTE=' allowed-ips '10.100.0.10/32,10.100.0.2/32'\n");
  }
}
