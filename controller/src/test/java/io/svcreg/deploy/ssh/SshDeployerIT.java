package io.svcreg.deploy.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.deploy.AddressOutcome;
import io.svcreg.deploy.DeployReasons;
import io.svcreg.deploy.DeployTimeouts;
import io.svcreg.deploy.HealthResult;
import io.svcreg.deploy.InstallMarker;
import io.svcreg.deploy.InstallOutcome;
import io.svcreg.deploy.Launch;
import io.svcreg.deploy.NodeRecords;
import io.svcreg.deploy.Observation;
import io.svcreg.deploy.ProcessRef;
import io.svcreg.deploy.RecordReads;
import io.svcreg.deploy.RunRecord;
import io.svcreg.deploy.StartOutcome;
import io.svcreg.deploy.StopOutcome;
import io.svcreg.deploy.StopStep;
import io.svcreg.deploy.TestPackages;
import io.svcreg.deploy.UninstallOutcome;
import io.svcreg.deploy.local.LocalDeployer;
import io.svcreg.deploy.local.LocalProcesses;
import io.svcreg.deploy.local.Waiter;
import io.svcreg.schema.Cidr;
import io.svcreg.schema.Endpoint;
import io.svcreg.schema.Ipv4;
import io.svcreg.schema.Protocol;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link SshDeployer} against a real OpenSSH server on 127.0.0.2, as a node of a LAN network. */
class SshDeployerIT {

  private static final String USER = System.getProperty("user.name");
  private static final DeployTimeouts FAST =
      new DeployTimeouts(
          Duration.ofMillis(500),
          Duration.ofSeconds(3),
          Duration.ofSeconds(3),
          Duration.ofSeconds(2));

  @TempDir static Path shared;
  static OpenSshd sshd;

  @TempDir Path tmp;
  private final List<SshDeployer> deployers = Collections.synchronizedList(new ArrayList<>());

  @BeforeAll
  static void startServer() {
    sshd =
        OpenSshd.start("127.0.0.2", shared.resolve("node"), shared.resolve("id_ed25519")).trusted();
  }

  @AfterAll
  static void stopServer() {
    sshd.close();
  }

  @org.junit.jupiter.api.AfterEach
  void closeDeployers() {
    deployers.forEach(SshDeployer::close);
  }

  private SshDeployer deployer(Path installRoot) {
    return deployer(target(installRoot));
  }

  private SshTarget target(Path installRoot) {
    return new SshTarget(
        "node-a",
        sshd.host,
        sshd.port,
        USER,
        sshd.clientKey,
        sshd.knownHosts,
        installRoot.toString());
  }

  /** A deployer for the node's root that fences its commands with {@code epoch}. */
  private SshDeployer fenced(Path root, AtomicLong epoch) {
    SshDeployer d =
        new SshDeployer(
            target(root),
            FAST,
            InstantSource.system(),
            new SshDeployer.Options(
                    Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofSeconds(30))
                .withEpoch(epoch::get));
    deployers.add(d);
    return d;
  }

  private SshDeployer deployer(SshTarget target) {
    SshDeployer d =
        new SshDeployer(
            target,
            FAST,
            InstantSource.system(),
            new SshDeployer.Options(
                Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofSeconds(30)));
    deployers.add(d);
    return d;
  }

  private Path pkg(String name, String version, String health) throws IOException {
    Path dir = tmp.resolve("pkg-" + name + "-" + version);
    TestPackages.directory(
        dir,
        name,
        "echo \"starting $SERVICE_NAME $SERVICE_VERSION at $SERVICE_IP:$SERVICE_PORT_HTTP\"\nexec sleep 300",
        "kill \"$SERVICE_PID\"",
        health);
    Files.writeString(dir.resolve("bin-version"), version);
    return dir;
  }

  private static Launch launch(String service, String version) {
    return new Launch(
        service,
        version,
        Ipv4.of("127.0.0.2"),
        List.of(new Endpoint("http", 8080, Protocol.TCP)),
        Map.of("db", "127.0.0.3:5432"),
        Map.of("GREETING", "hello 'quoted' $world"));
  }

