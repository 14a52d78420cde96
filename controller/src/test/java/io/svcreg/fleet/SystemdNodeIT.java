package io.svcreg.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.svcreg.ControllerApp;
import io.svcreg.Waits;
import io.svcreg.core.ObservedService;
import io.svcreg.core.SvcregException;
import io.svcreg.core.rollout.Ledger;
import io.svcreg.deploy.ProcessRef;
import io.svcreg.deploy.RunRecord;
import io.svcreg.loop.Rig;
import io.svcreg.schema.Condition;
import io.svcreg.schema.ExecutionType;
import io.svcreg.schema.HealthState;
import io.svcreg.schema.Phase;
import io.svcreg.store.Event;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code execution: {type: systemd}} on a container node (systemd as PID 1, reached over SSH): the
 * controller writes, enables and starts the service's unit, records its main pid and checks its
 * health; a start that fails says why and leaves the unit disabled; the unit comes back by itself
 * when the node boots without a controller, and a controller started afterwards adopts it without
 * reinstalling; removing the service removes its unit.
 */
class SystemdNodeIT {

  private static final Duration LONG = Duration.ofSeconds(90);
  private static final int PORT = 9000;

  @TempDir static Path shared;
  private static Fleet fleet;
  private static NodeContainer node;

  @TempDir Path tmp;
  private String installRoot;

  @BeforeAll
  static void startNode() {
    fleet = Fleet.open(shared);
    node = fleet.start("node-0");
  }

  @AfterAll
  static void removeNode() {
    if (fleet != null) {
      fleet.close();
    }
  }

  @BeforeEach
  void ownInstallRoot() {
    installRoot = Fleet.installRoot();
  }

  @Test
  void systemdService_deployed_unitEnabledActiveWithEnvironment_removedUnitDeleted() {
    String marker = marker();
    try (Rig rig = new Rig(tmp.resolve("rig"))) {
      rig.light("sd-run-1", "sd-run", "1", Rig.HEALTHY, "exec sleep " + marker);
      rig.write("all.yaml", network(), service("sd-run", "sd-run-1"));
      ControllerApp app = rig.start();
      ObservedService o = rig.await(LONG, "sd-run", "running and healthy", runningHealthy());
      long pid = o.status().pid().orElseThrow();

      // the unit svcreg wrote, enabled and started; its main process is the recorded one
      String unit = unit("sd-run");
      assertThat(node.exec("test", "-f", unitFile("sd-run")).exitCode()).isZero();
      assertThat(systemctl("is-enabled", unit)).isEqualTo("enabled");
      assertThat(systemctl("is-active", unit)).isEqualTo("active");
      assertThat(show(unit, "MainPID")).isEqualTo(Long.toString(pid));
      assertThat(cmdline(pid)).isEqualTo("sleep " + marker);
      // which got the service's environment from the unit
      Map<String, String> env = environ(pid);
      assertThat(env)
          .containsEntry("SERVICE_NAME", "sd-run")
          .containsEntry("SERVICE_VERSION", "1")
          .containsEntry("SERVICE_HOME", installRoot + "/sd-run-1")
          .containsEntry("SERVICE_IP", o.status().address().orElseThrow().toString())
          .containsEntry("SERVICE_PORT_HTTP", Integer.toString(PORT));
      assertThat(show(unit, "Environment")).contains("SERVICE_NAME=sd-run");
      // the node's own record of it, next to its install directory
      RunRecord r =
          RunRecord.parse(
                  node.exec("cat", installRoot + "/" + RunRecord.fileName("sd-run")).stdout())
              .orElseThrow();
      assertThat(r)
          .extracting(
              RunRecord::version,
              RunRecord::execution,
              RunRecord::unit,
              RunRecord::state,
              RunRecord::address,
              RunRecord::controller)
          .containsExactly(
              "1",
              ExecutionType.SYSTEMD,
              Optional.of(unit),
              RunRecord.State.RUNNING,
              o.status().address(),
              app.controllerId());
      assertThat(r.process().map(ProcessRef::pid)).contains(pid);

      // removed from the specs: stopped, disabled, the unit file deleted
      rig.write("all.yaml", network());
      Waits.atMost(LONG)
          .alias("sd-run is removed")
          .pollInterval(Duration.ofMillis(100))
          .until(() -> rig.find("sd-run").isEmpty());
      assertThat(node.exec("test", "-e", unitFile("sd-run")).exitCode()).isEqualTo(1);
      assertThat(show(unit, "LoadState")).isEqualTo("not-found");
      assertThat(systemctl("is-active", unit)).isEqualTo("inactive");
      assertThat(node.exec("pgrep", "-f", "sleep " + marker).exitCode()).isEqualTo(1);
      assertThat(node.exec("ls", "-A", installRoot).stdout()).isEmpty();
    }
  }

