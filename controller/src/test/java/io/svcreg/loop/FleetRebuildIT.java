package io.svcreg.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.svcreg.FleetRebuild;
import io.svcreg.Waits;
import io.svcreg.core.ObservedService;
import io.svcreg.core.SvcregException;
import io.svcreg.crash.ServiceProcesses;
import io.svcreg.deploy.RunRecord;
import io.svcreg.deploy.ssh.OpenSshd;
import io.svcreg.schema.Phase;
import io.svcreg.store.Event;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code svcreg recover --from-fleet}: with its store and backup gone, a controller's store is
 * rebuilt from the run records on the controller's host and on a remote node (a real OpenSSH server
 * on 127.0.0.2), and the next controller keeps both services as they run.
 */
class FleetRebuildIT {

  private static final Duration LONG = Duration.ofSeconds(60);
  private static final String USER = System.getProperty("user.name");

  @TempDir Path tmp;
  private Rig rig;
  private OpenSshd node;

  @BeforeEach
  void setUp() {
    rig = new Rig(tmp.resolve("rig"));
    node = OpenSshd.start("127.0.0.2", tmp.resolve("node"), tmp.resolve("id_ed25519")).trusted();
  }

  @AfterEach
  void tearDown() {
    try {
      rig.close();
    } finally {
      node.close();
      killServicesUnder(tmp);
    }
  }

  private String lan() {
    return node.lanNetwork("lan", USER, tmp.resolve("install-0"));
  }

  private static String remote() {
    return remote("one");
  }

  private static String remote(String colour) {
    return "apiVersion: svcreg.io/v1\nkind: Service\nmetadata: {name: rem}\nspec:\n"
        + "  version: \"1\"\n  package: ../packages/rem-1\n  network: lan\n  node: node-0\n"
        + "  env: {COLOUR: "
        + colour
        + "}\n"
        + "  endpoints: [{name: http, port: 9000}]\n"
        + "  health: {script: scripts/health.sh, interval: 1s, timeout: 2s}\n";
  }

  /** How the controller's store is lost. */
  enum Loss {
    STORE_AND_BACKUP_DELETED,
    DATA_FILES_DELETED,
    DATA_FILE_GARBLED,
    TRANSACTION_LOG_GARBLED,
    TYPE_DICTIONARY_GARBLED,
    BACKUP_TRUNCATED_AND_STORE_GARBLED;

    void apply(Path data) throws IOException {
      Path store = data.resolve("store");
      switch (this) {
        case STORE_AND_BACKUP_DELETED -> {
          deleteTree(store);
          deleteTree(data.resolve("store.bak"));
        }
        case DATA_FILES_DELETED -> {
          // everything of the controller's but the install root below it
          try (var list = Files.list(data)) {
            for (Path p : list.toList()) {
              if (!p.getFileName().toString().equals("opt")) {
                deleteTree(p);
              }
            }
          }
        }
        case DATA_FILE_GARBLED -> garble(store.resolve("channel_0/channel_0_1.dat"));
        case TRANSACTION_LOG_GARBLED -> garble(store.resolve("channel_0/transactions_0.sft"));
        case TYPE_DICTIONARY_GARBLED -> garble(store.resolve("PersistenceTypeDictionary.ptd"));
        case BACKUP_TRUNCATED_AND_STORE_GARBLED -> {
          try (var walk = Files.walk(data.resolve("store.bak"))) {
            for (Path f : walk.filter(Files::isRegularFile).toList()) {
              Files.write(f, new byte[0]);
            }
          }
          garble(store.resolve("channel_0/channel_0_1.dat"));
        }
      }
    }

    private static void garble(Path file) throws IOException {
      byte[] bytes = Files.readAllBytes(file);
      new java.util.Random(42).nextBytes(bytes);
      Files.write(file, bytes);
    }
  }

