package io.svcreg.fleet;

import static io.svcreg.fleet.NodeRig.LONG;
import static io.svcreg.fleet.NodeRig.awaitRunning;
import static io.svcreg.fleet.NodeRig.blob;
import static io.svcreg.fleet.NodeRig.cmdline;
import static io.svcreg.fleet.NodeRig.degraded;
import static io.svcreg.fleet.NodeRig.events;
import static io.svcreg.fleet.NodeRig.eventsAfter;
import static io.svcreg.fleet.NodeRig.lastRevision;
import static io.svcreg.fleet.NodeRig.marker;
import static io.svcreg.fleet.NodeRig.pidNamespace;
import static io.svcreg.fleet.NodeRig.service;
import static io.svcreg.fleet.NodeRig.sleepers;
import static io.svcreg.fleet.NodeRig.values;
import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.ControllerApp;
import io.svcreg.Main;
import io.svcreg.core.ObservedService;
import io.svcreg.deploy.RunRecord;
import io.svcreg.loop.Rig;
import io.svcreg.schema.Condition;
import io.svcreg.schema.HealthState;
import io.svcreg.schema.Phase;
import io.svcreg.store.Event;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults of the nodes themselves, on container test nodes that are separate hosts: a node that
 * crashes and boots again, a node whose disk is too small for a new version, and a node rebuilt
 * with new host keys. The controller records only what a node told it, starts nothing twice, keeps
 * a running version running, and converges once the node is back (cut off during an upload: {@link
 * NodePartitionIT}).
 */
class NodeFaultsIT {

  @TempDir Path tmp;
  private NodeRig nodes;

  @BeforeEach
  void setUp() {
    nodes = new NodeRig(tmp);
  }

  @AfterEach
  void tearDown() {
    if (nodes != null) {
      nodes.close();
    }
  }

  /** The {@code deployment_progress} events of {@code service} whose phase is {@code phase}. */
  private static long progress(ControllerApp app, String service, String phase) {
    return values(events(app, Event.DEPLOYMENT_PROGRESS, service), "phase").stream()
        .filter(phase::equals)
        .count();
  }

  // ------------------------------------------------------------------ node crash

  @Test
  void nodeKilled_serviceDegradedNodeUnreachable_noStartElsewhere_recoversWhenBack() {
    NodeContainer a = nodes.start("node-a");
    NodeContainer b = nodes.start("node-b");
    nodes.trust(a, b);
    String marker = marker();
    try (Rig rig = new Rig(tmp.resolve("rig"))) {
      rig.light("crash-1", "crash", "1", Rig.HEALTHY, "exec sleep " + marker);
      rig.light("other-1", "other", "1", Rig.HEALTHY, "exec sleep " + marker());
      rig.write(
          "all.yaml",
          nodes.network(a, b),
          service("crash", "1", "crash-1", "node-a"),
          service("other", "1", "other-1", "node-b"));
      ControllerApp app = rig.start();
      long pid = awaitRunning(rig, "crash").status().pid().orElseThrow();
      awaitRunning(rig, "other");
      String home = nodes.installRoot + "/crash-1";
      String inode = a.execOk("stat", "-c", "%i", home).stdout();
      long uploads = progress(app, "crash", "upload");

      a.kill(); // a power cut
      long killedAt = lastRevision(app);
      ObservedService down =
          rig.await(
              LONG,
              "crash",
              "Degraded NodeUnreachable",
              o -> degraded(o).equals("NodeUnreachable"));

      // what the node last said stays: nothing is made up while it cannot be asked
      assertThat(down.status().phase()).isEqualTo(Phase.RUNNING);
      assertThat(down.status().pid()).contains(pid);
      assertThat(down.status().deployedVersion()).contains("1");
      assertThat(down.status().node()).contains("node-a");
      assertThat(down.status().condition(Condition.DEGRADED).orElseThrow().message())
          .contains("node-a")
          .contains(a.address());
      assertThat(eventsAfter(app, killedAt, Event.SERVICE_STATE_CHANGED, "crash")).isEmpty();
      // ... and nothing of it starts elsewhere: not on node-b, not on the controller's host
      assertNotElsewhere(app, b, marker);
      assertThat(sleepers(marker)).as("the node's processes died with it").isEmpty();

      a.start(); // a fresh boot: the service's process is gone, its files are kept
      long bootedAt = lastRevision(app);
      ObservedService back =
          rig.await(
              LONG,
              "crash",
              "running healthy again, Degraded cleared",
              o ->
                  o.status().phase() == Phase.RUNNING
                      && o.status().health().state() == HealthState.PASSING
                      && degraded(o).isEmpty()
                      && !eventsAfter(app, bootedAt, Event.SERVICE_STATE_CHANGED, "crash")
                          .isEmpty());

      // started again on node-a from the files it kept (a new process: the boot lost the old
      // one, whose pid a fresh PID namespace may hand out again); no upload, no install
      long again = back.status().pid().orElseThrow();
      assertThat(cmdline(a, again)).isEqualTo("sleep " + marker);
      assertThat(values(eventsAfter(app, bootedAt, Event.SERVICE_STATE_CHANGED, "crash"), "to"))
          .containsSubsequence("failed", "starting", "running");
      assertThat(a.execOk("stat", "-c", "%i", home).stdout())
          .as("not reinstalled")
          .isEqualTo(inode);
      assertThat(progress(app, "crash", "upload")).isEqualTo(uploads);
      assertThat(values(eventsAfter(app, killedAt, Event.DEPLOYMENT_PROGRESS, "crash"), "phase"))
          .doesNotContain("install", "upload", "installed")
          .contains("start");
      assertThat(sleepers(marker)).as("one process of crash, on node-a").hasSize(1);
      assertThat(pidNamespace(sleepers(marker).get(0))).isEqualTo(pidNamespace(a.initPid()));
      assertNotElsewhere(app, b, marker);
      assertThat(rig.find("other").orElseThrow().status().phase()).isEqualTo(Phase.RUNNING);
    }
  }