  @Test
  void systemdService_startExits_lastErrorHasItsOutputDegradedUnitDisabled() {
    try (Rig rig = new Rig(tmp.resolve("rig"))) {
      rig.light(
          "sd-bad-1",
          "sd-bad",
          "1",
          Rig.HEALTHY,
          "echo \"sd-bad: cannot read config/app.conf\"\nexit 1");
      rig.write("all.yaml", network(), service("sd-bad", "sd-bad-1"));
      rig.start();
      ObservedService o =
          rig.await(
              LONG,
              "sd-bad",
              "failed, Degraded",
              s ->
                  s.status().phase() == Phase.FAILED
                      && s.status().condition(Condition.DEGRADED).isPresent());

      // what it printed, and what the journal says of the unit
      assertThat(o.status().lastError().orElseThrow())
          .contains("exited with code 1")
          .contains("sd-bad: cannot read config/app.conf")
          .contains("svcreg-sd-bad.service: Main process exited, code=exited, status=1/FAILURE");
      assertThat(o.status().condition(Condition.DEGRADED).orElseThrow().message())
          .contains("sd-bad: cannot read config/app.conf");
      assertThat(o.status().pid()).isEmpty();
      // the unit is there (the service is not removed) but disabled: it stays down at a boot
      String unit = unit("sd-bad");
      assertThat(node.exec("test", "-f", unitFile("sd-bad")).exitCode()).isZero();
      assertThat(systemctl("is-enabled", unit)).isEqualTo("disabled");
      assertThat(systemctl("is-active", unit)).isIn("inactive", "failed");
    }
  }

