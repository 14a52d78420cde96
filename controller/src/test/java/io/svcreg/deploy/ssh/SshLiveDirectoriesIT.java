package io.svcreg.deploy.ssh;

import static org.assertj.core.api.Assertions.assertThat;

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
import io.svcreg.deploy.local.LocalProcesses;
import io.svcreg.schema.Ipv4;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No directory is deleted under a live process on an SSH node (a real OpenSSH server on 127.0.0.6,
 * so the node's processes are this host's): pruning, removal, an install's leftovers and a replaced
 * copy, with real {@code sleep} processes running from the directories.
 */
class SshLiveDirectoriesIT {

  private static final String USER = System.getProperty("user.name");
  private static final DeployTimeouts FAST =
      new DeployTimeouts(
          Duration.ofMillis(500),
          Duration.ofSeconds(3),
          Duration.ofSeconds(2),
          Duration.ofSeconds(2));

  @TempDir static Path shared;
  static OpenSshd sshd;

  @TempDir Path tmp;
  private Path root;
  private final List<SshDeployer> deployers = new ArrayList<>();
  private final Squatters squatters = new Squatters();
  private final List<ProcessRef> started = new ArrayList<>();

  @BeforeAll
  static void startServer() {
    sshd = OpenSshd.start("127.0.0.6", shared.resolve("node"), shared.resolve("id")).trusted();
  }

  @AfterAll
  static void stopServer() {
    sshd.close();
  }

  @BeforeEach
  void setUp() {
    root = tmp.resolve("opt");
  }

  @AfterEach
  void killEverythingStarted() throws Exception {
    deployers.forEach(SshDeployer::close);
    squatters.close();
    for (ProcessRef ref : started) {
      new ProcessBuilder("kill", "-KILL", "--", "-" + ref.pid()).start().waitFor();
    }
  }

  private SshDeployer deployer() {
    SshDeployer d =
        new SshDeployer(
            new SshTarget(
                "node-l",
                sshd.host,
                sshd.port,
                USER,
                sshd.clientKey,
                sshd.knownHosts,
                root.toString()),
            FAST,
            InstantSource.system(),
            new SshDeployer.Options(
                Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofSeconds(30)));
    deployers.add(d);
    return d;
  }

  private static InstallOutcome.Installed installed(InstallOutcome out) {
    assertThat(out).isInstanceOf(InstallOutcome.Installed.class);
    return (InstallOutcome.Installed) out;
  }

  private InstallOutcome.Installed install(SshDeployer d, String service, String version)
      throws IOException {
    return installed(d.install(service, version, Squatters.stopMarking(tmp, service, version)));
  }

  private Launch launch(String service, String version) {
    return new Launch(
        service,
        version,
        Ipv4.of("127.0.0.6"),
        List.of(),
        Map.of(),
        Squatters.stopMark(tmp, service));
  }

  private ProcessRef start(SshDeployer d, String service, String version) {
    StartOutcome out = d.start(launch(service, version));
    assertThat(out).isInstanceOf(StartOutcome.Started.class);
    ProcessRef ref = ((StartOutcome.Started) out).process();
    started.add(ref);
    return ref;
  }

  private static DirectoryInUse inUse(String version, Path dir, Process p) {
    return new DirectoryInUse(
        version, dir.toString(), List.of(new DirectoryInUse.Holder(p.pid(), "sleep 1000", "cwd")));
  }

  @Test
  void prune_versionAnUnknownProcessRunsFrom_isKeptAndReportedThenDeletedOnceItExits()
      throws Exception {
    SshDeployer d = deployer();
    install(d, "api", "1");
    install(d, "api", "2");
    Path old = root.resolve("api-1");
    Process p = squatters.sleepIn(old.resolve("scripts"));

    InstallOutcome.Installed third = install(d, "api", "3");

    assertThat(third.removed()).isEmpty();
    assertThat(third.kept()).containsExactly(inUse("1", old, p));
    assertThat(old.resolve("scripts/start.sh")).exists();
    assertThat(p.isAlive()).as("the unknown process is left alone").isTrue();

    Squatters.exit(p);
    InstallOutcome.Installed again = install(d, "api", "3");

    assertThat(again.changed()).isFalse();
    assertThat(again.removed()).containsExactly("1");
    assertThat(again.kept()).isEmpty();
    assertThat(TestPackages.directories(root)).containsExactly("api-2", "api-3");
  }