  /** Nothing of {@code crash} was installed or runs on {@code b} or on the controller's host. */
  private void assertNotElsewhere(ControllerApp app, NodeContainer b, String marker) {
    assertThat(nodes.installed(b))
        .containsExactlyInAnyOrder(RunRecord.fileName("other"), "other-1");
    assertThat(b.exec("pgrep", "-f", "sleep " + marker).exitCode()).isEqualTo(1);
    assertThat(values(events(app, Event.DEPLOYMENT_PROGRESS, "crash"), "node"))
        .doesNotContain("node-b");
    assertThat(Path.of(nodes.installRoot)).doesNotExist();
    assertThat(tmp.resolve("rig/data/opt/crash-1")).doesNotExist();
    for (long p : sleepers(marker)) {
      assertThat(pidNamespace(p)).isNotEqualTo(pidNamespace(ProcessHandle.current().pid()));
    }
  }

  // ------------------------------------------------------------------ full disk

  @Test
  void upgradeLargerThanFreeSpace_installFailedWithFreeSpace_oldVersionKeepsRunning() {
    NodeContainer n = nodes.start("node-d");
    nodes.trust(n);
    // the install root is a file system of its own: 8 MiB
    String root = nodes.installRoot;
    n.execOk("mkdir", "-p", root);
    n.execOk("mount", "-t", "tmpfs", "-o", "size=8m", "svcreg-test", root);
    String marker = marker();
    try (Rig rig = new Rig(tmp.resolve("rig"))) {
      rig.light("fat-1", "fat", "1", Rig.HEALTHY, "exec sleep " + marker);
      blob(rig.light("fat-2", "fat", "2", Rig.HEALTHY, "exec sleep " + marker), 6 << 20);
      rig.write("all.yaml", nodes.network(n), service("fat", "1", "fat-1", "node-d"));
      ControllerApp app = rig.start();
      long pid = awaitRunning(rig, "fat").status().pid().orElseThrow();
      long free = freeKib(n);

      // version 2: 6 MiB packed and 6 MiB extracted
      rig.write("all.yaml", nodes.network(n), service("fat", "2", "fat-2", "node-d"));
      long upgradeAt = lastRevision(app);
      ObservedService failed =
          rig.await(
              LONG, "fat", "Degraded InstallFailed", o -> degraded(o).equals("InstallFailed"));
      String message = failed.status().condition(Condition.DEGRADED).orElseThrow().message();
      assertThat(message)
          .contains("fat 2")
          .contains("node-d")
          .contains(root)
          .containsPattern("has [0-9]+ KiB free")
          .contains("free some space on the node");
      long said = Long.parseLong(message.replaceAll(".* has ([0-9]+) KiB free.*", "$1"));
      assertThat(said).isBetween(free - 1024, free + 1024);

      // version 1 still runs, as the same process, healthy, and its phase says so
      assertThat(failed.status().phase()).isEqualTo(Phase.RUNNING);
      assertThat(failed.status().deployedVersion()).contains("1");
      assertThat(failed.status().pid()).contains(pid);
      assertThat(failed.status().health().state()).isEqualTo(HealthState.PASSING);
      assertThat(cmdline(n, pid)).isEqualTo("sleep " + marker);
      String home = root + "/fat-1";
      assertThat(n.exec("env", "SERVICE_HOME=" + home, home + "/scripts/health.sh").exitCode())
          .as("version 1's health check, run on the node")
          .isZero();
      // nothing half-written: version 1 alone (and its run record), no temporary directory, the
      // space free again
      assertThat(nodes.installed(n)).containsExactlyInAnyOrder(RunRecord.fileName("fat"), "fat-1");
      assertThat(freeKib(n)).isBetween(free - 1024, free + 1024);
      assertThat(values(eventsAfter(app, upgradeAt, Event.DEPLOYMENT_PROGRESS, "fat"), "phase"))
          .doesNotContain("upload", "installed", "start");
      assertThat(values(eventsAfter(app, upgradeAt, Event.SERVICE_STATE_CHANGED, "fat"), "to"))
          .isEmpty();

      // the spec back at version 1: nothing to do on the node, and the failure is over
      rig.write("all.yaml", nodes.network(n), service("fat", "1", "fat-1", "node-d"));
      ObservedService reverted =
          rig.await(LONG, "fat", "Degraded cleared", o -> degraded(o).isEmpty());
      assertThat(reverted.status().phase()).isEqualTo(Phase.RUNNING);
      assertThat(reverted.status().pid()).contains(pid);

      // space made, version 2 again: it replaces version 1, which is stopped; one process runs
      n.execOk("mount", "-o", "remount,size=64m", root);
      rig.write("all.yaml", nodes.network(n), service("fat", "2", "fat-2", "node-d"));
      ObservedService upgraded =
          rig.await(
              LONG,
              "fat",
              "running 2 healthy",
              o ->
                  o.status().phase() == Phase.RUNNING
                      && o.status().deployedVersion().equals(Optional.of("2"))
                      && o.status().health().state() == HealthState.PASSING
                      && degraded(o).isEmpty());
      long pid2 = upgraded.status().pid().orElseThrow();
      assertThat(n.exec("pgrep", "-f", "sleep " + marker).stdout().strip())
          .as("version 1's process stopped, version 2's alone")
          .isEqualTo(Long.toString(pid2));
      assertThat(sleepers(marker)).hasSize(1);
      assertThat(nodes.installed(n))
          .containsExactlyInAnyOrder(RunRecord.fileName("fat"), "fat-1", "fat-2");
    }
  }

