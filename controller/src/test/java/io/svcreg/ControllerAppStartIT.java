package io.svcreg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.svcreg.core.SvcregException;
import io.svcreg.store.Store;
import io.svcreg.store.StoreOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ControllerApp#start}: the spec directory is read while the store opens; the reading is
 * handed to the loop when the store opened, and dropped (nothing left running) when it did not.
 */
class ControllerAppStartIT {

  @TempDir Path tmp;

  @Test
  void start_storeInUse_failsWithOneLineAndLeavesNoSpecReaderRunning() throws IOException {
    Path specs = Files.createDirectories(tmp.resolve("specs"));
    Files.writeString(specs.resolve("network.yaml"), network());
    Path data = tmp.resolve("data");
    try (Store held =
        Store.open(data.resolve("store"), StoreOptions.defaults(), InstantSource.system())) {
      assertThatThrownBy(() -> ControllerApp.start(ControllerApp.Config.of(specs, data)))
          .isInstanceOf(SvcregException.class)
          .hasMessageContaining("is in use by another svcreg process")
          .hasMessageNotContaining("\n");
      Waits.atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(specThreadsOf()).isZero());
      assertThat(held.lastRevision()).as("nothing was recorded").isZero();
    }
  }

  @Test
  void start_specsAndEmptyStore_handsTheFirstReadingToTheLoopAndWritesTheSnapshot()
      throws IOException {
    Path specs = Files.createDirectories(tmp.resolve("specs"));
    Files.writeString(specs.resolve("network.yaml"), network());
    Path data = tmp.resolve("data");

    try (ControllerApp app = ControllerApp.start(ControllerApp.Config.of(specs, data))) {
      Waits.atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () -> {
                assertThat(app.controller().converging()).isFalse();
                assertThat(app.store().observed().networks())
                    .singleElement()
                    .satisfies(n -> assertThat(n.metadata().name()).isEqualTo("start-it"));
                assertThat(ControllerApp.snapshotFile(data)).isRegularFile();
              });
    }
  }

  private static String network() {
    return """
        apiVersion: svcreg.io/v1
        kind: Network
        metadata: {name: start-it}
        spec:
          type: local
          subnet: 127.201.77.0/24
        """;
  }

  /** Live threads that read or watch a spec directory (svcreg-spec-read, -source, -watch). */
  private static long specThreadsOf() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .filter(t -> t.getName().startsWith("svcreg-spec-"))
        .count();
  }
}