  @Test
  void install_start_health_stop_uninstall_overSsh_behaveAsLocally() throws IOException {
    Path root = tmp.resolve("opt");
    SshDeployer d = deployer(root);
    List<String> phases = Collections.synchronizedList(new ArrayList<>());
    InstallOutcome out =
        d.install(
            "web", "1.0.0", pkg("web", "1.0.0", "exit 0"), (phase, details) -> phases.add(phase));

    assertThat(out).isInstanceOf(InstallOutcome.Installed.class);
    assertThat(((InstallOutcome.Installed) out).changed()).isTrue();
    Path home = root.resolve("web-1.0.0");
    assertThat(home.resolve("scripts/start.sh")).isExecutable();
    assertThat(home.resolve(InstallMarker.FILE)).exists();
    assertThat(phases).containsSubsequence("connect", "upload", "verify", "install");
    assertThat(TestPackages.names(root)).containsExactly("web-1.0.0");

    InstallOutcome again = d.install("web", "1.0.0", pkg("web", "1.0.0", "exit 0"));
    assertThat(((InstallOutcome.Installed) again).changed()).isFalse();

    StartOutcome started = d.start(launch("web", "1.0.0"));
    assertThat(started).isInstanceOf(StartOutcome.Started.class);
    ProcessRef ref = ((StartOutcome.Started) started).process();
    assertThat(d.observe("web", "1.0.0", Optional.of(ref))).isEqualTo(new Observation(true, true));
    assertThat(Files.readString(home.resolve("logs/service.log")))
        .contains("starting web 1.0.0 at 127.0.0.2:8080");
    assertThat(LocalProcesses.environment(ref.pid()))
        .containsEntry("DB_ADDR", "127.0.0.3:5432")
        .containsEntry("GREETING", "hello 'quoted' $world")
        .containsEntry("SERVICE_HOME", home.toString());
    assertThat(d.checkHealth(launch("web", "1.0.0"), "scripts/health.sh", Duration.ofSeconds(5)))
        .isInstanceOf(HealthResult.Passing.class);

    StopOutcome stopped = d.stop(launch("web", "1.0.0"), ref);
    assertThat(stopped).isEqualTo(new StopOutcome.Stopped(StopStep.STOP_SCRIPT));
    assertThat(d.observe("web", "1.0.0", Optional.of(ref))).isEqualTo(new Observation(true, false));
    assertThat(d.stop(launch("web", "1.0.0"), ref))
        .isEqualTo(new StopOutcome.Stopped(StopStep.NOT_RUNNING));

    assertThat(d.uninstall("web")).isEqualTo(new UninstallOutcome.Uninstalled(List.of("1.0.0")));
    assertThat(TestPackages.names(root)).isEmpty();
  }

  @Test
  void upgrade_threeVersions_keepsCurrentAndPrevious() throws IOException {
    Path root = tmp.resolve("opt");
    SshDeployer d = deployer(root);
    for (String v : List.of("1", "2", "3")) {
      assertThat(d.install("api", v, pkg("api", v, null)))
          .isInstanceOf(InstallOutcome.Installed.class);
    }
    assertThat(d.installed("api")).containsExactly("3", "2");
    assertThat(TestPackages.names(root)).containsExactly("api-2", "api-3");
    assertThat(Files.readString(root.resolve("api-3/bin-version"))).isEqualTo("3");
  }

  @Test
  void install_tarGzPackageOfSeveralMegabytes_uploadsItAsIs() throws IOException {
    Path root = tmp.resolve("opt");
    Path dir = pkg("arc", "1", null);
    byte[] blob = new byte[3 * 1024 * 1024 + 17]; // many SFTP write requests
    new java.util.Random(3).nextBytes(blob);
    Files.createDirectories(dir.resolve("bin"));
    Files.write(dir.resolve("bin/blob"), blob);
    Path archive = TestPackages.tarGz(dir, tmp.resolve("arc-1.tar.gz"));
    InstallOutcome out = deployer(root).install("arc", "1", archive);
    assertThat(out).isInstanceOf(InstallOutcome.Installed.class);
    assertThat(root.resolve("arc-1/scripts/stop.sh")).isExecutable();
    assertThat(Files.readAllBytes(root.resolve("arc-1/bin/blob"))).isEqualTo(blob);
  }