  /** The free space of the install root on {@code n}, in KiB. */
  private long freeKib(NodeContainer n) {
    String[] lines = n.execOk("df", "-Pk", nodes.installRoot).stdout().strip().split("\n");
    return Long.parseLong(lines[lines.length - 1].trim().split("\\s+")[3]);
  }

  // ------------------------------------------------------------------ rebuilt node

  @Test
  void nodeRebuiltWithNewHostKeys_refusedWithTheFingerprint_trustedThenReinstalled()
      throws IOException {
    NodeContainer n = nodes.start("node-r");
    nodes.trust(n); // every host key, as ssh-keyscan writes them
    String marker = marker();
    try (Rig rig = new Rig(tmp.resolve("rig"))) {
      rig.light("keyed-1", "keyed", "1", Rig.HEALTHY, "exec sleep " + marker);
      rig.write("all.yaml", nodes.network(n), service("keyed", "1", "keyed-1", "node-r"));
      ControllerApp app = rig.start();
      long pid = awaitRunning(rig, "keyed").status().pid().orElseThrow();
      long uploads = progress(app, "keyed", "upload");
      String oldKey = n.hostKeyFingerprint();

      n.rebuild(); // same address, new host keys, empty disk
      String newKey = n.hostKeyFingerprint();
      assertThat(newKey).isNotEqualTo(oldKey);
      ObservedService refused =
          rig.await(
              LONG, "keyed", "Degraded HostKeyRefused", o -> degraded(o).equals("HostKeyRefused"));
      // the ed25519 key's fingerprint, the one `ssh-keygen -lf` of the node's key prints
      assertThat(refused.status().condition(Condition.DEGRADED).orElseThrow().message())
          .contains("node-r")
          .contains("CHANGED")
          .contains(newKey);
      // what the old node said stays recorded; nothing is sent to the new one
      assertThat(refused.status().phase()).isEqualTo(Phase.RUNNING);
      assertThat(refused.status().pid()).contains(pid);
      assertThat(n.exec("test", "-e", nodes.installRoot).exitCode()).isEqualTo(1);
      assertThat(n.exec("pgrep", "-f", "sleep " + marker).exitCode()).isEqualTo(1);
      assertThat(progress(app, "keyed", "upload")).isEqualTo(uploads);

      // the operator accepts the new key: its old lines out, then `svcreg trust` with the
      // fingerprint the refusal named
      Files.writeString(
          nodes.known,
          Files.readString(nodes.known)
              .lines()
              .filter(l -> !l.startsWith(n.address() + " "))
              .map(l -> l + "\n")
              .collect(Collectors.joining()));
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      int code =
          Main.run(
              new String[] {
                "trust",
                "node-r",
                "--specs",
                tmp.resolve("rig/specs").toString(),
                "--fingerprint",
                newKey
              },
              new PrintWriter(out),
              new PrintWriter(err));
      assertThat(code).as("svcreg trust: %s%s", out, err).isZero();
      assertThat(out.toString()).contains(newKey).contains("added to " + nodes.known);

      ObservedService back =
          rig.await(
              LONG,
              "keyed",
              "running healthy on the rebuilt node",
              o ->
                  o.status().phase() == Phase.RUNNING
                      && o.status().health().state() == HealthState.PASSING
                      && degraded(o).isEmpty()
                      && progress(app, "keyed", "upload") > uploads);
      assertThat(n.exec("test", "-f", nodes.installRoot + "/keyed-1/.svcreg-install").exitCode())
          .isZero();
      assertThat(cmdline(n, back.status().pid().orElseThrow())).isEqualTo("sleep " + marker);
      assertThat(sleepers(marker)).hasSize(1);
    }
  }
}