  @ParameterizedTest
  @EnumSource(Loss.class)
  void recoverFromFleet_storeLost_serveRefusesThenNextControllerKeepsEveryProcess(Loss loss)
      throws Exception {
    rig.light("loc-1", "loc", "1", Rig.HEALTHY);
    rig.light("loc-2", "loc", "2", Rig.HEALTHY);
    rig.light("rem-1", "rem", "1", Rig.HEALTHY);
    rig.write(
        "all.yaml", rig.network(), rig.service("loc", "1", "loc-1").toString(), lan(), remote());
    rig.start();
    rig.awaitRunning(LONG, "loc", "rem");
    // an upgrade, so that a previous version is kept for rollback
    rig.write(
        "all.yaml", rig.network(), rig.service("loc", "2", "loc-2").toString(), lan(), remote());
    rig.await(
        LONG,
        "loc",
        "version 2 running",
        o -> o.status().deployedVersion().equals(java.util.Optional.of("2")));
    rig.awaitRunning(LONG, "loc", "rem");
    rig.stopController();
    rig.start(); // a second start: the store has a backup of this state
    rig.awaitRunning(LONG, "loc", "rem");
    // ... which a change makes stale: rem runs as another process now
    long first = rig.pid("rem");
    rig.write(
        "all.yaml",
        rig.network(),
        rig.service("loc", "2", "loc-2").toString(),
        lan(),
        remote("two"));
    rig.await(
        LONG, "rem", "restarted with COLOUR=two", o -> o.status().pid().orElse(first) != first);
    rig.awaitRunning(LONG, "loc", "rem");
    ObservedService loc = rig.service("loc");
    ObservedService rem = rig.service("rem");
    rig.stopController();

    loss.apply(rig.data);

    // never an empty store that would start both a second time: serve refuses, naming the way
    assertThatThrownBy(rig::start)
        .isInstanceOf(SvcregException.class)
        .hasMessageContaining("svcreg recover --data " + rig.data)
        .hasMessageContaining("--empty");

    StringWriter out = new StringWriter();
    int code = rig.recoverFromFleet(out);

    assertThat(code).as(out.toString()).isZero();
    assertThat(out.toString())
        .contains("adopted 2 running services")
        .contains("adopted loc 2 on the controller's host: pid " + loc.status().pid().orElseThrow())
        .contains("adopted rem 1 on node node-0 of network lan: pid " + rem.status().pid().get())
        .contains(FleetRebuild.REGISTRY_LOST)
        .doesNotContain("not accounted for");

    rig.start();
    long after = rig.app().store().lastRevision();
    rig.awaitRunning(LONG, "loc", "rem");
    for (ObservedService before : List.of(loc, rem)) {
      String name = before.metadata().name();
      ObservedService now = rig.service(name);
      assertThat(now.status().pid()).as(name).isEqualTo(before.status().pid());
      assertThat(now.status().address()).as(name).isEqualTo(before.status().address());
      assertThat(now.status().deployedVersion()).isEqualTo(before.status().deployedVersion());
      assertThat(now.status().previousVersion()).isEqualTo(before.status().previousVersion());
      assertThat(rig.app().store().leases(name))
          .as(name + " keeps its lease")
          .anyMatch(l -> l.address().equals(now.status().address().get()));
      assertThat(
              rig.eventsAfter(after).stream()
                  .filter(e -> e.key().equals("Service/" + name))
                  .filter(e -> e.type().equals(Event.SERVICE_STATE_CHANGED))
                  .map(e -> Rig.data(e).get("to")))
          .as(name + " is not started again")
          .doesNotContain(Phase.STARTING.wireName());
      assertThat(rig.eventValues(after, "deployment_progress", name, "phase"))
          .as(name + " is not installed again")
          .isEmpty();
    }
    assertThat(rig.service("loc").status().previousVersion()).contains("1");
    assertNothingElseRuns(loc, rem);
  }

  @Test
  void damagedStore_backupAgreesWithTheFleet_restoredByItselfAndNothingStartedAgain()
      throws Exception {
    Both both = runBothWithABackupThenStop();
    ObservedService loc = both.loc();
    ObservedService rem = both.rem();

    Loss.DATA_FILE_GARBLED.apply(rig.data);

    rig.start();
    long after = rig.app().store().lastRevision();
    rig.awaitRunning(LONG, "loc", "rem");
    for (ObservedService before : List.of(loc, rem)) {
      String name = before.metadata().name();
      assertThat(rig.service(name).status().pid()).as(name).isEqualTo(before.status().pid());
      assertThat(rig.eventValues(after, Event.SERVICE_STATE_CHANGED, name, "to"))
          .as(name + " is not started again")
          .doesNotContain(Phase.STARTING.wireName());
    }
    try (var list = Files.list(rig.data)) {
      assertThat(list.map(p -> p.getFileName().toString()))
          .as("the damaged store is kept")
          .anyMatch(n -> n.startsWith("store.corrupt-"));
    }
    assertNothingElseRuns(loc, rem);
  }

