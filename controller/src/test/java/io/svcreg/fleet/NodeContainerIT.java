package io.svcreg.fleet;

import static io.svcreg.fleet.NodeRig.pidNamespace;
import static io.svcreg.fleet.NodeRig.sleepers;
import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.Waits;
import io.svcreg.deploy.ssh.OpenSshd;
import io.svcreg.loop.Rig;
import io.svcreg.schema.HealthState;
import io.svcreg.schema.Phase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The container test nodes are separate hosts: own address, file system and process table with
 * systemd as PID 1; a reboot keeps the host key and loses what lived in memory, a rebuild gets a
 * new host key; a frozen or unplugged node lets SSH time out and answers again when it is back; and
 * the controller deploys a service to one over SSH, where it runs and whence it is removed.
 */
class NodeContainerIT {

  private static final Duration SSH_TIMEOUT = Duration.ofSeconds(2);
  private static final Duration LONG = Duration.ofSeconds(60);

  @TempDir Path tmp;
  private Path key;
  private NodeLan lan;

  @BeforeEach
  void setUp() {
    key = tmp.resolve("id_ed25519");
    OpenSshd.keygen(key);
    lan = NodeLan.open();
  }

  @AfterEach
  void tearDown() {
    if (lan != null) {
      lan.close();
    }
  }

  private Path pub() {
    return Path.of(key + ".pub");
  }

  private Path knownHosts(NodeContainer n) {
    return n.writeKnownHosts(tmp.resolve("known_hosts-" + n.name()));
  }

  @Test
  void twoNodes_started_ownAddressFileSystemAndSystemdAsPid1() {
    NodeContainer a = lan.start("node-a", pub());
    NodeContainer b = lan.start("node-b", pub());

    assertThat(a.address()).isNotEqualTo(b.address());
    assertThat(a.exec("cat", "/proc/1/comm").stdout().trim()).isEqualTo("systemd");
    assertThat(b.exec("cat", "/proc/1/comm").stdout().trim()).isEqualTo("systemd");
    assertThat(a.exec("hostname").stdout().trim()).isEqualTo("node-a");
    assertThat(a.exec("ip", "-4", "-o", "addr", "show").stdout()).contains(a.address() + "/24");

    a.execOk("sh", "-c", "echo only-on-a >/root/marker");
    assertThat(a.exec("cat", "/root/marker").stdout()).isEqualTo("only-on-a\n");
    assertThat(b.exec("test", "-e", "/root/marker").exitCode()).isEqualTo(1);
    assertThat(a.hostKeyFingerprint()).isNotEqualTo(b.hostKeyFingerprint());

    // root logs in over SSH with the test's key, checked against the node's own host keys
    NodeContainer.Exec viaSsh = a.ssh(key, knownHosts(a), SSH_TIMEOUT, "hostname");
    assertThat(viaSsh.exitCode()).as(viaSsh.stderr()).isZero();
    assertThat(viaSsh.stdout().trim()).isEqualTo("node-a");
  }

  @Test
  void restartAndKill_secondaryAddressLost_addressAndHostKeyKept() {
    NodeContainer n = lan.start("node-r", pub());
    String secondary = lan.address(200);
    n.execOk("ip", "addr", "add", secondary + "/24", "dev", "eth0");
    assertThat(NodeContainer.sshAnswers(secondary, SSH_TIMEOUT))
        .as("sshd answers on the secondary address")
        .isTrue();
    String fingerprint = n.hostKeyFingerprint();

    n.restart();

    assertThat(n.exec("ip", "-4", "-o", "addr", "show").stdout())
        .contains(n.address() + "/24")
        .doesNotContain(secondary);
    assertThat(NodeContainer.sshAnswers(secondary, SSH_TIMEOUT)).isFalse();
    assertThat(n.hostKeyFingerprint()).isEqualTo(fingerprint);
    assertThat(n.exec("systemctl", "is-active", "ssh").stdout().trim()).isEqualTo("active");

    n.kill();
    assertThat(n.sshAnswers(SSH_TIMEOUT)).isFalse();
    n.start();
    assertThat(n.hostKeyFingerprint()).isEqualTo(fingerprint);
    assertThat(n.sshAnswers(SSH_TIMEOUT)).isTrue();
  }

  @Test
  void givenHostKey_rebuild_sameAddressNewHostKey() {
    Path hostKey = tmp.resolve("host_ed25519");
    OpenSshd.keygen(hostKey);
    String given = fingerprintOf(Path.of(hostKey + ".pub"));
    NodeContainer n = lan.start("node-k", pub(), hostKey);
    assertThat(n.hostKeyFingerprint()).isEqualTo(given);
    Path known = knownHosts(n);
    n.execOk("touch", "/root/before-rebuild");
    String oldContainer = n.containerId();
    String address = n.address();

    n.rebuild();

    assertThat(n.containerId()).isNotEqualTo(oldContainer);
    assertThat(n.address()).isEqualTo(address);
    assertThat(n.exec("ip", "-4", "-o", "addr", "show").stdout()).contains(address + "/24");
    assertThat(n.hostKeyFingerprint()).isNotEqualTo(given);
    assertThat(n.exec("test", "-e", "/root/before-rebuild").exitCode()).isEqualTo(1);
    NodeContainer.Exec stale = n.ssh(key, known, SSH_TIMEOUT, "true");
    assertThat(stale.exitCode()).isEqualTo(255);
    assertThat(stale.stderr()).contains("Host key verification failed");
  }