  @Test
  void install_missingRequiredCommand_failsBeforeInstalling() throws IOException {
    Path root = tmp.resolve("opt");
    Path p = pkg("req", "1", null);
    Files.writeString(
        p.resolve("manifest.yaml"),
        "name: req\nversion: \"1\"\nrequires:\n  commands: [sh, no-such-command-xyz]\n"
            + "  libraries: [libc.so.6, libnot-there-xyz.so]\n");
    InstallOutcome out = deployer(root).install("req", "1", p);
    assertThat(out).isInstanceOf(InstallOutcome.Failed.class);
    InstallOutcome.Failed f = (InstallOutcome.Failed) out;
    assertThat(f.reason()).isEqualTo(DeployReasons.REQUIREMENT_MISSING);
    assertThat(f.message())
        .contains("command no-such-command-xyz")
        .contains("library libnot-there-xyz.so")
        .doesNotContain("command sh,");
    assertThat(TestPackages.names(root)).isEmpty();
  }

  @Test
  void install_missingRequirements_sameRuleAndMessageAsOnTheControllersHost() throws IOException {
    Path tool = Files.writeString(tmp.resolve("svcreg-tool"), "#!/bin/sh\n");
    TestPackages.setMode(tool, 0755);
    Path p = pkg("req", "1", null);
    Files.writeString(
        p.resolve("manifest.yaml"),
        "name: req\nversion: \"1\"\nrequires:\n  commands: [sh, "
            + tool
            + ", svcreg-no-such-command-xyz, bin/sh]\n"
            + "  libraries: [libc.so.6, libc.so.6.not-there-xyz]\n");
    LocalDeployer local =
        new LocalDeployer(
            tmp.resolve("local"), FAST, InstantSource.system(), Waiter.system(), Map.of());

    SshDeployer remote = deployer(tmp.resolve("opt"));
    InstallOutcome.Failed onNode = (InstallOutcome.Failed) remote.install("req", "1", p);
    InstallOutcome.Failed here = (InstallOutcome.Failed) local.install("req", "1", p);

    assertThat(onNode.reason()).isEqualTo(DeployReasons.REQUIREMENT_MISSING);
    assertThat(onNode.message())
        .contains(
            ": missing command svcreg-no-such-command-xyz, command bin/sh,"
                + " library libc.so.6.not-there-xyz (");
    assertThat(here)
        .isEqualTo(
            new InstallOutcome.Failed(
                onNode.reason(),
                onNode.message().replace(remote.target().describe(), "the controller's host")));
  }

  @Test
  void start_scriptExitsAtOnce_failsWithLogTail() throws IOException {
    Path root = tmp.resolve("opt");
    Path dir = tmp.resolve("bad");
    TestPackages.directory(dir, "bad", "echo cannot bind; exit 3", "true", null);
    SshDeployer d = deployer(root);
    d.install("bad", "1", dir);
    StartOutcome out = d.start(launch("bad", "1"));
    assertThat(out).isInstanceOf(StartOutcome.Failed.class);
    StartOutcome.Failed f = (StartOutcome.Failed) out;
    assertThat(f.reason()).isEqualTo(DeployReasons.EXITED_DURING_START);
    assertThat(f.message()).contains("exited with code 3");
    assertThat(f.logTail()).contains("cannot bind");
    assertThat(runRecord(root, "bad").orElseThrow())
        .extracting(RunRecord::state, RunRecord::process)
        .containsExactly(RunRecord.State.STOPPED, Optional.empty());
  }

  private static Optional<RunRecord> runRecord(Path root, String service) {
    return RunRecord.read(root.resolve(RunRecord.fileName(service)));
  }

