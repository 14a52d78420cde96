package io.svcreg.loop;

import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.Waits;
import io.svcreg.deploy.ssh.OpenSshd;
import io.svcreg.schema.Ipv4;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Addresses on a node with a network stack of its own (a network namespace behind a veth pair, with
 * sshd in it, on a test-only subnet): a LAN service's address is configured on the node's interface
 * that holds the subnet before it starts, so the service binds it and this host reaches it there;
 * configured again when the node lost it; removed when the service is removed.
 */
class LanAddressesIT {

  private static final Duration CONVERGE = Duration.ofSeconds(60);

  @TempDir Path tmp;

  private Rig rig;
  private Netns node;
  private OpenSshd sshd;

  @BeforeEach
  void setUp() {
    node = Netns.create();
    sshd =
        OpenSshd.startIn(node.name, node.address, tmp.resolve("sshd"), tmp.resolve("id_ed25519"))
            .trusted();
    rig = new Rig(tmp.resolve("rig"));
    AddressedWeb.write(rig);
  }

  @AfterEach
  void tearDown() {
    try {
      if (rig != null) {
        rig.close();
      }
    } finally {
      try {
        sshd.close();
      } finally {
        node.close();
      }
    }
  }

  private String network() {
    return "apiVersion: svcreg.io/v1\nkind: Network\nmetadata: {name: lan}\nspec:\n"
        + "  type: lan\n  subnet: "
        + node.subnet
        + "\n  reserved: ["
        + node.hostAddress
        + "]\n"
        + AddressedWeb.node(node.address, sshd, tmp.resolve("node-opt"));
  }

  @Test
  void lanService_nodeWithItsOwnNetwork_addressConfiguredThereReachableReappliedAndRemoved()
      throws Exception {
    String address = node.subnet.replace(".0/24", ".2");
    rig.write("lan.yaml", network(), AddressedWeb.spec("lan", "n1"));
    rig.start();

    rig.awaitRunning(CONVERGE, "web");
    assertThat(rig.service("web").status().address()).contains(Ipv4.of(address));
    assertThat(node.addresses())
        .as("on the node's interface, with the subnet's prefix")
        .contains(address + "/24");
    assertThat(AddressedWeb.get(address))
        .as("this host reaches the service at its address")
        .isEqualTo(200);
    long pid = rig.pid("web");

    // the node loses the address (as at a reboot, for a process that outlives it): configured again
    node.exec("ip", "addr", "del", address + "/24", "dev", node.device);
    assertThat(node.addresses()).doesNotContain(address + "/24");
    Waits.atMost(CONVERGE)
        .alias("the address configured again on the node")
        .until(() -> node.addresses().contains(address + "/24") && AddressedWeb.answers(address));
    assertThat(rig.service("web").status().pid()).as("the same process").contains(pid);

    // removed: the process stopped, the address taken off the node and given back
    rig.write("lan.yaml", network());
    Waits.atMost(CONVERGE)
        .alias("web removed")
        .until(() -> rig.find("web").isEmpty() && rig.app().store().leases("web").isEmpty());
    assertThat(node.addresses()).doesNotContain(address + "/24").contains(node.address + "/24");
    assertThat(Rig.alive(pid)).as("its process stopped").isFalse();
  }
}
