package io.svcreg.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.ControllerApp;
import io.svcreg.Waits;
import io.svcreg.core.ObservedService;
import io.svcreg.core.rollout.Ledger;
import io.svcreg.loop.AddressedWeb;
import io.svcreg.loop.Rig;
import io.svcreg.schema.Cidr;
import io.svcreg.schema.HealthState;
import io.svcreg.schema.Ipv4;
import io.svcreg.schema.Phase;
import io.svcreg.store.Event;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node reboots under a running controller, on a {@code lan} network whose subnet is the nodes'
 * own, with two services that bind their addresses (configured on the node's {@code eth0}; a boot
 * takes them away): the {@code systemd} one comes back by itself with its address (its unit
 * configures it) and is adopted, the {@code managed_process} one is found gone and started again
 * after the controller configured its address again; both answer this host at their addresses
 * again, and nothing is installed again.
 */
class NodeRebootIT {

  private static final Duration LONG = Duration.ofSeconds(90);
  private static final int PORT = AddressedWeb.PORT;

  /** How long the node takes to shut down (within {@code docker restart}'s grace period). */
  private static final int SHUTDOWN_SECONDS = 6;

  /**
   * An HTTP server on {@code SERVICE_IP:SERVICE_PORT_HTTP} that answers its {@code SERVICE_NAME}
   * (perl: the node image has no python); it fails to start where that address is not configured.
   */
  private static final String SERVER =
      """
      use IO::Socket::INET;
      my $s = IO::Socket::INET->new(LocalAddr => $ENV{SERVICE_IP},
          LocalPort => $ENV{SERVICE_PORT_HTTP}, Listen => 16, ReuseAddr => 1)
        or die "cannot listen on $ENV{SERVICE_IP}:$ENV{SERVICE_PORT_HTTP}: $@\\n";
      while (my $c = $s->accept) {
        <$c>;
        print $c "HTTP/1.0 200 OK\\r\\nContent-Type: text/plain\\r\\n\\r\\n$ENV{SERVICE_NAME}\\n";
        close $c;
      }
      """;

  /** Passes when the server answers at its address (from the node). */
  private static final String ASKS_ITSELF =
      "exec 3<>\"/dev/tcp/$SERVICE_IP/$SERVICE_PORT_HTTP\" || exit 1\n"
          + "printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3\n"
          + "grep -q \"^$SERVICE_NAME\\$\" <&3";

  @TempDir Path tmp;
  private Fleet fleet;

  @BeforeEach
  void openFleet() {
    fleet = Fleet.open(tmp);
  }

  @AfterEach
  void closeFleet() {
    if (fleet != null) {
      fleet.close();
    }
  }