  @Test
  void runRecord_startAndStop_writtenOnTheNodeBeforeAndAfterEach_listedAndDeletedWithTheService()
      throws Exception {
    Path root = tmp.resolve("opt");
    SshDeployer d = deployer(root);
    assertThat(d.install("rec", "2", TestPackages.recordChecking(tmp.resolve("src-rec"), "rec")))
        .isInstanceOf(InstallOutcome.Installed.class);
    Launch launch = launch("rec", "2").from(new Launch.Origin("c0ffee", 5, "", Optional.of("1")));
    Instant before = Instant.now();

    StartOutcome out;
    StopOutcome stop;
    RunRecord running;
    try (RecordReads reads = RecordReads.of(root.resolve(RunRecord.fileName("rec")))) {
      // start.sh exits at once unless the record says starting
      out = d.start(launch);
      assertThat(out).as(() -> log(root, "rec-2")).isInstanceOf(StartOutcome.Started.class);
      running = runRecord(root, "rec").orElseThrow();
      // stop.sh fails unless the record says stopping: then the stop would need SIGTERM
      stop = d.stop(launch, ((StartOutcome.Started) out).process());
      assertThat(reads.broken()).as("reads that found a part of the record").isEmpty();
      assertThat(reads.whole()).isPositive();
    }

    ProcessRef ref = ((StartOutcome.Started) out).process();
    assertThat(running)
        .usingRecursiveComparison()
        .ignoringFields("writtenAt")
        .isEqualTo(
            RunRecord.of(
                launch, RunRecord.State.RUNNING, Optional.of(ref), Optional.empty(), before));
    assertThat(running.writtenAt()).isBetween(before, Instant.now());
    assertThat(stop)
        .as(() -> log(root, "rec-2"))
        .isEqualTo(new StopOutcome.Stopped(StopStep.STOP_SCRIPT));
    RunRecord stopped = runRecord(root, "rec").orElseThrow();
    assertThat(stopped)
        .isEqualTo(running.then(RunRecord.State.STOPPED, Optional.empty(), stopped.writtenAt()));
    NodeRecords listed = d.records();
    assertThat(listed.runs()).containsExactly(stopped);
    assertThat(listed.installs())
        .containsExactly(
            new NodeRecords.Installed(
                InstallMarker.read(root.resolve("rec-2")).orElseThrow(),
                root.resolve("rec-2").toString(),
                true));
    assertThat(TestPackages.names(root))
        .as("the record, and no temporary file")
        .containsExactly(RunRecord.fileName("rec"), "rec-2");

    assertThat(d.uninstall("rec")).isEqualTo(new UninstallOutcome.Uninstalled(List.of("2")));
    assertThat(TestPackages.names(root)).isEmpty();
    assertThat(d.records()).isEqualTo(new NodeRecords(List.of(), List.of()));
  }

  @Test
  void bindForStart_recordsTheStartBeforeTheAddress_soTheNodeNamesWhoItIsFor() throws Exception {
    Path root = tmp.resolve("opt");
    SshDeployer d = deployer(root);
    assertThat(d.install("web", "1.0.0", pkg("web", "1.0.0", "exit 0")))
        .isInstanceOf(InstallOutcome.Installed.class);
    Launch launch =
        launch("web", "1.0.0").from(new Launch.Origin("c0ffee", 3, "", Optional.empty()));
    Instant before = Instant.now();

    // 127.0.0.2 is loopback's on the node: present, nothing to add
    assertThat(d.bindForStart(launch, Cidr.of("127.0.0.0/24")))
        .isEqualTo(new AddressOutcome.Done(""));

    RunRecord starting = runRecord(root, "web").orElseThrow();
    assertThat(starting)
        .usingRecursiveComparison()
        .ignoringFields("writtenAt")
        .isEqualTo(
            RunRecord.of(
                launch, RunRecord.State.STARTING, Optional.empty(), Optional.empty(), before));
    assertThat(starting.address()).contains(Ipv4.of("127.0.0.2"));
    assertThat(d.records().runs()).containsExactly(starting);
  }