  @Test
  void recoverFromFleet_aServiceThatEndedMeanwhile_keepsItsAddressAndIsStartedAgain()
      throws Exception {
    Both both = runBothWithABackupThenStop();
    ObservedService loc = both.loc();
    ObservedService rem = both.rem();
    // rem's process ends while no controller watches; then the store is lost
    ProcessHandle gone = ProcessHandle.of(rem.status().pid().orElseThrow()).orElseThrow();
    gone.destroyForcibly();
    gone.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
    Loss.STORE_AND_BACKUP_DELETED.apply(rig.data);

    StringWriter out = new StringWriter();
    int code = rig.recoverFromFleet(out);

    assertThat(code).as(out.toString()).isZero();
    assertThat(out.toString())
        .contains("adopted 1 running service")
        .contains("adopted loc 1 on the controller's host: pid " + loc.status().pid().get())
        .contains(
            "not running: rem 1 on node node-0 of network lan,"
                + " address "
                + rem.status().address().get()
                + ": the process its run record names (pid "
                + rem.status().pid().get()
                + ") no longer runs; the controller starts it");
    rig.start();
    rig.awaitRunning(LONG, "loc", "rem");
    ObservedService again = rig.service("rem");
    assertThat(again.status().address()).as("rem's address").isEqualTo(rem.status().address());
    assertThat(again.status().pid()).isNotEqualTo(rem.status().pid());
    assertThat(rig.service("loc").status().pid()).isEqualTo(loc.status().pid());
    assertNothingElseRuns(loc, again);
  }

  @Test
  void damagedStore_backupDisagreesWithTheFleet_refusedNamingWhy() throws Exception {
    runBothWithABackup();
    long first = rig.pid("rem");
    rig.write(
        "all.yaml",
        rig.network(),
        rig.service("loc", "1", "loc-1").toString(),
        lan(),
        remote("two"));
    rig.await(LONG, "rem", "restarted", o -> o.status().pid().orElse(first) != first);
    rig.stopController();

    Loss.DATA_FILE_GARBLED.apply(rig.data);

    assertThatThrownBy(rig::start)
        .isInstanceOf(SvcregException.class)
        .hasMessageContaining("its backup was not restored (it does not agree with the fleet: rem")
        .hasMessageContaining("--from-fleet");
    assertThat(rig.data.resolve("store")).doesNotExist();
    assertThat(rig.data.resolve("store.bak")).isDirectory();
  }

  @Test
  void recoverFromFleet_aStoppedService_keepsTheAddressItWasStoppedWith() throws Exception {
    runBothWithABackup();
    ObservedService rem = rig.service("rem");
    stopRemThenLoseTheStore();

    // an empty store would not know rem's address, which rem still holds on its node
    assertThatThrownBy(rig::start)
        .isInstanceOf(SvcregException.class)
        .hasMessageContaining(
            "rem 1 on node node-0 of network lan, address "
                + rem.status().address().get()
                + ": stopped");

    StringWriter out = new StringWriter();
    assertThat(rig.recoverFromFleet(out)).as(out.toString()).isZero();

    assertThat(out.toString())
        .contains(
            "not running: rem 1 on node node-0 of network lan, address "
                + rem.status().address().get()
                + ": stopped; the controller starts it as declared");
    rig.start();
    assertThat(rig.app().store().leases("rem"))
        .as("rem's address is still its own")
        .anyMatch(l -> l.address().equals(rem.status().address().get()));
    rig.write(
        "all.yaml", rig.network(), rig.service("loc", "1", "loc-1").toString(), lan(), remote());
    rig.awaitRunning(LONG, "loc", "rem");
    assertThat(rig.service("rem").status().address()).isEqualTo(rem.status().address());
  }

