package io.svcreg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.svcreg.core.SvcregException;
import io.svcreg.store.InventoryEntry;
import io.svcreg.store.Store;
import io.svcreg.store.StoreOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ControllerApp#start}: the spec directory is read once the store is open and handed to the
 * loop; when the store cannot be opened, nothing is read and nothing is left running.
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

  @Test
  void start_versionDirectoryNotRecorded_isRecordedInTheInventory() throws IOException {
    // a controller killed between an install's rename and the commit recording it leaves a complete
    // version directory the inventory does not know: the next start records it
    Path specs = tmp.resolve("specs");
    Path data = tmp.resolve("data");
    ControllerApp.Config config = ControllerApp.Config.of(specs, data);
    Path installed = installWeb(config);
    Path orphan = installed.resolveSibling("web-1.1.0");
    copyTree(installed, orphan);
    Path marker = orphan.resolve(".svcreg-install");
    Files.writeString(
        marker, Files.readString(marker).replace("version=1.0.0\n", "version=1.1.0\n"));

    try (ControllerApp app = ControllerApp.start(config)) {
      Waits.atMost(Duration.ofSeconds(30)).until(() -> !app.controller().converging());
      assertThat(app.store().inventory())
          .extracting(InventoryEntry::version, InventoryEntry::path)
          .containsExactlyInAnyOrder(
              tuple("1.0.0", installed.toString()), tuple("1.1.0", orphan.toString()));
      assertThat(app.store().inventory()).allSatisfy(e -> assertThat(e.node()).isNotBlank());
    }
  }

  @Test
  void start_removedServiceWhoseDeployedVersionWentMissing_removesWhatTheInventoryStillHolds()
      throws IOException {
    // a controller killed after a removal deleted the deployed version's directory but before it
    // recorded that; the next one finds the version missing (and cannot reinstall it: the package
    // is gone too), and the one after that is told to remove the service: the previous version
    // and the inventory must go with it
    Path specs = tmp.resolve("specs");
    Path data = tmp.resolve("data");
    ControllerApp.Config config = ControllerApp.Config.of(specs, data);
    Path installed = installWeb(config);
    Path previous = installed.resolveSibling("web-0.9.0");
    copyTree(installed, previous);
    Path marker = previous.resolve(".svcreg-install");
    Files.writeString(
        marker, Files.readString(marker).replace("version=1.0.0\n", "version=0.9.0\n"));
    try (Stream<Path> all = Files.walk(installed)) {
      for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
    Files.move(tmp.resolve("packages/web"), tmp.resolve("packages/web-gone"));

    try (ControllerApp app = ControllerApp.start(config)) {
      Waits.atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  app.store()
                      .service("web")
                      .filter(o -> o.status().deployedVersion().isEmpty())
                      .isPresent());
      assertThat(app.store().inventory()).hasSize(2);
    }
    Files.delete(specs.resolve("web.yaml"));

    try (ControllerApp app = ControllerApp.start(config)) {
      Waits.atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () -> {
                assertThat(app.store().service("web")).isEmpty();
                assertThat(app.store().inventory()).isEmpty();
              });
    }
    assertThat(previous).doesNotExist();
    assertThat(installed).doesNotExist();
  }

  /**
   * Declares the stopped service {@code web} 1.0.0 (a package directory in {@code tmp/packages}) on
   * a local network in the specs of {@code config}, and runs a controller until it is installed;
   * gives its version directory.
   */
  private Path installWeb(ControllerApp.Config config) throws IOException {
    Path specs = Files.createDirectories(config.specs());
    Files.writeString(specs.resolve("network.yaml"), network());
    Path pkg = Files.createDirectories(tmp.resolve("packages/web/scripts"));
    Files.writeString(pkg.resolveSibling("manifest.yaml"), "name: web\nversion: \"1.0.0\"\n");
    for (String script : List.of("start.sh", "stop.sh")) {
      Files.writeString(pkg.resolve(script), "#!/bin/sh\nexit 0\n");
      Files.setPosixFilePermissions(
          pkg.resolve(script), PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    Files.writeString(
        specs.resolve("web.yaml"),
        """
        apiVersion: svcreg.io/v1
        kind: Service
        metadata: {name: web}
        spec: {version: "1.0.0", package: ../packages/web, network: start-it, state: stopped}
        """);
    try (ControllerApp app = ControllerApp.start(config)) {
      Waits.atMost(Duration.ofSeconds(30))
          .until(() -> !app.controller().converging() && app.store().inventory().size() == 1);
      return Path.of(app.store().inventory().getFirst().path());
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> all = Files.walk(from)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        Files.copy(
            p, to.resolve(from.relativize(p).toString()), StandardCopyOption.COPY_ATTRIBUTES);
      }
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
