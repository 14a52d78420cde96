package io.svcreg.loop;

import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.Waits;
import io.svcreg.deploy.InstallMarker;
import io.svcreg.deploy.Squatters;
import io.svcreg.schema.Condition;
import io.svcreg.store.Event;
import io.svcreg.store.InventoryEntry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No orphans, end to end through the controller on this host: a directory a process runs from is
 * never deleted; what keeps it is reported in the journal (a {@code deployment_progress} event with
 * phase {@code kept}) and the log, it stays in the inventory, and it is deleted once free.
 */
class OrphansIT {

  private static final Duration CONVERGE = Duration.ofSeconds(30);

  @TempDir Path tmp;
  private Rig rig;
  private final Squatters squatters = new Squatters();

  @BeforeEach
  void setUp() {
    rig = new Rig(tmp);
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    rig.close();
    squatters.close();
  }

  private List<Map<String, Object>> kept(String key) {
    return rig.events().stream()
        .filter(e -> e.type().equals(Event.DEPLOYMENT_PROGRESS) && e.key().equals(key))
        .map(Rig::data)
        .filter(d -> "kept".equals(d.get("phase")))
        .toList();
  }

  @Test
  void upgrade_unknownProcessRunsFromTheOldestVersion_keptReportedAndDeletedOnceItExits()
      throws Exception {
    rig.light("svc-1", "svc", "1.0.0", Rig.HEALTHY);
    rig.bump("svc-1", "svc-2", "2.0.0");
    rig.bump("svc-1", "svc-3", "3.0.0");
    rig.bump("svc-1", "svc-4", "4.0.0");
    rig.write("network.yaml", rig.network());
    rig.write("svc.yaml", rig.service("svc", "1.0.0", "svc-1").toString());
    rig.start();
    rig.awaitRunning(CONVERGE, "svc");
    rig.write("svc.yaml", rig.service("svc", "2.0.0", "svc-2").toString());
    rig.await(
        CONVERGE,
        "svc",
        "running 2.0.0",
        o ->
            o.status().pid().isPresent()
                && o.status().deployedVersion().equals(Optional.of("2.0.0")));
    rig.awaitRunning(CONVERGE, "svc");
    Path oldest = rig.installRoot.resolve("svc-1.0.0");
    Process p = squatters.sleepIn(oldest);

    rig.write("svc.yaml", rig.service("svc", "3.0.0", "svc-3").toString());
    rig.await(
        CONVERGE,
        "svc",
        "running 3.0.0",
        o ->
            o.status().pid().isPresent()
                && o.status().deployedVersion().equals(Optional.of("3.0.0")));

    assertThat(oldest).exists();
    assertThat(kept("Service/svc"))
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d).containsEntry("version", "1.0.0").containsEntry("node", "local");
              assertThat(d).containsEntry("home", oldest.toString());
              assertThat(d.get("processes"))
                  .isEqualTo(
                      List.of(Map.of("pid", (int) p.pid(), "command", "sleep 1000", "how", "cwd")));
            });
    assertThat(rig.app().store().inventory("svc").stream().map(InventoryEntry::version))
        .as("the kept version stays the controller's to delete")
        .contains("1.0.0");

    Squatters.exit(p);
    // the next install prunes again
    rig.write("svc.yaml", rig.service("svc", "4.0.0", "svc-4").toString());

    Waits.atMost(CONVERGE).until(() -> !Files.exists(oldest));
    Waits.atMost(CONVERGE)
        .until(
            () ->
                rig.app().store().inventory("svc").stream()
                    .noneMatch(e -> e.version().equals("1.0.0")));
  }

  @Test
  void removal_unknownProcessRunsFromItsDirectory_degradedUntilItExitsThenRemoved()
      throws Exception {
    rig.light("gone-1", "gone", "1.0.0", Rig.HEALTHY);
    rig.write("network.yaml", rig.network());
    rig.write("gone.yaml", rig.service("gone", "1.0.0", "gone-1").toString());
    rig.start();
    rig.awaitRunning(CONVERGE, "gone");
    Path home = rig.installRoot.resolve("gone-1.0.0");
    Process p = squatters.sleepIn(home);

    Files.delete(rig.specs.resolve("gone.yaml"));

    rig.await(
        CONVERGE,
        "gone",
        "Degraded: InstallDirectoryInUse",
        o ->
            o.status()
                .condition(Condition.DEGRADED)
                .filter(c -> c.reason().equals("InstallDirectoryInUse"))
                .filter(c -> c.message().contains("pid " + p.pid() + " (sleep 1000; cwd)"))
                .isPresent());
    assertThat(home).exists();
    assertThat(p.isAlive()).isTrue();
    assertThat(kept("Service/gone")).isNotEmpty();
    assertThat(rig.app().store().inventory("gone")).isNotEmpty();

    Squatters.exit(p);

    Waits.atMost(CONVERGE).until(() -> rig.find("gone").isEmpty());
    assertThat(home).doesNotExist();
    assertThat(rig.app().store().inventory("gone")).isEmpty();
  }

  @Test
  void start_directoriesWithLiveProcessesAndNoRecord_keptAndReported() throws Exception {
    Path ghost = Files.createDirectories(rig.installRoot.resolve("ghost-1.0.0"));
    new InstallMarker(
            "ghost", "1.0.0", "x", Instant.parse("2025-01-01T00:00:00Z"), Optional.empty())
        .write(ghost);
    Path leftover = Files.createDirectories(rig.installRoot.resolve(".old.ghost.5"));
    Process inGhost = squatters.sleepIn(ghost);
    Process inLeftover = squatters.sleepIn(leftover);
    rig.write("network.yaml", rig.network());

    rig.start();

    assertThat(ghost).exists();
    assertThat(leftover).exists();
    assertThat(kept("Service/ghost"))
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d).containsEntry("home", ghost.toString()).containsEntry("node", "local");
              assertThat((String) d.get("message"))
                  .contains("pid " + inGhost.pid() + " (sleep 1000; cwd)");
            });
    assertThat(kept(""))
        .singleElement()
        .satisfies(d -> assertThat((String) d.get("message")).contains("pid " + inLeftover.pid()));
  }
}
