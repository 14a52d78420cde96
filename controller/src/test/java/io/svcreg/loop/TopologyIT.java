package io.svcreg.loop;

import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.Waits;
import io.svcreg.store.Event;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host's topology as it changes while the controller runs: a WireGuard interface (userspace,
 * Debian's {@code wireguard-go}) that comes up with an address in a declared {@code wireguard}
 * network's subnet is reported as {@code network_topology_changed} within seconds, long before the
 * next resync; and again when it goes away. The interface is this test's own (a test-only subnet,
 * 10.253.N.0/24); it is removed at the end.
 */
class TopologyIT {

  @TempDir Path tmp;

  private Rig rig;
  private String device;
  private String subnet;
  private String address;

  @BeforeEach
  void setUp() {
    rig = new Rig(tmp);
    // only the topology check notices the interface: the resync comes long after the test
    rig.options(rig.options().withResyncInterval(Duration.ofMinutes(5)));
    ThreadLocalRandom r = ThreadLocalRandom.current();
    device = "svtwg" + Integer.toHexString(r.nextInt(0x1000, 0xffff));
    int n = r.nextInt(1, 255);
    subnet = "10.253." + n + ".0/24";
    address = "10.253." + n + ".1";
  }

  @AfterEach
  void tearDown() {
    try {
      rig.close();
    } finally {
      Commands.runQuietly("ip", "link", "del", device);
    }
  }

  @Test
  void wireguardInterface_comesUpWhileRunning_reportedWithinSecondsAndWhenItGoes() {
    rig.write(
        "wg.yaml",
        "apiVersion: svcreg.io/v1\nkind: Network\nmetadata: {name: mesh}\nspec:\n"
            + "  type: wireguard\n  subnet: "
            + subnet
            + "\n  wireguard: {configPath: "
            + tmp.resolve("absent-wg0.conf")
            + "}\n");
    rig.start();
    rig.awaitIdle(Duration.ofSeconds(30));
    assertThat(rig.app().store().network("mesh"))
        .hasValueSatisfying(n -> assertThat(n.status().attached()).isFalse());
    long before = rig.app().store().lastRevision();

    // a WireGuard interface comes up on this host, with an address in the network's subnet
    Commands.run("wireguard-go", device);
    Commands.run("ip", "addr", "add", address + "/24", "dev", device);
    Commands.run("ip", "link", "set", device, "up");

    long began = System.nanoTime();
    Event attached = awaitTopologyEvent(before, "\"attached\":true");
    assertThat(Duration.ofNanos(System.nanoTime() - began))
        .as("reported within seconds, not at the next resync")
        .isLessThan(Duration.ofSeconds(15));
    assertThat(attached.key()).isEqualTo("Network/mesh");
    assertThat(attached.dataJson()).contains(device);
    Waits.atMost(Duration.ofSeconds(15))
        .until(
            () -> rig.app().store().network("mesh").map(n -> n.status().attached()).orElse(false));

    Commands.run("ip", "link", "del", device);
    awaitTopologyEvent(attached.revision(), "\"attached\":false");
  }

  private Event awaitTopologyEvent(long after, String text) {
    Waits.atMost(Duration.ofSeconds(15))
        .alias("network_topology_changed with " + text)
        .until(() -> topologyEvents(after).stream().anyMatch(e -> e.dataJson().contains(text)));
    return topologyEvents(after).stream()
        .filter(e -> e.dataJson().contains(text))
        .findFirst()
        .orElseThrow();
  }

  private List<Event> topologyEvents(long after) {
    return rig.eventsAfter(after).stream()
        .filter(e -> e.type().equals("network_topology_changed"))
        .toList();
  }
}
