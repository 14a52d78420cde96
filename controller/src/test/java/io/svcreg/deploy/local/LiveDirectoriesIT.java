package io.svcreg.deploy.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.Waits;
import io.svcreg.deploy.DeployTimeouts;
import io.svcreg.deploy.DirectoryInUse;
import io.svcreg.deploy.InstallOutcome;
import io.svcreg.deploy.Launch;
import io.svcreg.deploy.ProcessRef;
import io.svcreg.deploy.Squatters;
import io.svcreg.deploy.StartOutcome;
import io.svcreg.deploy.StopOutcome;
import io.svcreg.deploy.StopStep;
import io.svcreg.deploy.TestPackages;
import io.svcreg.deploy.UninstallOutcome;
import io.svcreg.schema.Ipv4;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No directory is deleted under a live process on the controller's host: pruning, removal, a
 * replaced copy and the leftovers deleted at start, each with real {@code sleep} processes running
 * from the directories.
 */
class LiveDirectoriesIT {

  private static final DeployTimeouts FAST =
      new DeployTimeouts(
          Duration.ofMillis(300),
          Duration.ofSeconds(3),
          Duration.ofSeconds(2),
          Duration.ofSeconds(5));

  @TempDir Path tmp;
  private Path root;
  private LocalDeployer deployer;
  private final Squatters squatters = new Squatters();
  private final List<ProcessRef> started = new ArrayList<>();

  @BeforeEach
  void setUp() {
    root = tmp.resolve("opt");
    deployer = newDeployer();
  }

  private LocalDeployer newDeployer() {
    return new LocalDeployer(
        root,
        FAST,
        InstantSource.system(),
        Waiter.system(),
        LocalDeployerProcessIT.controllerEnv());
  }

  @AfterEach
  void killEverythingStarted() throws Exception {
    squatters.close();
    for (ProcessRef ref : started) {
      if (ProcFs.groupAlive(ref.pid())) {
        Scripts.signalGroup(ref.pid(), "KILL");
      }
    }
  }

  private InstallOutcome.Installed install(String service, String version) throws IOException {
    InstallOutcome out =
        deployer.install(service, version, Squatters.stopMarking(tmp, service, version));
    assertThat(out).isInstanceOf(InstallOutcome.Installed.class);
    return (InstallOutcome.Installed) out;
  }

  private Launch launch(String service, String version) {
    return new Launch(
        service,
        version,
        Ipv4.of("127.0.0.61"),
        List.of(),
        Map.of(),
        Squatters.stopMark(tmp, service));
  }

  /** Starts a version through the deployer (which records it), and confirms it. */
  private ProcessRef start(String service, String version) {
    Launch launch = launch(service, version);
    StartOutcome.Started s = (StartOutcome.Started) deployer.start(launch);
    started.add(s.process());
    Waits.atMost(Duration.ofSeconds(10)).pollDelay(FAST.startGrace()).until(() -> true);
    assertThat(deployer.confirm(launch, s.process(), s.logOffset()))
        .isInstanceOf(StartOutcome.Started.class);
    return s.process();
  }

  @Test
  void prune_versionAnUnknownProcessRunsFrom_isKeptAndReportedThenDeletedOnceItExits()
      throws Exception {
    install("api", "1");
    install("api", "2");
    Path old = deployer.home("api", "1");
    Process p = squatters.sleepIn(old.resolve("scripts"));

    InstallOutcome.Installed third = install("api", "3");

    assertThat(third.removed()).isEmpty();
    assertThat(third.kept())
        .containsExactly(new DirectoryInUse("1", old.toString(), List.of(Squatters.cwd(p))));
    assertThat(old.resolve("scripts/start.sh")).exists();
    assertThat(p.isAlive()).as("the unknown process is left alone").isTrue();
    assertThat(deployer.installed("api")).contains("1");

    Squatters.exit(p);
    InstallOutcome.Installed again = install("api", "3");

    assertThat(again.changed()).isFalse();
    assertThat(again.removed()).containsExactly("1");
    assertThat(again.kept()).isEmpty();
    assertThat(old).doesNotExist();
  }

  @Test
  void prune_versionWhoseExecutableRuns_isKept() throws Exception {
    install("bin", "1");
    install("bin", "2");
    Path old = deployer.home("bin", "1");
    Path sleep = Files.copy(Path.of("/bin/sleep"), old.resolve("sleep"));
    TestPackages.setMode(sleep, 0755);
    Process p = new ProcessBuilder(sleep.toString(), "1000").directory(tmp.toFile()).start();
    squatters.track(p);

    InstallOutcome.Installed third = install("bin", "3");

    assertThat(third.kept()).hasSize(1);
    assertThat(third.kept().getFirst().processes())
        .containsExactly(new DirectoryInUse.Holder(p.pid(), sleep + " 1000", "exe"));
    assertThat(old).exists();
  }