  @Test
  void fencedDeployers_aLowerEpochAfterAHigherOne_refusedWithNodeFencedNothingDone()
      throws Exception {
    Path root = tmp.resolve("opt");
    AtomicLong old = new AtomicLong(4);
    AtomicLong next = new AtomicLong(5);
    SshDeployer deposed = fenced(root, old);
    SshDeployer leader = fenced(root, next);
    assertThat(deposed.install("web", "1.0.0", pkg("web", "1.0.0", "exit 0")))
        .isInstanceOf(InstallOutcome.Installed.class);
    assertThat(Files.readString(root.resolve(SshDeployer.EPOCH_FILE))).isEqualTo("4\n");
    StartOutcome started = leader.start(launch("web", "1.0.0"));
    assertThat(started).isInstanceOf(StartOutcome.Started.class);
    assertThat(Files.readString(root.resolve(SshDeployer.EPOCH_FILE))).isEqualTo("5\n");
    ProcessRef ref = ((StartOutcome.Started) started).process();

    // the deposed leader's stop and uninstall are refused: the process runs, the files stay
    StopOutcome stop = deposed.stop(launch("web", "1.0.0"), ref);
    assertThat(stop).isInstanceOf(StopOutcome.Failed.class);
    StopOutcome.Failed f = (StopOutcome.Failed) stop;
    assertThat(f.reason()).isEqualTo(DeployReasons.NODE_FENCED);
    assertThat(f.message()).contains("has seen epoch 5").contains("(epoch 4) no longer leads");
    assertThat(deposed.uninstall("web")).isInstanceOf(UninstallOutcome.Failed.class);
    assertThat(ProcessHandle.of(ref.pid()).map(ProcessHandle::isAlive)).contains(true);
    assertThat(root.resolve("web-1.0.0")).isDirectory();

    // once it leads again with a higher epoch, it acts
    old.set(6);
    assertThat(deposed.stop(launch("web", "1.0.0"), ref)).isInstanceOf(StopOutcome.Stopped.class);
    assertThat(Files.readString(root.resolve(SshDeployer.EPOCH_FILE))).isEqualTo("6\n");
  }