  @Test
  void nodeReboots_addressesConfiguredAgain_unitAdoptedProcessRestarted_nothingReinstalled() {
    NodeContainer node = fleet.start("node-0");
    String installRoot = Fleet.installRoot();
    try (Rig rig = new Rig(tmp.resolve("rig"))) {
      server(rig, "web-mp");
      server(rig, "web-sd");
      rig.write(
          "all.yaml",
          fleet.network(installRoot, node),
          Fleet.service("web-mp", "web-mp-1", node.name(), "managed_process", PORT),
          Fleet.service("web-sd", "web-sd-1", node.name(), "systemd", PORT));
      ControllerApp app = rig.start();
      Ipv4 mp =
          rig.await(LONG, "web-mp", "running and healthy", healthy())
              .status()
              .address()
              .orElseThrow();
      Ipv4 sd =
          rig.await(LONG, "web-sd", "running and healthy", healthy())
              .status()
              .address()
              .orElseThrow();
      // addresses of the network's subnet, on the node's eth0, answered to this host
      assertThat(List.of(mp, sd)).allMatch(Cidr.of(fleet.lan().subnet())::contains);
      String mpAddress = mp.toString();
      String sdAddress = sd.toString();
      assertThat(eth0(node)).contains(mpAddress + "/24", sdAddress + "/24");
      assertThat(get(mpAddress)).contains("web-mp");
      assertThat(get(sdAddress)).contains("web-sd");
      Map<String, String> installed =
          Map.of(
              "web-mp", installed(node, installRoot, "web-mp"),
              "web-sd", installed(node, installRoot, "web-sd"));
      long revision = app.store().lastRevision();
      // the node takes a few seconds to shut down, with sshd answering till the end: the
      // controller looks at it while systemd stops its services (NodeNotReady, not a crash)
      slowToStop(node);

      node.restart();
      Waits.atMost(LONG)
          .alias("both services answer this host at their addresses after the boot")
          .pollInterval(Duration.ofMillis(200))
          .until(() -> get(mpAddress).contains("web-mp") && get(sdAddress).contains("web-sd"));
      rig.await(LONG, "web-mp", "running and healthy after the boot", healthy());
      String mainPid = show(node, "svcreg-web-sd.service", "MainPID");
      rig.await(
          LONG,
          "web-sd",
          "running and healthy as systemd's main pid " + mainPid,
          healthy().and(o -> o.status().pid().orElse(0L).toString().equals(mainPid)));

      assertThat(eth0(node)).contains(mpAddress + "/24", sdAddress + "/24");
      // the unit was started by systemd and adopted: no crash, no start by the controller
      Ledger sdLedger = app.store().ledger("web-sd").orElseThrow();
      assertThat(sdLedger.crashes()).as("crashes of web-sd").isEmpty();
      assertThat(rig.eventValues(revision, Event.SERVICE_STATE_CHANGED, "web-sd", "to"))
          .doesNotContain("starting");
      // the managed process was found gone and started again by the controller
      Ledger mpLedger = app.store().ledger("web-mp").orElseThrow();
      assertThat(mpLedger.crashes()).as("crashes of web-mp").hasSize(1);
      assertThat(rig.eventValues(revision, Event.SERVICE_STATE_CHANGED, "web-mp", "to"))
          .contains("starting", "running");
      long mpPid = rig.find("web-mp").flatMap(o -> o.status().pid()).orElseThrow();
      assertThat(node.exec("cat", "/proc/" + mpPid + "/cmdline").stdout()).contains("serve.pl");
      // nothing installed again
      assertThat(rig.eventValues(revision, Event.DEPLOYMENT_PROGRESS, "web-sd", "phase")).isEmpty();
      assertThat(rig.eventValues(revision, Event.DEPLOYMENT_PROGRESS, "web-mp", "phase"))
          .containsOnly("start");
      assertThat(installed(node, installRoot, "web-mp")).isEqualTo(installed.get("web-mp"));
      assertThat(installed(node, installRoot, "web-sd")).isEqualTo(installed.get("web-sd"));
    }
  }

  // ------------------------------------------------------------------ helpers

  /** Writes the package {@code NAME-1} of the {@link #SERVER} as service {@code name}. */
  private static void server(Rig rig, String name) {
    Path p = rig.light(name + "-1", name, "1", ASKS_ITSELF, "exec perl bin/serve.pl");
    try {
      Files.createDirectories(p.resolve("bin"));
      Files.writeString(p.resolve("bin/serve.pl"), SERVER);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Predicate<ObservedService> healthy() {
    return o ->
        o.status().phase() == Phase.RUNNING && o.status().health().state() == HealthState.PASSING;
  }

  /**
   * Installs and starts a unit on the node that takes {@value #SHUTDOWN_SECONDS} s to stop and is
   * ordered after sshd, which therefore stops only after it: a node with something slow to stop.
   */
  private static void slowToStop(NodeContainer node) {
    node.execOk(
        "sh",
        "-c",
        "printf '[Unit]\\nAfter=ssh.service\\n[Service]\\nExecStart=/bin/sleep infinity\\n"
            + "ExecStop=/bin/sleep "
            + SHUTDOWN_SECONDS
            + "\\n[Install]\\nWantedBy=multi-user.target\\n'"
            + " >/etc/systemd/system/slow-stop.service"
            + " && systemctl daemon-reload && systemctl enable --now --quiet slow-stop.service");
  }

  private static String eth0(NodeContainer node) {
    return node.execOk("ip", "-4", "-o", "addr", "show", "dev", "eth0").stdout();
  }

  /**
   * The inode of the service's version 1 directory on the node and its install marker, without the
   * time of the last start (which a start records there).
   */
  private static String installed(NodeContainer node, String installRoot, String service) {
    String home = installRoot + "/" + service + "-1";
    return node.execOk(
            "sh",
            "-c",
            "stat -c %i \"$1\"; grep -v '^startedAt=' \"$1/.svcreg-install\"",
            "sh",
            home)
        .stdout();
  }

  private static String show(NodeContainer node, String unit, String property) {
    return node.exec("systemctl", "show", "-p", property, "--value", unit).stdout().trim();
  }

  /** The body of {@code GET /} at {@code address}, or what went wrong. */
  private static String get(String address) {
    try {
      return AddressedWeb.fetch(address).body();
    } catch (IOException e) {
      return "failed: " + e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