  private static String fingerprintOf(Path pub) {
    try {
      Process p =
          new ProcessBuilder("ssh-keygen", "-l", "-E", "sha256", "-f", pub.toString()).start();
      String out = new String(p.getInputStream().readAllBytes());
      p.waitFor();
      return out.split(" ")[1];
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Test
  void pauseAndDisconnect_sshTimesOut_unpauseAndReconnect_answersAgain() {
    NodeContainer n = lan.start("node-p", pub());
    Path known = knownHosts(n);
    assertThat(n.ssh(key, known, SSH_TIMEOUT, "true").exitCode()).isZero();

    n.pause();
    NodeContainer.Exec paused = n.ssh(key, known, SSH_TIMEOUT, "true");
    assertThat(paused.exitCode()).isEqualTo(255);
    assertThat(paused.stderr()).contains("timed out");
    n.unpause();
    assertThat(n.ssh(key, known, SSH_TIMEOUT, "true").exitCode()).isZero();

    n.disconnect();
    NodeContainer.Exec unplugged = n.ssh(key, known, SSH_TIMEOUT, "true");
    assertThat(unplugged.exitCode()).isEqualTo(255);
    assertThat(unplugged.stderr()).contains("timed out");
    n.reconnect();
    assertThat(n.exec("ip", "-4", "-o", "addr", "show").stdout()).contains(n.address() + "/24");
    NodeContainer.Exec back = n.ssh(key, known, SSH_TIMEOUT, "hostname");
    assertThat(back.exitCode()).as(back.stderr()).isZero();
    assertThat(back.stdout().trim()).isEqualTo("node-p");
  }

  // ------------------------------------------------------------------ through the controller

  @Test
  void controller_lanNodeIsContainer_serviceRunsOnTheNodeAndIsRemoved() throws IOException {
    NodeContainer n = lan.start("node-0", pub());
    // only the node's ed25519 key (as `ssh-keyscan -t ed25519` writes it), though the node has
    // ECDSA and RSA keys too: the controller asks for the key type it knows
    Path known = tmp.resolve("known_hosts");
    Files.writeString(
        known,
        n.knownHostsLines()
            .lines()
            .filter(l -> l.contains(" ssh-ed25519 "))
            .map(l -> l + "\n")
            .reduce("", String::concat));
    String installRoot = "/opt/svcreg-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
    // a number no other process on this host sleeps for: the service's process is findable
    String marker = Integer.toString(ThreadLocalRandom.current().nextInt(100_000_000, 999_999_999));
    String network = network(n, known, installRoot);

    try (Rig rig = new Rig(tmp.resolve("rig"))) {
      rig.light("tiny-1", "tiny", "1", Rig.HEALTHY, "exec sleep " + marker);
      rig.write("all.yaml", network, service());
      rig.start();
      long pid =
          rig.await(
                  LONG,
                  "tiny",
                  "running and healthy",
                  o ->
                      o.status().phase() == Phase.RUNNING
                          && o.status().health().state() == HealthState.PASSING)
              .status()
              .pid()
              .orElseThrow();

      // on the node: its files and its process, in the node's process table
      assertThat(n.exec("test", "-f", installRoot + "/tiny-1/.svcreg-install").exitCode()).isZero();
      assertThat(n.exec("cat", "/proc/" + pid + "/cmdline").stdout().replace('\0', ' ').trim())
          .isEqualTo("sleep " + marker);
      // not on the controller's host: no such files, and the only process that sleeps for the
      // marker lives in the node's PID namespace (the host's kernel sees it, under another pid)
      assertThat(Path.of(installRoot)).doesNotExist();
      List<Long> sleepers = sleepers(marker);
      assertThat(sleepers).hasSize(1);
      assertThat(pidNamespace(sleepers.get(0)))
          .isNotEqualTo(pidNamespace(ProcessHandle.current().pid()))
          .isEqualTo(pidNamespace(n.initPid()));

      // removed: stopped and uninstalled on the node
      rig.write("all.yaml", network);
      Waits.atMost(LONG)
          .alias("tiny is removed")
          .pollInterval(Duration.ofMillis(100))
          .until(() -> rig.find("tiny").isEmpty());
      assertThat(n.exec("pgrep", "-f", "sleep " + marker).exitCode()).isEqualTo(1);
      assertThat(n.exec("ls", "-A", installRoot).stdout()).isEmpty();
      assertThat(sleepers(marker)).isEmpty();
    }
  }

  private String network(NodeContainer n, Path known, String installRoot) {
    return "apiVersion: svcreg.io/v1\nkind: Network\nmetadata: {name: lan}\nspec:\n"
        + "  type: lan\n  subnet: "
        + lan.subnet()
        + "\n  reserved: ["
        + lan.gateway()
        + "]\n  nodes:\n    - name: node-0\n      address: "
        + n.address()
        + "\n      ssh: {user: root, port: 22, identityFile: "
        + key
        + ", knownHosts: "
        + known
        + "}\n      installRoot: "
        + installRoot
        + "\n";
  }

  private static String service() {
    return "apiVersion: svcreg.io/v1\nkind: Service\nmetadata: {name: tiny}\nspec:\n"
        + "  version: \"1\"\n  package: ../packages/tiny-1\n  network: lan\n  node: node-0\n"
        + "  endpoints: [{name: http, port: 9000}]\n"
        + "  health: {script: scripts/health.sh, interval: 1s, timeout: 2s, failureThreshold: 2}\n";
  }
}