  @Test
  void systemdService_nodeRebootsWithoutController_unitBackAndAdopted() {
    String marker = marker();
    String unit = unit("sd-boot");
    String home = installRoot + "/sd-boot-1";
    try (Rig rig = new Rig(tmp.resolve("rig"))) {
      rig.light("sd-boot-1", "sd-boot", "1", Rig.HEALTHY, "exec sleep " + marker);
      rig.write("all.yaml", network(), service("sd-boot", "sd-boot-1"));
      ControllerApp first = rig.start();
      String address =
          rig.await(LONG, "sd-boot", "running and healthy", runningHealthy())
              .status()
              .address()
              .orElseThrow()
              .toString();
      assertThat(rig.eventValues(0, Event.DEPLOYMENT_PROGRESS, "sd-boot", "phase"))
          .as("the install's progress")
          .contains("upload", "install");
      String installMarker = node.execOk("cat", home + "/.svcreg-install").stdout();
      String inode = node.execOk("stat", "-c", "%i", home).stdout();
      node.execOk("touch", "/run/before-boot"); // /run is a tmpfs: gone after a boot
      long revision = first.store().lastRevision();

      rig.stopController();
      node.restart();

      // systemd started the unit by itself: no controller runs
      assertThat(node.exec("test", "-e", "/run/before-boot").exitCode()).isEqualTo(1);
      Waits.atMost(LONG)
          .alias(unit + " active after the boot")
          .pollInterval(Duration.ofMillis(200))
          .until(() -> systemctl("is-active", unit).equals("active"));
      String mainPid = show(unit, "MainPID");
      String invocation = show(unit, "InvocationID");
      assertThat(cmdline(Long.parseLong(mainPid))).isEqualTo("sleep " + marker);
      // with its address, which the boot took away: the unit configured it again
      assertThat(node.execOk("ip", "-4", "-o", "addr", "show", "dev", "eth0").stdout())
          .contains(address + "/24");

      // a controller started again adopts systemd's process: no crash, no new install
      ControllerApp second = rig.start();
      ObservedService o =
          rig.await(
              LONG,
              "sd-boot",
              "running and healthy as systemd's main pid " + mainPid,
              runningHealthy().and(s -> s.status().pid().orElse(0L).toString().equals(mainPid)));
      assertThat(o.status().condition(Condition.DEGRADED)).isEmpty();
      Ledger ledger = second.store().ledger("sd-boot").orElseThrow();
      assertThat(ledger.crashes()).as("crashes counted").isEmpty();
      assertThat(ledger.process().orElseThrow().pid()).isEqualTo(Long.parseLong(mainPid));
      // the controller did not start the unit again, nor reinstall the version
      assertThat(show(unit, "InvocationID")).isEqualTo(invocation);
      assertThat(show(unit, "MainPID")).isEqualTo(mainPid);
      assertThat(rig.eventValues(revision, Event.DEPLOYMENT_PROGRESS, "sd-boot", "phase"))
          .as("progress after the boot")
          .isEmpty();
      assertThat(node.execOk("cat", home + "/.svcreg-install").stdout()).isEqualTo(installMarker);
      assertThat(node.execOk("stat", "-c", "%i", home).stdout()).isEqualTo(inode);
    }
  }

  /**
   * The store and its backup lost while a systemd unit and a managed process run on the node:
   * {@code serve} refuses to start empty, {@code recover --from-fleet} adopts both from the node's
   * run records, and the next controller keeps them as they run. Nothing is started twice: one unit
   * of svcreg's on the node, the same invocation, and no process started from the install root but
   * the two recorded.
   */
  @Test
  void storeLost_recoverFromFleet_unitAndProcessAdopted_nothingStartedTwiceNoOrphan() {
    String marker = marker();
    String unit = unit("sd-keep");
    try (Rig rig = new Rig(tmp.resolve("rig"))) {
      rig.light("sd-keep-1", "sd-keep", "1", Rig.HEALTHY, "exec sleep " + marker);
      rig.light("mp-keep-1", "mp-keep", "1", Rig.HEALTHY, "exec sleep 1" + marker);
      rig.write(
          "all.yaml",
          network(),
          service("sd-keep", "sd-keep-1"),
          Fleet.service("mp-keep", "mp-keep-1", node.name(), "managed_process", PORT));
      rig.start();
      ObservedService sd = rig.await(LONG, "sd-keep", "running and healthy", runningHealthy());
      ObservedService mp = rig.await(LONG, "mp-keep", "running and healthy", runningHealthy());
      String invocation = show(unit, "InvocationID");
      assertThat(show(unit, "MainPID")).isEqualTo(sd.status().pid().orElseThrow().toString());
      rig.stopController();
      rig.loseStore();

      assertThatThrownBy(rig::start)
          .isInstanceOf(SvcregException.class)
          .hasMessageContaining("--from-fleet");
      StringWriter out = new StringWriter();
      assertThat(rig.recoverFromFleet(out)).as(out.toString()).isZero();
      assertThat(out.toString())
          .contains("adopted 2 running services")
          .contains(
              "adopted sd-keep 1 on node node-0 of network lan: pid " + sd.status().pid().get())
          .contains(
              "adopted mp-keep 1 on node node-0 of network lan: pid " + mp.status().pid().get());

      ControllerApp second = rig.start();
      long after = second.store().lastRevision();
      for (ObservedService before : java.util.List.of(sd, mp)) {
        String name = before.metadata().name();
        ObservedService now = rig.await(LONG, name, "running and healthy", runningHealthy());
        assertThat(now.status().pid()).as(name).isEqualTo(before.status().pid());
        assertThat(now.status().address()).as(name).isEqualTo(before.status().address());
        assertThat(rig.eventValues(after, Event.SERVICE_STATE_CHANGED, name, "to"))
            .as(name + " is not started again")
            .doesNotContain(Phase.STARTING.wireName());
        assertThat(rig.eventValues(after, Event.DEPLOYMENT_PROGRESS, name, "phase"))
            .as(name + " is not installed again")
            .isEmpty();
      }
      assertThat(show(unit, "InvocationID"))
          .as("the unit was not started again")
          .isEqualTo(invocation);
      // the node's units and process table: one unit of this install root (other tests' units
      // may share the node), and the two recorded processes
      assertThat(
              node.execOk(
                      "sh",
                      "-c",
                      "grep -l -- '"
                          + installRoot
                          + "/' /etc/systemd/system/svcreg-*.service | xargs -n1 basename")
                  .stdout()
                  .lines()
                  .toList())
          .containsExactly(unit);
      String groups =
          "for p in /proc/[0-9]*; do tr '\\0' '\\n' < $p/environ 2>/dev/null"
              + " | grep -q '^SERVICE_HOME="
              + installRoot
              + "/' && cut -d' ' -f5 $p/stat; done | sort -un";
      String want = sd.status().pid().get() + "\n" + mp.status().pid().get();
      String sorted =
          java.util.stream.Stream.of(sd, mp)
              .map(o -> o.status().pid().orElseThrow())
              .sorted()
              .map(String::valueOf)
              .collect(java.util.stream.Collectors.joining("\n"));
      Waits.atMost(Duration.ofSeconds(20))
          .alias("the node runs from " + installRoot + " exactly the process groups " + want)
          .until(() -> node.exec("sh", "-c", groups).stdout().trim().equals(sorted));
    }
  }

