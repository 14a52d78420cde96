package io.svcreg.deploy.local;

import static io.svcreg.deploy.TestPackages.mode;
import static io.svcreg.deploy.TestPackages.names;
import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.Waits;
import io.svcreg.deploy.DeployReasons;
import io.svcreg.deploy.DeployTimeouts;
import io.svcreg.deploy.InstallOutcome;
import io.svcreg.deploy.Launch;
import io.svcreg.deploy.ProcessRef;
import io.svcreg.deploy.StartOutcome;
import io.svcreg.deploy.StopOutcome;
import io.svcreg.deploy.TestPackages;
import io.svcreg.deploy.TestPackages.Tar;
import io.svcreg.pkg.PackageBuilder;
import io.svcreg.schema.Endpoint;
import io.svcreg.schema.HealthState;
import io.svcreg.schema.Ipv4;
import io.svcreg.schema.Protocol;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Archives made by {@code svcreg package build} installed by the local deployer: modes kept, the
 * checksum list enforced, and the quick start's package running from its built archive.
 */
class BuiltPackageIT {

  @TempDir Path tmp;
  private Path root;
  private LocalDeployer deployer;
  private ProcessRef started;

  @BeforeEach
  void setUp() {
    root = tmp.resolve("opt");
    deployer =
        new LocalDeployer(
            root,
            DeployTimeouts.DEFAULTS,
            InstantSource.system(),
            Waiter.system(),
            LocalDeployerProcessIT.controllerEnv());
  }

  @AfterEach
  void killLeftovers() throws InterruptedException {
    if (started != null && ProcFs.groupAlive(started.pid())) {
      Scripts.signalGroup(started.pid(), "KILL");
    }
  }

  private Path build(Path dir) throws Exception {
    return new PackageBuilder(Instant.EPOCH)
        .build(dir, tmp.resolve(dir.getFileName() + ".tar.gz"))
        .file();
  }

  @Test
  void install_builtArchive_keepsEveryModeAndLink() throws Exception {
    Path dir =
        TestPackages.directory(tmp.resolve("demo"), "demo", "exec sleep 1000", "exit 0", null);
    Files.createDirectories(dir.resolve("bin"));
    Files.writeString(dir.resolve("bin/tool"), "#!/bin/sh\n");
    TestPackages.setMode(dir.resolve("bin/tool"), 0750);
    Files.createDirectories(dir.resolve("config"));
    Files.writeString(dir.resolve("config/secret"), "s");
    TestPackages.setMode(dir.resolve("config/secret"), 0600);
    TestPackages.setMode(dir.resolve("config"), 0700);
    Files.createSymbolicLink(dir.resolve("bin/start"), Path.of("../scripts/start.sh"));

    InstallOutcome outcome = deployer.install("demo", "1.0.0", build(dir));

    assertThat(outcome).isInstanceOf(InstallOutcome.Installed.class);
    Path home = root.resolve("demo-1.0.0");
    assertThat(mode(home.resolve("scripts/start.sh"))).isEqualTo(0755);
    assertThat(mode(home.resolve("scripts/stop.sh"))).isEqualTo(0755);
    assertThat(mode(home.resolve("bin/tool"))).isEqualTo(0750);
    assertThat(mode(home.resolve("config/secret"))).isEqualTo(0600);
    assertThat(mode(home.resolve("config"))).isEqualTo(0700);
    assertThat(Files.readSymbolicLink(home.resolve("bin/start")))
        .isEqualTo(Path.of("../scripts/start.sh"));
    assertThat(names(home)).contains("CHECKSUMS.sha256", "manifest.yaml");
  }

  @Test
  void install_fileNotMatchingTheChecksumList_isRefusedAndNothingInstalled() throws Exception {
    Path archive = tmp.resolve("tampered.tar.gz");
    try (Tar tar = new Tar(archive)) {
      tar.required();
      tar.file(
          "CHECKSUMS.sha256",
          0644,
          "0000000000000000000000000000000000000000000000000000000000000000  manifest.yaml\n");
    }

    InstallOutcome outcome = deployer.install("demo", "1.0.0", archive);

    assertThat(outcome).isInstanceOf(InstallOutcome.Failed.class);
    InstallOutcome.Failed f = (InstallOutcome.Failed) outcome;
    assertThat(f.reason()).isEqualTo(DeployReasons.INVALID_PACKAGE);
    assertThat(f.message())
        .startsWith(
            "cannot install demo 1.0.0: the package " + archive + " fails its checksum list: ")
        .contains("`manifest.yaml` does not match its checksum")
        .endsWith("(and 2 more)");
    assertThat(Files.exists(root) ? names(root) : List.<String>of()).isEmpty();
  }

  @Test
  void install_builtExamplePackage_startsAndPassesItsHealthCheck() throws Exception {
    Path archive = build(TestPackages.EXAMPLES.resolve("store"));
    String ip = "127.0.0.37";
    int port = TestPackages.freePort(ip);
    Launch launch =
        new Launch(
            "store",
            "1.0.0",
            Ipv4.of(ip),
            List.of(new Endpoint("http", port, Protocol.HTTP)),
            Map.of(),
            Map.of());

    assertThat(deployer.install("store", "1.0.0", archive))
        .isInstanceOf(InstallOutcome.Installed.class);
    StartOutcome start = deployer.start(launch);
    assertThat(start).as(start::toString).isInstanceOf(StartOutcome.Started.class);
    started = ((StartOutcome.Started) start).process();
    Waits.atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () ->
                deployer.checkHealth(launch, "scripts/health.sh", Duration.ofSeconds(5)).state()
                    == HealthState.PASSING);

    StopOutcome stop = deployer.stop(launch, started);
    assertThat(stop).as(stop::toString).isInstanceOf(StopOutcome.Stopped.class);
  }

  @Test
  void install_sameBuiltArchiveTwice_isUnchanged() throws Exception {
    Path dir =
        TestPackages.directory(tmp.resolve("demo"), "demo", "exec sleep 1000", "exit 0", null);
    Path archive = build(dir);
    deployer.install("demo", "1.0.0", archive);

    InstallOutcome again = deployer.install("demo", "1.0.0", archive);

    assertThat(again)
        .isInstanceOfSatisfying(
            InstallOutcome.Installed.class, i -> assertThat(i.changed()).isFalse());
  }

  @Test
  void install_directoryWithStaleChecksumList_isRefused() throws IOException {
    Path dir =
        TestPackages.directory(tmp.resolve("demo"), "demo", "exec sleep 1000", "exit 0", null);
    Files.writeString(dir.resolve("CHECKSUMS.sha256"), "");

    InstallOutcome outcome = deployer.install("demo", "1.0.0", dir);

    assertThat(outcome)
        .isInstanceOfSatisfying(
            InstallOutcome.Failed.class,
            f -> assertThat(f.message()).contains("`manifest.yaml` is not in CHECKSUMS.sha256"));
  }
}