  @Test
  void prune_versionWhoseRecordedProcessStillRuns_stopsItThroughStopShThenDeletes()
      throws Exception {
    // a controller that lost its store started 2 without stopping 1: 1 still runs, recorded
    install("web", "1");
    install("web", "2");
    ProcessRef first = start("web", "1");
    start("web", "2");

    InstallOutcome.Installed third = install("web", "3");

    assertThat(third.removed()).containsExactly("1");
    assertThat(third.kept()).isEmpty();
    assertThat(ProcFs.groupAlive(first.pid())).isFalse();
    assertThat(Squatters.stopMarked(tmp, "web"))
        .as("stop.sh ran with the environment the process was started with")
        .isEqualTo("stop.sh of web 1 for " + first.pid() + "\n");
    assertThat(deployer.home("web", "1")).doesNotExist();
  }

  @Test
  void uninstall_recordedProcessStillRuns_stopsItThroughStopShFirst() throws Exception {
    install("db", "1");
    ProcessRef running = start("db", "1");

    // a controller that knows nothing of the process (its store was lost) removes the service
    UninstallOutcome out = newDeployer().uninstall("db");

    assertThat(out).isEqualTo(new UninstallOutcome.Uninstalled(List.of("1")));
    assertThat(ProcFs.groupAlive(running.pid())).isFalse();
    assertThat(Squatters.stopMarked(tmp, "db"))
        .isEqualTo("stop.sh of db 1 for " + running.pid() + "\n");
    assertThat(TestPackages.directories(root)).isEmpty();
  }

  @Test
  void uninstall_unknownProcessRunsFromVersion_keepsItUntilTheProcessExits() throws Exception {
    install("cache", "1");
    Path home = deployer.home("cache", "1");
    Process p = squatters.sleepIn(home);

    UninstallOutcome out = deployer.uninstall("cache");

    assertThat(out)
        .isEqualTo(
            new UninstallOutcome.Uninstalled(
                List.of(),
                List.of(new DirectoryInUse("1", home.toString(), List.of(Squatters.cwd(p))))));
    assertThat(p.isAlive()).isTrue();
    assertThat(home).exists();

    Squatters.exit(p);

    assertThat(deployer.uninstall("cache"))
        .isEqualTo(new UninstallOutcome.Uninstalled(List.of("1")));
    assertThat(home).doesNotExist();
  }

  @Test
  void install_sameVersionOtherContentWhileItRuns_movesTheRunningCopyAsideUntilItStops()
      throws Exception {
    install("app", "1");
    ProcessRef running = start("app", "1");
    Path other = Squatters.stopMarking(tmp, "app", "1");
    Files.writeString(other.resolve("content"), "other");

    InstallOutcome.Installed replaced =
        (InstallOutcome.Installed) deployer.install("app", "1", other);

    assertThat(replaced.changed()).isTrue();
    assertThat(replaced.kept()).isEmpty();
    assertThat(deployer.home("app", "1").resolve("content")).hasContent("other");
    assertThat(ProcFs.matches(running)).as("the running copy runs on").isTrue();
    assertThat(TestPackages.directories(root)).anyMatch(n -> n.startsWith(".old.app."));

    assertThat(deployer.stop(launch("app", "1"), running))
        .isEqualTo(new StopOutcome.Stopped(StopStep.STOP_SCRIPT));
    deployer.install("app", "1", other);

    assertThat(TestPackages.directories(root)).containsExactly("app-1");
  }

  @Test
  void removeLeftovers_oneAProcessRunsFrom_isKeptAndReportedTheOthersDeleted() throws Exception {
    Path busy = Files.createDirectories(root.resolve(".old.api.456"));
    Files.createDirectories(root.resolve(".tmp.api.789/scripts"));
    Process p = squatters.sleepIn(busy);

    List<DirectoryInUse> kept = deployer.removeLeftovers();

    assertThat(kept)
        .containsExactly(new DirectoryInUse("", busy.toString(), List.of(Squatters.cwd(p))));
    assertThat(TestPackages.directories(root)).containsExactly(".old.api.456");

    Squatters.exit(p);

    assertThat(deployer.removeLeftovers()).isEmpty();
    assertThat(TestPackages.directories(root)).isEmpty();
  }

  @Test
  void inUse_versionDirectories_namesWhatRunsFromEach() throws Exception {
    install("x", "1");
    install("y", "1");
    Process p = squatters.sleepIn(deployer.home("x", "1"));

    assertThat(deployer.inUse(List.of(deployer.home("x", "1"), deployer.home("y", "1"))))
        .isEqualTo(Map.of(deployer.home("x", "1"), List.of(Squatters.cwd(p))));
  }
}