  @Test
  void recoverFromFleet_aRunningServiceNoLongerDeclared_adoptedThenStoppedAndRemoved()
      throws Exception {
    runBothWithABackup();
    ObservedService loc = rig.service("loc");
    long remPid = rig.pid("rem");
    rig.stopController();
    // the store is lost, and meanwhile rem was taken out of the specs
    Loss.STORE_AND_BACKUP_DELETED.apply(rig.data);
    rig.write("all.yaml", rig.network(), rig.service("loc", "1", "loc-1").toString(), lan());

    StringWriter out = new StringWriter();
    assertThat(rig.recoverFromFleet(out)).as(out.toString()).isZero();

    assertThat(out.toString())
        .contains("adopted 2 running services")
        .contains(
            "adopted rem 1 on node node-0 of network lan: pid "
                + remPid
                + ", address "
                + "127.0.0.")
        .contains("; no longer declared: the controller stops and removes it")
        .doesNotContain("not accounted for");
    rig.start();
    Waits.atMost(LONG)
        .alias("rem is stopped and removed")
        .until(() -> rig.find("rem").isEmpty() && !Rig.alive(remPid));
    assertThat(tmp.resolve("install-0"))
        .as("nothing of rem is left on the node")
        .isEmptyDirectory();
    assertNothingElseRuns(loc);
  }

  @Test
  void dataDirectoryDeletedWithItsInstallRoot_processFoundByItsEnvironment_neverRunTwice()
      throws Exception {
    Both both = runBothWithABackupThenStop();
    ObservedService loc = both.loc();
    ObservedService rem = both.rem();
    long pid = loc.status().pid().orElseThrow();
    deleteTree(rig.data); // this host's install root and run records with it; loc still runs

    assertThatThrownBy(rig::start)
        .isInstanceOf(SvcregException.class)
        .hasMessageContaining("loc 1 on the controller's host: pid " + pid)
        .hasMessageContaining("--from-fleet");
    StringWriter out = new StringWriter();
    assertThat(rig.recoverFromFleet(out)).as(out.toString()).isZero();
    assertThat(out.toString())
        .contains(
            "adopted loc 1 on the controller's host: pid "
                + pid
                + ", address "
                + loc.status().address().get())
        .contains("it has no run record: found by its environment");

    rig.start();
    // its version's directory went with the data directory: stopped, installed and started again
    // on its address, never a second copy beside it
    rig.awaitNewProcess(LONG, "loc", pid);
    rig.awaitRunning(LONG, "loc", "rem");
    assertThat(Rig.alive(pid)).as("the old process").isFalse();
    ObservedService again = rig.service("loc");
    assertThat(again.status().address()).isEqualTo(loc.status().address());
    assertThat(rig.service("rem").status().pid()).isEqualTo(rem.status().pid());
    assertNothingElseRuns(again, rem);
  }

  @Test
  void recoverFromFleet_aStopThatDidNotHappen_adoptedAsRunning() throws Exception {
    Both both = runBothWithABackupThenStop();
    // as a controller killed after recording a stop of rem, before it stopped it, leaves it
    Path record = tmp.resolve("install-0").resolve(io.svcreg.deploy.RunRecord.fileName("rem"));
    Files.writeString(record, Files.readString(record).replace("state=running", "state=stopping"));
    Loss.STORE_AND_BACKUP_DELETED.apply(rig.data);

    StringWriter out = new StringWriter();
    assertThat(rig.recoverFromFleet(out)).as(out.toString()).isZero();

    assertThat(out.toString())
        .contains(
            "adopted rem 1 on node node-0 of network lan: pid " + both.rem().status().pid().get())
        .contains("a stop was under way and did not happen");
    rig.start();
    rig.awaitRunning(LONG, "loc", "rem");
    assertThat(rig.service("rem").status().pid()).isEqualTo(both.rem().status().pid());
    assertNothingElseRuns(both.loc(), both.rem());
  }

  @Test
  void recoverFromFleet_aStoppedServiceNoLongerDeclared_recordedForTheNextServeToRemove()
      throws Exception {
    stopRemThenLoseTheStoreAndItsSpec();

    StringWriter out = new StringWriter();
    assertThat(rig.recoverFromFleet(out)).as(out.toString()).isZero();

    assertThat(out.toString())
        .contains(
            "not running: rem 1 on node node-0 of network lan: no longer declared and not"
                + " running: the controller removes what it left")
        .doesNotContain("not accounted for");
    rig.start();
    Waits.atMost(LONG).alias("rem is removed").until(() -> rig.find("rem").isEmpty());
    assertThat(tmp.resolve("install-0")).as("nothing of rem on the node").isEmptyDirectory();
  }