  private static String log(Path root, String home) {
    try {
      return Files.readString(root.resolve(home).resolve("logs/service.log"));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  @Test
  void checkHealth_hangingOrFailingScript_endsFailing() throws IOException {
    Path root = tmp.resolve("opt");
    SshDeployer d = deployer(root);
    d.install("h", "1", pkg("h", "1", "echo checking; sleep 60 & sleep 60"));
    HealthResult hang =
        d.checkHealth(launch("h", "1"), "scripts/health.sh", Duration.ofMillis(500));
    assertThat(hang).isInstanceOf(HealthResult.Failing.class);
    assertThat(((HealthResult.Failing) hang).reason())
        .isEqualTo(DeployReasons.HEALTH_CHECK_TIMEOUT);
    assertThat(hang.output()).contains("checking");

    d.install("f", "1", pkg("f", "1", "echo down; exit 2"));
    HealthResult fail = d.checkHealth(launch("f", "1"), "scripts/health.sh", Duration.ofSeconds(5));
    assertThat(fail)
        .isEqualTo(
            new HealthResult.Failing(
                DeployReasons.HEALTH_CHECK_FAILED,
                "the health check of f 1 on node node-a ("
                    + USER
                    + "@127.0.0.2:"
                    + sshd.port
                    + ") exited with code 2",
                java.util.OptionalInt.of(2),
                "down"));
    assertThat(d.checkHealth(launch("f", "1"), "../../etc/passwd", Duration.ofSeconds(1)).state())
        .isEqualTo(io.svcreg.schema.HealthState.FAILING);
  }

  @Test
  void checkHealth_onTheNode_crossCheckedWithTheProcess() throws IOException {
    Path root = tmp.resolve("opt");
    SshDeployer d = deployer(root);
    d.install(
        "liar",
        "1",
        pkg(
            "liar",
            "1",
            "if [ -f \"$SERVICE_HOME/hang\" ]; then sleep 60; fi\n"
                + "if [ -f \"$SERVICE_HOME/sick\" ]; then echo not ready; exit 4; fi\n"
                + "echo all good"));
    Launch launch = launch("liar", "1");
    ProcessRef ref = ((StartOutcome.Started) d.start(launch)).process();
    Duration t = Duration.ofSeconds(5);
    assertThat(d.checkHealth(launch, Optional.of(ref), "scripts/health.sh", t))
        .isEqualTo(new HealthResult.Passing("all good"));
    String where = "on node node-a (" + USER + "@127.0.0.2:" + sshd.port + ")";

    // prints and exits non-zero; hangs: the script's own reasons while the process lives
    Files.writeString(root.resolve("liar-1/sick"), "");
    assertThat(d.checkHealth(launch, Optional.of(ref), "scripts/health.sh", t))
        .isEqualTo(
            new HealthResult.Failing(
                DeployReasons.HEALTH_CHECK_FAILED,
                "the health check of liar 1 " + where + " exited with code 4",
                java.util.OptionalInt.of(4),
                "not ready"));
    Files.delete(root.resolve("liar-1/sick"));
    Files.writeString(root.resolve("liar-1/hang"), "");
    HealthResult hang =
        d.checkHealth(launch, Optional.of(ref), "scripts/health.sh", Duration.ofMillis(500));
    assertThat(((HealthResult.Failing) hang).reason())
        .isEqualTo(DeployReasons.HEALTH_CHECK_TIMEOUT);
    Files.delete(root.resolve("liar-1/hang"));

    // the process dies; the script still says passing
    ProcessHandle.of(ref.pid()).ifPresent(ProcessHandle::destroyForcibly);
    io.svcreg.Waits.atMost(Duration.ofSeconds(5)).until(() -> !LocalProcesses.exists(ref.pid()));
    assertThat(d.checkHealth(launch, Optional.of(ref), "scripts/health.sh", t))
        .isEqualTo(
            new HealthResult.Failing(
                DeployReasons.PROCESS_EXITED,
                "the health script of liar 1 "
                    + where
                    + " said passing, but its process (pid "
                    + ref.pid()
                    + ") is gone",
                java.util.OptionalInt.of(0),
                "all good"));
    // a pid that belongs to another process now (here: this JVM) is not the service either
    ProcessRef reused = new ProcessRef(ProcessHandle.current().pid(), ref.startTime());
    assertThat(
            ((HealthResult.Failing)
                    d.checkHealth(launch, Optional.of(reused), "scripts/health.sh", t))
                .reason())
        .isEqualTo(DeployReasons.PROCESS_EXITED);
  }

  @Test
  void connect_unknownHostKey_refusedWithFingerprint_thenTrusted() throws IOException {
    Path root = tmp.resolve("opt");
    Path known = tmp.resolve("known_hosts");
    SshTarget target =
        new SshTarget("node-a", sshd.host, sshd.port, USER, sshd.clientKey, known, root.toString());
    InstallOutcome out = deployer(target).install("k", "1", pkg("k", "1", null));
    assertThat(out).isInstanceOf(InstallOutcome.Failed.class);
    InstallOutcome.Failed f = (InstallOutcome.Failed) out;
    assertThat(f.reason()).isEqualTo(DeployReasons.HOST_KEY_REFUSED);
    assertThat(f.message())
        .contains(sshd.fingerprint())
        .contains("unknown")
        .contains("svcreg trust");
    assertThat(root).doesNotExist();

    HostKeyScan.Key key = HostKeyScan.scan(target, Duration.ofSeconds(10));
    assertThat(key.fingerprint()).isEqualTo(sshd.fingerprint());
    KnownHosts.append(known, sshd.host, sshd.port, key.key());
    assertThat(deployer(target).install("k", "1", pkg("k", "1", null)))
        .isInstanceOf(InstallOutcome.Installed.class);
  }

  @Test
  void connect_changedHostKey_refused() throws IOException {
    Path known = tmp.resolve("known_hosts");
    Path other = tmp.resolve("other_host_key");
    OpenSshd.keygen(other);
    String[] f = Files.readString(Path.of(other + ".pub")).split(" ");
    Files.writeString(known, "[" + sshd.host + "]:" + sshd.port + " " + f[0] + " " + f[1] + "\n");
    SshTarget target =
        new SshTarget(
            "node-a",
            sshd.host,
            sshd.port,
            USER,
            sshd.clientKey,
            known,
            tmp.resolve("opt").toString());
    InstallOutcome.Failed out =
        (InstallOutcome.Failed) deployer(target).install("k", "1", pkg("k", "1", null));
    assertThat(out.reason()).isEqualTo(DeployReasons.HOST_KEY_REFUSED);
    assertThat(out.message()).contains("CHANGED").contains(sshd.fingerprint());
  }

  @Test
  void connect_keyNotAuthorized_authenticationFailed() throws IOException {
    Path stranger = tmp.resolve("stranger");
    OpenSshd.keygen(stranger);
    SshTarget target =
        new SshTarget(
            "node-a",
            sshd.host,
            sshd.port,
            USER,
            stranger,
            sshd.knownHosts,
            tmp.resolve("opt").toString());
    InstallOutcome.Failed out =
        (InstallOutcome.Failed) deployer(target).install("k", "1", pkg("k", "1", null));
    assertThat(out.reason()).isEqualTo(DeployReasons.AUTH_FAILED);
    assertThat(out.message())
        .contains("cannot log in to node node-a")
        .contains(stranger.toString());
  }

  private SshDeployer deployer(SshTarget target, Optional<Path> agent) {
    SshDeployer d =
        new SshDeployer(
            target,
            FAST,
            InstantSource.system(),
            new SshDeployer.Options(
                    Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofSeconds(30))
                .withAgent(agent));
    deployers.add(d);
    return d;
  }

  private SshTarget target(Path identityFile, Path root) {
    return new SshTarget(
        "node-a", sshd.host, sshd.port, USER, identityFile, sshd.knownHosts, root.toString());
  }

  @Test
  void agent_nodeWithoutIdentityFile_logsInWithTheAgentsKey() throws IOException {
    Path root = tmp.resolve("opt");
    try (SshAgentProcess agent = SshAgentProcess.start(tmp.resolve("agent.sock"))) {
      agent.add(sshd.clientKey);
      SshDeployer d = deployer(target(tmp.resolve("no-such-key"), root), Optional.of(agent.socket));

      assertThat(d.install("ag", "1", pkg("ag", "1", "exit 0")))
          .isInstanceOf(InstallOutcome.Installed.class);
      StartOutcome started = d.start(launch("ag", "1"));
      assertThat(started).isInstanceOf(StartOutcome.Started.class);
      ProcessRef ref = ((StartOutcome.Started) started).process();
      assertThat(d.stop(launch("ag", "1"), ref)).isInstanceOf(StopOutcome.Stopped.class);
    }
    assertThat(root.resolve("ag-1/scripts/start.sh")).isExecutable();
  }

  @Test
  void agent_withoutTheNodesKey_authenticationFailedNamingTheAgent() throws IOException {
    Path stranger = tmp.resolve("stranger");
    OpenSshd.keygen(stranger);
    try (SshAgentProcess agent = SshAgentProcess.start(tmp.resolve("agent.sock"))) {
      agent.add(stranger);
      InstallOutcome.Failed out =
          (InstallOutcome.Failed)
              deployer(
                      target(tmp.resolve("no-such-key"), tmp.resolve("opt")),
                      Optional.of(agent.socket))
                  .install("k", "1", pkg("k", "1", null));
      assertThat(out.reason()).isEqualTo(DeployReasons.AUTH_FAILED);
      assertThat(out.message())
          .contains("cannot log in to node node-a")
          .contains("the keys of the SSH agent at " + agent.socket);
    }
  }

  @Test
  void agent_socketGone_identityFileStillUsed() throws IOException {
    SshDeployer d =
        deployer(target(sshd.clientKey, tmp.resolve("opt")), Optional.of(tmp.resolve("gone.sock")));
    assertThat(d.install("k", "1", pkg("k", "1", null)))
        .isInstanceOf(InstallOutcome.Installed.class);
  }

  @Test
  void noAgent_noIdentityFile_authenticationFailedSayingWhatToSet() throws IOException {
    InstallOutcome.Failed out =
        (InstallOutcome.Failed)
            deployer(target(tmp.resolve("no-such-key"), tmp.resolve("opt")), Optional.empty())
                .install("k", "1", pkg("k", "1", null));
    assertThat(out.reason()).isEqualTo(DeployReasons.AUTH_FAILED);
    assertThat(out.message()).contains("no-such-key").contains("SSH_AUTH_SOCK");
  }

  @Test
  void connect_nothingListens_nodeUnreachable() throws IOException {
    int port = TestPackages.freePort("127.0.0.2");
    SshTarget target =
        new SshTarget(
            "node-z",
            "127.0.0.2",
            port,
            USER,
            sshd.clientKey,
            sshd.knownHosts,
            tmp.resolve("opt").toString());
    InstallOutcome.Failed out =
        (InstallOutcome.Failed) deployer(target).install("k", "1", pkg("k", "1", null));
    assertThat(out.reason()).isEqualTo(DeployReasons.NODE_UNREACHABLE);
    assertThat(out.message())
        .contains("cannot connect to node node-z (" + USER + "@127.0.0.2:" + port + ")");
  }
}