  // ------------------------------------------------------------------ helpers

  private String network() {
    return fleet.network(installRoot, node);
  }

  private static String service(String name, String packageDir) {
    return Fleet.service(name, packageDir, node.name(), "systemd", PORT);
  }

  private static Predicate<ObservedService> runningHealthy() {
    return o ->
        o.status().phase() == Phase.RUNNING && o.status().health().state() == HealthState.PASSING;
  }

  /** A number no other process sleeps for: the service's process is findable on the node. */
  private static String marker() {
    return Integer.toString(ThreadLocalRandom.current().nextInt(100_000_000, 999_999_999));
  }

  private static String unit(String service) {
    return "svcreg-" + service + ".service";
  }

  private static String unitFile(String service) {
    return "/etc/systemd/system/" + unit(service);
  }

  /** What {@code systemctl ARGS} prints on the node (whatever its exit code). */
  private static String systemctl(String... args) {
    String[] cmd = new String[args.length + 1];
    cmd[0] = "systemctl";
    System.arraycopy(args, 0, cmd, 1, args.length);
    return node.exec(cmd).stdout().trim();
  }

  /** A property of a unit, e.g. {@code MainPID}. */
  private static String show(String unit, String property) {
    return systemctl("show", "-p", property, "--value", unit);
  }

  private static String cmdline(long pid) {
    return node.exec("cat", "/proc/" + pid + "/cmdline").stdout().replace('\0', ' ').trim();
  }

  /** The environment of process {@code pid} on the node. */
  private static Map<String, String> environ(long pid) {
    Map<String, String> env = new TreeMap<>();
    for (String kv : node.execOk("cat", "/proc/" + pid + "/environ").stdout().split("\0")) {
      int eq = kv.indexOf('=');
      if (eq > 0) {
        env.put(kv.substring(0, eq), kv.substring(eq + 1));
      }
    }
    return env;
  }
}
