package io.svcreg.fleet;

import static io.svcreg.fleet.NodeRig.LONG;
import static io.svcreg.fleet.NodeRig.awaitRunning;
import static io.svcreg.fleet.NodeRig.blob;
import static io.svcreg.fleet.NodeRig.degraded;
import static io.svcreg.fleet.NodeRig.events;
import static io.svcreg.fleet.NodeRig.eventsAfter;
import static io.svcreg.fleet.NodeRig.lastRevision;
import static io.svcreg.fleet.NodeRig.marker;
import static io.svcreg.fleet.NodeRig.service;
import static io.svcreg.fleet.NodeRig.sleepers;
import static io.svcreg.fleet.NodeRig.values;
import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.ControllerApp;
import io.svcreg.Waits;
import io.svcreg.core.ObservedService;
import io.svcreg.deploy.RunRecord;
import io.svcreg.loop.Rig;
import io.svcreg.store.Event;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A container test node cut off while a package of 24 MiB is uploaded to it, frozen or unplugged:
 * each attempt of the install ends {@code failed} with the node's reason, the node holds no version
 * directory (the cut upload's temporary directory at most), and once the node is back the service
 * converges with one copy, installed once and running once.
 */
class NodePartitionIT {

  /** The reasons of a node that cannot be asked. */
  private static final List<String> NODE_REASONS =
      List.of("NodeUnreachable", "ConnectionLost", "NodeTimeout");

  /**
   * How long a cut upload may take to fail: SFTP waits 30 s for the node to acknowledge a write,
   * and again as the upload is closed, unless the keep-alive (3 unanswered, 15 s apart) ends the
   * session first; then a retry's 10 s to connect.
   */
  private static final Duration CUT_FAILS = Duration.ofSeconds(120);

  @TempDir Path tmp;
  private NodeRig nodes;

  /** How a node is cut off: frozen (its kernel still accepts connections), or unplugged. */
  enum Cut {
    PAUSE,
    DISCONNECT
  }

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

  @ParameterizedTest
  @EnumSource(Cut.class)
  void nodeCutOffDuringUpload_failedWithNodeReasonNoHalfInstall_oneCopyAfterHealing(Cut how)
      throws IOException {
    NodeContainer n = nodes.start("node-p");
    nodes.trust(n);
    String marker = marker();
    try (Rig rig = new Rig(tmp.resolve("rig"))) {
      blob(rig.light("big-1", "big", "1", Rig.HEALTHY, "exec sleep " + marker), 24 << 20);
      rig.write("all.yaml", nodes.network(n), service("big", "1", "big-1", "node-p"));
      ControllerApp app = rig.start();

      Waits.atMost(LONG)
          .alias("the upload of big is under way")
          .pollInterval(Duration.ofMillis(10))
          .until(() -> uploads(app).anyMatch(d -> ((Number) d.get("percent")).intValue() > 0));
      switch (how) {
        case PAUSE -> n.pause();
        case DISCONNECT -> n.disconnect();
      }
      long cutAt = lastRevision(app);
      long total =
          uploads(app).mapToLong(d -> ((Number) d.get("total")).longValue()).max().orElse(0);
      assertThat(values(events(app, Event.DEPLOYMENT_PROGRESS, "big"), "phase"))
          .as("cut off while uploading")
          .doesNotContain("verify", "installed");

      // every attempt ends in a definite phase, failed, with the node's reason: the cut upload,
      // then a retry that cannot reach the node
      Waits.atMost(CUT_FAILS)
          .alias("two attempts of big failed since the cut")
          .until(
              () ->
                  values(eventsAfter(app, cutAt, Event.SERVICE_STATE_CHANGED, "big"), "to").stream()
                          .filter("failed"::equals)
                          .count()
                      >= 2);
      ObservedService cut = rig.find("big").orElseThrow();
      assertThat(degraded(cut)).isIn(NODE_REASONS);
      assertThat(values(eventsAfter(app, cutAt, Event.SERVICE_STATE_CHANGED, "big"), "to"))
          .containsOnly("failed", "deploying");
      assertThat(cut.status().pid()).isEmpty();
      assertThat(cut.status().deployedVersion()).isEmpty();

      // on the node's disk (read from this host: a frozen node runs no command): no version
      // directory, only the temporary one of the cut upload, with part of the package
      Path disk = Path.of("/proc/" + n.initPid() + "/root" + nodes.installRoot);
      List<String> left;
      try (Stream<Path> files = Files.list(disk)) {
        left = files.map(f -> f.getFileName().toString()).toList();
      }
      assertThat(left).hasSize(1);
      assertThat(left.get(0)).startsWith(".tmp.big.");
      assertThat(Files.size(disk.resolve(left.get(0)).resolve("package.tar.gz")))
          .as("uploaded when cut off")
          .isLessThan(total);

      switch (how) {
        case PAUSE -> n.unpause();
        case DISCONNECT -> n.reconnect();
      }
      long healedAt = lastRevision(app);
      ObservedService healed = awaitRunning(rig, "big");
      assertThat(nodes.installed(n))
          .as("the temporary directory removed")
          .containsExactlyInAnyOrder(RunRecord.fileName("big"), "big-1");
      assertThat(n.exec("test", "-f", nodes.installRoot + "/big-1/.svcreg-install").exitCode())
          .isZero();
      assertThat(n.exec("pgrep", "-f", "sleep " + marker).stdout().strip())
          .isEqualTo(Long.toString(healed.status().pid().orElseThrow()));
      assertThat(sleepers(marker)).hasSize(1);
      assertThat(values(eventsAfter(app, healedAt, Event.DEPLOYMENT_PROGRESS, "big"), "phase"))
          .containsOnlyOnce("installed", "start");
    }
  }

  /** The data of the {@code deployment_progress} events of big's upload. */
  private static Stream<Map<String, Object>> uploads(ControllerApp app) {
    return events(app, Event.DEPLOYMENT_PROGRESS, "big").stream()
        .map(NodeRig::data)
        .filter(d -> "upload".equals(d.get("phase")));
  }
}