  @Test
  void prune_versionWhoseRecordedProcessStillRuns_stopsItThroughStopShThenDeletes()
      throws Exception {
    // a controller that lost its store started 2 without stopping 1: 1 still runs, recorded
    SshDeployer d = deployer();
    install(d, "web", "1");
    install(d, "web", "2");
    ProcessRef first = start(d, "web", "1");
    start(d, "web", "2");

    InstallOutcome.Installed third = install(d, "web", "3");

    assertThat(third.removed()).containsExactly("1");
    assertThat(third.kept()).isEmpty();
    assertThat(LocalProcesses.exists(first.pid())).isFalse();
    assertThat(Squatters.stopMarked(tmp, "web"))
        .as("stop.sh ran with the environment the process was started with")
        .isEqualTo("stop.sh of web 1 for " + first.pid() + "\n");
    assertThat(TestPackages.directories(root)).containsExactly("web-2", "web-3");
  }

  @Test
  void uninstall_recordedProcessStillRuns_stopsItThroughStopShFirst() throws Exception {
    install(deployer(), "db", "1");
    ProcessRef running = start(deployer(), "db", "1");

    // a controller that knows nothing of the process (its store was lost) removes the service
    UninstallOutcome out = deployer().uninstall("db");

    assertThat(out).isEqualTo(new UninstallOutcome.Uninstalled(List.of("1")));
    assertThat(LocalProcesses.exists(running.pid())).isFalse();
    assertThat(Squatters.stopMarked(tmp, "db"))
        .isEqualTo("stop.sh of db 1 for " + running.pid() + "\n");
    assertThat(TestPackages.directories(root)).isEmpty();
  }

  @Test
  void uninstall_unknownProcessRunsFromVersion_keepsItUntilTheProcessExits() throws Exception {
    SshDeployer d = deployer();
    install(d, "cache", "1");
    Path home = root.resolve("cache-1");
    Process p = squatters.sleepIn(home);

    UninstallOutcome out = d.uninstall("cache");

    assertThat(out)
        .isEqualTo(new UninstallOutcome.Uninstalled(List.of(), List.of(inUse("1", home, p))));
    assertThat(p.isAlive()).isTrue();
    assertThat(home).exists();

    Squatters.exit(p);

    assertThat(d.uninstall("cache")).isEqualTo(new UninstallOutcome.Uninstalled(List.of("1")));
    assertThat(home).doesNotExist();
  }

  @Test
  void install_leftoverAProcessRunsFrom_isKeptAndReportedUntilItExits() throws Exception {
    SshDeployer d = deployer();
    install(d, "queue", "1");
    Path busy = Files.createDirectories(root.resolve(".old.queue.77"));
    Files.createDirectories(root.resolve(".tmp.queue.abc"));
    Process p = squatters.sleepIn(busy);

    InstallOutcome.Installed again = install(d, "queue", "1");

    assertThat(again.kept()).containsExactly(inUse("", busy, p));
    assertThat(TestPackages.directories(root)).containsExactly(".old.queue.77", "queue-1");

    Squatters.exit(p);
    install(d, "queue", "1");

    assertThat(TestPackages.directories(root)).containsExactly("queue-1");
  }

  @Test
  void install_sameVersionOtherContentWhileItRuns_movesTheRunningCopyAsideUntilItStops()
      throws Exception {
    SshDeployer d = deployer();
    install(d, "app", "1");
    ProcessRef running = start(d, "app", "1");
    Path other = Squatters.stopMarking(tmp, "app", "1");
    Files.writeString(other.resolve("content"), "other");

    InstallOutcome.Installed replaced = installed(d.install("app", "1", other));

    assertThat(replaced.changed()).isTrue();
    assertThat(replaced.kept()).isEmpty();
    assertThat(root.resolve("app-1/content")).hasContent("other");
    assertThat(LocalProcesses.exists(running.pid())).as("the running copy runs on").isTrue();
    assertThat(TestPackages.directories(root)).anyMatch(n -> n.startsWith(".old.app."));

    assertThat(d.stop(launch("app", "1"), running))
        .isEqualTo(new StopOutcome.Stopped(StopStep.STOP_SCRIPT));
    d.install("app", "1", other);

    assertThat(TestPackages.directories(root)).containsExactly("app-1");
  }
}
