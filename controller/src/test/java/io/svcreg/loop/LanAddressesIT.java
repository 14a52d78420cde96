package io.svcreg.loop;

import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.Waits;
import io.svcreg.deploy.ssh.OpenSshd;
import io.svcreg.schema.Ipv4;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
  private static final int PORT = 8080;

  @TempDir Path tmp;

  private Rig rig;
  private Netns node;
  private OpenSshd sshd;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @BeforeEach
  void setUp() {
    node = Netns.create();
    sshd =
        OpenSshd.startIn(node.name, node.address, tmp.resolve("sshd"), tmp.resolve("id_ed25519"))
            .trusted();
    rig = new Rig(tmp.resolve("rig"));
    // a server that binds its own address: it fails to start when the address is not on the node
    rig.light(
        "web-1",
        "web",
        "1.0.0",
        "exec /usr/bin/python3 -c \"import urllib.request, os;"
            + " urllib.request.urlopen('http://%s:%s/' % (os.environ['SERVICE_IP'],"
            + " os.environ['SERVICE_PORT_HTTP']), timeout=2)\"",
        "exec /usr/bin/python3 -m http.server --bind \"$SERVICE_IP\" \"$SERVICE_PORT_HTTP\"");
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
        + "]\n  nodes:\n    - name: n1\n      address: "
        + node.address
        + "\n      ssh: {user: root, port: "
        + sshd.port
        + ", identityFile: "
        + sshd.clientKey
        + ", knownHosts: "
        + sshd.knownHosts
        + "}\n      installRoot: "
        + tmp.resolve("node-opt")
        + "\n";
  }

  private static String web() {
    return "apiVersion: svcreg.io/v1\nkind: Service\nmetadata: {name: web}\nspec:\n"
        + "  version: \"1.0.0\"\n  package: ../packages/web-1\n  network: lan\n  node: n1\n"
        + "  endpoints: [{name: http, port: "
        + PORT
        + "}]\n"
        + "  health: {script: scripts/health.sh, interval: 1s, timeout: 3s, failureThreshold: 2}\n";
  }

  private int get(String address) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create("http://" + address + ":" + PORT + "/"))
                .timeout(Duration.ofSeconds(3))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return r.statusCode();
  }

  private boolean answers(String address) {
    try {
      return get(address) == 200;
    } catch (Exception e) {
      return false;
    }
  }

  @Test
  void lanService_nodeWithItsOwnNetwork_addressConfiguredThereReachableReappliedAndRemoved()
      throws Exception {
    String address = node.subnet.replace(".0/24", ".2");
    rig.write("lan.yaml", network(), web());
    rig.start();

    rig.awaitRunning(CONVERGE, "web");
    assertThat(rig.service("web").status().address()).contains(Ipv4.of(address));
    assertThat(node.addresses())
        .as("on the node's interface, with the subnet's prefix")
        .contains(address + "/24");
    assertThat(get(address)).as("this host reaches the service at its address").isEqualTo(200);
    long pid = rig.pid("web");

    // the node loses the address (as at a reboot, for a process that outlives it): configured again
    node.exec("ip", "addr", "del", address + "/24", "dev", node.device);
    assertThat(node.addresses()).doesNotContain(address + "/24");
    Waits.atMost(CONVERGE)
        .alias("the address configured again on the node")
        .until(() -> node.addresses().contains(address + "/24") && answers(address));
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
