package io.svcreg.loop;

import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.Waits;
import io.svcreg.deploy.ssh.OpenSshd;
import io.svcreg.schema.Ipv4;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code wireguard} network between this host and a node with a network stack of its own (a
 * network namespace behind a veth pair, the underlay), each with a userspace WireGuard interface
 * (Debian's {@code wireguard-go} and {@code wg}) on a test-only overlay subnet; the controller
 * reaches the node's sshd through the tunnel. A service's address goes on the node's WireGuard
 * interface, and this host's peer entry for the node gets it in its {@code AllowedIPs}, so this
 * host reaches the service at its address; set again when this host's interface lost it; taken out
 * when the service is removed.
 */
class WireGuardIT {

  private static final Duration CONVERGE = Duration.ofSeconds(60);

  @TempDir Path tmp;

  private Rig rig;
  private Netns node;
  private OpenSshd sshd;
  private String hostDevice;
  private String nodeDevice;
  private String subnet;
  private String hostAddress;
  private String nodeAddress;
  private String nodeKey;

  @BeforeEach
  void setUp() throws IOException {
    node = Netns.create();
    ThreadLocalRandom r = ThreadLocalRandom.current();
    String tag = Integer.toHexString(r.nextInt(0x1000, 0xffff));
    hostDevice = "svwgh" + tag;
    nodeDevice = "svwgn" + tag;
    int n;
    do {
      n = r.nextInt(1, 255);
    } while (node.subnet.equals("10.253." + n + ".0/24")
        || !Commands.run("ip", "-o", "-4", "addr", "show", "to", "10.253." + n + ".0/24")
            .isBlank());
    subnet = "10.253." + n + ".0/24";
    hostAddress = "10.253." + n + ".1";
    nodeAddress = "10.253." + n + ".10";
    int hostPort = r.nextInt(40000, 50000);
    int nodePort = hostPort + 1;

    Path hostPrivate = key(tmp.resolve("host.key"));
    Path nodePrivate = key(tmp.resolve("node.key"));
    String hostKey = publicKey(hostPrivate);
    nodeKey = publicKey(nodePrivate);

    // this host: a peer for the node, routing only the node's own overlay address
    Commands.run("wireguard-go", hostDevice);
    Commands.run(
        "wg",
        "set",
        hostDevice,
        "listen-port",
        "" + hostPort,
        "private-key",
        "" + hostPrivate,
        "peer",
        nodeKey,
        "endpoint",
        node.address + ":" + nodePort,
        "allowed-ips",
        nodeAddress + "/32");
    Commands.run("ip", "addr", "add", hostAddress + "/24", "dev", hostDevice);
    Commands.run("ip", "link", "set", hostDevice, "up");
    // the node: a peer for this host, routing only this host's overlay address
    node.exec("wireguard-go", nodeDevice);
    node.exec(
        "wg",
        "set",
        nodeDevice,
        "listen-port",
        "" + nodePort,
        "private-key",
        "" + nodePrivate,
        "peer",
        hostKey,
        "endpoint",
        node.hostAddress + ":" + hostPort,
        "allowed-ips",
        hostAddress + "/32");
    node.exec("ip", "addr", "add", nodeAddress + "/24", "dev", nodeDevice);
    node.exec("ip", "link", "set", nodeDevice, "up");
    // sshd listens on the node's overlay address: the controller reaches it through the tunnel
    sshd =
        OpenSshd.startIn(node.name, nodeAddress, tmp.resolve("sshd"), tmp.resolve("id_ed25519"))
            .trusted();

    rig = new Rig(tmp.resolve("rig"));
    // the test asks for the resync that sets peers again
    rig.options(rig.options().withResyncInterval(Duration.ofMinutes(5)));
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
        if (sshd != null) {
          sshd.close();
        }
      } finally {
        try {
          node.close(); // kills the node's wireguard-go, which takes its interface along
        } finally {
          Commands.runQuietly("ip", "link", "del", hostDevice);
        }
      }
    }
  }

  private String network() {
    return "apiVersion: svcreg.io/v1\nkind: Network\nmetadata: {name: mesh}\nspec:\n"
        + "  type: wireguard\n  subnet: "
        + subnet
        + "\n  reserved: ["
        + hostAddress
        + "]\n  wireguard: {configPath: "
        + tmp.resolve("absent-wg0.conf")
        + "}\n"
        + AddressedWeb.node(nodeAddress, sshd, tmp.resolve("node-opt"));
  }

  @Test
  void wireguardService_addressOnTheNodesInterface_routedByThisHostsPeer_reachable()
      throws Exception {
    String address = subnet.replace(".0/24", ".2");
    rig.write("mesh.yaml", network(), AddressedWeb.spec("mesh", "n1"));
    rig.start();

    rig.awaitRunning(CONVERGE, "web");
    assertThat(rig.service("web").status().address()).contains(Ipv4.of(address));
    assertThat(node.exec("ip", "-o", "-4", "addr", "show", "dev", nodeDevice))
        .as("on the node's WireGuard interface, with the subnet's prefix")
        .contains(address + "/24");
    assertThat(allowedIps()).as("this host's peer for the node").contains(address + "/32");
    assertThat(AddressedWeb.get(address))
        .as("this host reaches the service at its address")
        .isEqualTo(200);

    // this host's interface is set up again from its configuration: the service does not answer
    // until the network's next reconcile routes its address again
    Commands.run("wg", "set", hostDevice, "peer", nodeKey, "allowed-ips", nodeAddress + "/32");
    assertThat(AddressedWeb.answers(address)).as("not routed, not reached").isFalse();
    rig.app().controller().resync();
    Waits.atMost(CONVERGE)
        .alias("the node's peer routing the service address again")
        .until(() -> allowedIps().contains(address + "/32") && AddressedWeb.answers(address));

    // removed: the address is taken off the node and out of this host's peer
    rig.write("mesh.yaml", network());
    Waits.atMost(CONVERGE)
        .alias("web removed")
        .until(() -> rig.find("web").isEmpty() && rig.app().store().leases("web").isEmpty());
    assertThat(allowedIps()).containsExactly(nodeAddress + "/32");
    assertThat(node.exec("ip", "-o", "-4", "addr", "show", "dev", nodeDevice))
        .doesNotContain(address + "/24");
  }

  /** The {@code AllowedIPs} of this host's peer for the node. */
  private List<String> allowedIps() {
    List<String> out = new ArrayList<>();
    for (String line : Commands.run("wg", "show", hostDevice, "allowed-ips").split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length > 1 && f[0].equals(nodeKey)) {
        for (int i = 1; i < f.length; i++) {
          if (!f[i].equals("(none)")) {
            out.add(f[i]);
          }
        }
      }
    }
    return out;
  }

  private static Path key(Path file) throws IOException {
    Files.writeString(file, Commands.run("wg", "genkey"));
    return file;
  }

  private static String publicKey(Path privateKey) {
    try {
      Process p = new ProcessBuilder("wg", "pubkey").redirectInput(privateKey.toFile()).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("wg pubkey failed");
      }
      return out;
    } catch (IOException e) {
      throw new IllegalStateException("wg pubkey: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