  /**
   * A controller killed while it removed a service, after it deleted the install directories and
   * before the run record: the record is all that is left of it on the node, and the next
   * controller removes it too.
   */
  @Test
  void recoverFromFleet_onlyTheRunRecordLeftOfAServiceNoLongerDeclared_removedByTheNextServe()
      throws Exception {
    stopRemThenLoseTheStoreAndItsSpec();
    try (Stream<Path> installs = Files.list(tmp.resolve("install-0"))) {
      for (Path p : installs.toList()) {
        if (!p.getFileName().toString().startsWith(RunRecord.PREFIX)) {
          deleteTree(p);
        }
      }
    }
    assertThat(tmp.resolve("install-0").resolve(RunRecord.fileName("rem"))).isRegularFile();

    StringWriter out = new StringWriter();
    assertThat(rig.recoverFromFleet(out)).as(out.toString()).isZero();
    rig.start();
    Waits.atMost(LONG).alias("rem is removed").until(() -> rig.find("rem").isEmpty());
    Waits.atMost(LONG)
        .alias("its run record is removed from the node")
        .until(() -> isEmptyDirectory(tmp.resolve("install-0")));
  }

  /**
   * rem stopped by its spec, then the controller stopped, its store and backup lost, and rem no
   * longer declared.
   */
  private void stopRemThenLoseTheStoreAndItsSpec() throws Exception {
    runBothWithABackup();
    stopRemThenLoseTheStore();
    rig.write("all.yaml", rig.network(), rig.service("loc", "1", "loc-1").toString(), lan());
  }

  /** rem stopped by its spec, then the controller stopped and its store and backup lost. */
  private void stopRemThenLoseTheStore() throws Exception {
    String stopped = remote().replace("  version:", "  state: stopped\n  version:");
    rig.write(
        "all.yaml", rig.network(), rig.service("loc", "1", "loc-1").toString(), lan(), stopped);
    rig.await(LONG, "rem", "stopped", o -> o.status().phase() == Phase.STOPPED);
    rig.stopController();
    Loss.STORE_AND_BACKUP_DELETED.apply(rig.data);
  }

  private static boolean isEmptyDirectory(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.findAny().isEmpty();
    }
  }

  /**
   * No orphan: the processes started from the install roots of this host and of the node (found in
   * {@code /proc} by their {@code SERVICE_HOME}) are exactly the process groups of {@code services}
   * (a health check that runs meanwhile is waited out).
   */
  private void assertNothingElseRuns(ObservedService... services) {
    Set<Long> recorded = new TreeSet<>();
    for (ObservedService o : services) {
      recorded.add(o.status().pid().orElseThrow());
    }
    Waits.atMost(Duration.ofSeconds(20))
        .alias("the services' processes are exactly the recorded ones " + recorded)
        .until(
            () -> {
              return ServiceProcesses.below(tmp).stream()
                  .map(ServiceProcesses.Found::pgid)
                  .collect(Collectors.toCollection(TreeSet::new))
                  .equals(recorded);
            });
  }

  /** loc and rem as the controller last recorded them. */
  private record Both(ObservedService loc, ObservedService rem) {}

  /** {@link #runBothWithABackup}, then stops the controller; both as it recorded them. */
  private Both runBothWithABackupThenStop() {
    runBothWithABackup();
    Both both = new Both(rig.service("loc"), rig.service("rem"));
    rig.stopController();
    return both;
  }

  /** Runs loc (this host) and rem (the node), then starts the controller again: a backup. */
  private void runBothWithABackup() {
    rig.light("loc-1", "loc", "1", Rig.HEALTHY);
    rig.light("rem-1", "rem", "1", Rig.HEALTHY);
    rig.write(
        "all.yaml", rig.network(), rig.service("loc", "1", "loc-1").toString(), lan(), remote());
    rig.start();
    rig.awaitRunning(LONG, "loc", "rem");
    rig.stopController();
    rig.start(); // the backup of this state
    rig.awaitRunning(LONG, "loc", "rem");
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var walk = Files.walk(dir)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /** Kills every process whose working directory is below {@code dir} (the nodes' services). */
  private static void killServicesUnder(Path dir) {
    try (var procs = Files.list(Path.of("/proc"))) {
      procs
          .filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
          .forEach(
              p -> {
                try {
                  if (Files.readSymbolicLink(p.resolve("cwd")).startsWith(dir)) {
                    ProcessHandle.of(Long.parseLong(p.getFileName().toString()))
                        .ifPresent(ProcessHandle::destroyForcibly);
                  }
                } catch (IOException | RuntimeException e) {
                  // gone already, or not ours to read
                }
              });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
