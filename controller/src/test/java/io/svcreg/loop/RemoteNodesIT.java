package io.svcreg.loop;

import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.Waits;
import io.svcreg.core.ObservedService;
import io.svcreg.deploy.ssh.OpenSshd;
import io.svcreg.schema.Condition;
import io.svcreg.schema.HealthState;
import io.svcreg.schema.Phase;
import io.svcreg.store.Event;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The controller deploying to three remote nodes of a LAN network, each a real OpenSSH server on
 * its own loopback address (127.0.0.2, .3, .4) with its own host key and install root: deploy,
 * upgrade, automatic rollback and removal of three services that depend on each other.
 */
class RemoteNodesIT {

  private static final Duration LONG = Duration.ofSeconds(60);
  private static final String USER = System.getProperty("user.name");

  @TempDir Path tmp;
  private Rig rig;
  private final List<OpenSshd> nodes = new ArrayList<>();

  @BeforeEach
  void setUp() {
    rig = new Rig(tmp.resolve("rig"));
    Path key = tmp.resolve("id_ed25519");
    for (String ip : List.of("127.0.0.2", "127.0.0.3", "127.0.0.4")) {
      nodes.add(OpenSshd.start(ip, tmp.resolve("node-" + ip), key).trusted());
    }
  }

  @AfterEach
  void tearDown() {
    try {
      rig.close();
    } finally {
      nodes.forEach(OpenSshd::close);
      killServicesUnder(tmp);
    }
  }

  /**
   * Kills the services the nodes still run (they outlive the controller and sshd, as on a real
   * node): every process whose working directory is below {@code dir}.
   */
  private static void killServicesUnder(Path dir) {
    try (var procs = java.nio.file.Files.list(Path.of("/proc"))) {
      procs
          .filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
          .forEach(
              p -> {
                try {
                  if (java.nio.file.Files.readSymbolicLink(p.resolve("cwd")).startsWith(dir)) {
                    ProcessHandle.of(Long.parseLong(p.getFileName().toString()))
                        .ifPresent(ProcessHandle::destroyForcibly);
                  }
                } catch (java.io.IOException | RuntimeException e) {
                  // gone already, or not ours to read
                }
              });
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private Path root(int i) {
    return tmp.resolve("install-" + i);
  }

  private String network() {
    StringBuilder b =
        new StringBuilder(
            "apiVersion: svcreg.io/v1\nkind: Network\nmetadata: {name: lan}\nspec:\n"
                + "  type: lan\n  subnet: 127.0.0.0/24\n  reserved: [127.0.0.1]\n  nodes:\n");
    for (int i = 0; i < nodes.size(); i++) {
      OpenSshd n = nodes.get(i);
      b.append("    - name: node-").append(i).append('\n');
      b.append("      address: ").append(n.host).append('\n');
      b.append("      ssh: {user: ").append(USER).append(", port: ").append(n.port);
      b.append(", identityFile: ").append(n.clientKey);
      b.append(", knownHosts: ").append(n.knownHosts).append("}\n");
      b.append("      installRoot: ").append(root(i)).append('\n');
    }
    return b.toString();
  }

  private String service(String name, String version, String pkg, int node, String... deps) {
    return "apiVersion: svcreg.io/v1\nkind: Service\nmetadata: {name: "
        + name
        + "}\nspec:\n  version: \""
        + version
        + "\"\n  package: ../packages/"
        + pkg
        + "\n  network: lan\n  node: node-"
        + node
        + "\n  endpoints: [{name: http, port: "
        + (9000 + node)
        + "}]\n"
        + (deps.length == 0 ? "" : "  dependsOn: [" + String.join(", ", deps) + "]\n")
        + "  health: {script: scripts/health.sh, interval: 1s, timeout: 2s, failureThreshold: 2}\n"
        + "  rollout: {progressDeadline: 5s, autoRollback: true}\n";
  }

  private void specs(String apiVersion, String apiPkg, boolean withWeb) {
    List<String> docs = new ArrayList<>();
    docs.add(network());
    docs.add(service("db", "1", "db-1", 0));
    docs.add(service("api", apiVersion, apiPkg, 1, "db"));
    if (withWeb) {
      docs.add(service("web", "1", "web-1", 2, "api"));
    }
    rig.write("all.yaml", docs.toArray(String[]::new));
  }

  @Test
  void lanNodes_deployUpgradeRollbackRemove_overSsh() throws Exception {
    rig.light("db-1", "db", "1", Rig.HEALTHY);
    rig.light("api-1", "api", "1", Rig.HEALTHY);
    rig.light("api-2", "api", "2", Rig.HEALTHY);
    rig.light("api-3", "api", "3", Rig.UNHEALTHY);
    rig.light("web-1", "web", "1", Rig.HEALTHY);
    specs("1", "api-1", true);
    rig.start();

    // deploy: each service on its node, in dependency order, with its dependencies' addresses
    rig.awaitRunning(LONG, "db", "api", "web");
    assertThat(root(0).resolve("db-1/.svcreg-install")).exists();
    assertThat(root(1).resolve("api-1/.svcreg-install")).exists();
    assertThat(root(2).resolve("web-1/.svcreg-install")).exists();
    String dbAddr = rig.service("db").status().address().orElseThrow() + ":9000";
    assertThat(Rig.environ(rig.pid("api"))).containsEntry("DB_ADDR", dbAddr);
    assertThat(rig.service("api").status().node()).contains("node-1");
    List<String> phases =
        rig.events(Event.DEPLOYMENT_PROGRESS, "api").stream()
            .map(e -> String.valueOf(Rig.data(e).get("phase")))
            .toList();
    assertThat(phases).containsSubsequence("install", "connect", "upload", "verify", "installed");
    Map<String, Object> upload =
        rig.events(Event.DEPLOYMENT_PROGRESS, "api").stream()
            .map(Rig::data)
            .filter(d -> "upload".equals(d.get("phase")))
            .reduce((a, b) -> b)
            .orElseThrow();
    assertThat(upload).containsEntry("percent", 100).containsEntry("node", "node-1");

    // upgrade api on node-1: the previous version is kept for rollback
    long oldApi = rig.pid("api");
    specs("2", "api-2", true);
    rig.await(
        LONG,
        "api",
        "running 2",
        o ->
            o.status().phase() == Phase.RUNNING
                && o.status().deployedVersion().orElse("").equals("2")
                && o.status().pid().orElse(oldApi) != oldApi);
    rig.pid("api");
    assertThat(Files.exists(root(1).resolve("api-1"))).isTrue();
    assertThat(Files.exists(root(1).resolve("api-2"))).isTrue();
    assertThat(Rig.alive(oldApi)).isFalse();

    // a version that never gets healthy is rolled back to 2, on the node
    specs("3", "api-3", true);
    rig.await(
        LONG,
        "api",
        "rolled back to 2",
        o ->
            o.status().phase() == Phase.RUNNING
                && o.status().deployedVersion().orElse("").equals("2")
                && o.status().conditions().stream()
                    .anyMatch(
                        c ->
                            c.type().equals(Condition.DEGRADED)
                                && c.reason().equals("RolledBack")));
    rig.pid("api");

    // remove web: stopped and uninstalled on node-2
    long web = rig.pid("web");
    specs("2", "api-2", false);
    Waits.atMost(LONG).alias("web is removed").until(() -> rig.find("web").isEmpty());
    assertThat(Rig.alive(web)).isFalse();
    try (var left = Files.list(root(2))) {
      assertThat(left.toList()).isEmpty();
    }
  }

  @Test
  void unknownHostKey_install_degradedHostKeyRefused() throws Exception {
    Files.writeString(nodes.get(0).knownHosts, "");
    rig.light("db-1", "db", "1", Rig.HEALTHY);
    rig.write("all.yaml", network(), service("db", "1", "db-1", 0));
    rig.start();

    rig.await(
        LONG,
        "db",
        "Degraded HostKeyRefused",
        o ->
            o.status().conditions().stream()
                .anyMatch(
                    c ->
                        c.type().equals(Condition.DEGRADED)
                            && c.reason().equals("HostKeyRefused")));
    assertThat(root(0).resolve("db-1")).doesNotExist();
  }

  @Test
  void healthScriptPassesWhileProcessIsDead_onTheNode_crashRecordedAndRestarted() throws Exception {
    rig.light("db-1", "db", "1", Rig.LIAR);
    rig.write("all.yaml", network(), service("db", "1", "db-1", 0));
    rig.start();
    rig.awaitRunning(LONG, "db");
    long pid = rig.pid("db");
    int before = rig.events(Event.HEALTH_CHECK_RESULT, "db").size();

    Files.writeString(root(0).resolve("db-1/lie"), "");

    rig.awaitNewProcess(LONG, "db", pid);
    Map<String, Object> lie = Rig.data(rig.events(Event.HEALTH_CHECK_RESULT, "db").get(before));
    assertThat(lie).containsEntry("state", "failing").containsEntry("reason", "ProcessExited");
    assertThat(String.valueOf(lie.get("output")))
        .contains("the health script of db 1 on node node-0")
        .contains("said passing, but its process (pid " + pid + ") is gone")
        .contains("all good");
    rig.pid("db");
  }

  @Test
  void nodeDown_afterDeploy_stateKeptAndDegradedNodeUnreachable() throws Exception {
    rig.light("db-1", "db", "1", Rig.HEALTHY);
    rig.write("all.yaml", network(), service("db", "1", "db-1", 0));
    rig.start();
    rig.awaitRunning(LONG, "db");
    long pid = rig.pid("db");

    nodes.get(0).stop();
    ObservedService o =
        rig.await(
            LONG,
            "db",
            "Degraded NodeUnreachable",
            s ->
                s.status().conditions().stream()
                    .anyMatch(
                        c ->
                            c.type().equals(Condition.DEGRADED)
                                && c.reason().equals("NodeUnreachable")));

    // nothing is known about the node: the recorded state stays, nothing is reinstalled
    assertThat(o.status().phase()).isEqualTo(Phase.RUNNING);
    assertThat(o.status().deployedVersion()).contains("1");
    assertThat(o.status().pid()).contains(pid);
    assertThat(Rig.alive(pid)).isTrue();
    assertThat(rig.events(Event.DEPLOYMENT_PROGRESS, "db"))
        .noneMatch(e -> "InstallMissing".equals(Rig.data(e).get("reason")));
  }

  @Test
  void nodeBack_afterUnreachable_conditionClearedAndNothingRedeployed() throws Exception {
    rig.light("db-1", "db", "1", Rig.HEALTHY);
    rig.write("all.yaml", network(), service("db", "1", "db-1", 0));
    rig.start();
    rig.awaitRunning(LONG, "db");
    long pid = rig.pid("db");
    Path home = root(0).resolve("db-1");
    Object installed = Files.getAttribute(home, "unix:ino");
    int deployEvents = rig.events(Event.DEPLOYMENT_PROGRESS, "db").size();
    int stateEvents = rig.events(Event.SERVICE_STATE_CHANGED, "db").size();

    nodes.get(0).stop();
    rig.await(LONG, "db", "Degraded NodeUnreachable", o -> degraded(o).equals("NodeUnreachable"));
    nodes.set(0, nodes.get(0).restarted());

    ObservedService back = awaitDegradedCleared("db");
    assertThat(back.status().pid()).contains(pid);
    assertThat(back.status().deployedVersion()).contains("1");
    assertThat(Rig.alive(pid)).isTrue();
    assertThat(Files.getAttribute(home, "unix:ino")).as("not reinstalled").isEqualTo(installed);
    assertThat(rig.events(Event.DEPLOYMENT_PROGRESS, "db")).hasSize(deployEvents);
    assertThat(rig.events(Event.SERVICE_STATE_CHANGED, "db")).hasSize(stateEvents);
    assertThat(back.status().health().state()).isEqualTo(HealthState.PASSING);
  }

  @Test
  void nodeDropsDuringHealthCheck_notCountedAsUnhealthy_degradedThenCleared() throws Exception {
    // the health check waits while the file "slow" exists, and says it is inside
    rig.light(
        "db-1",
        "db",
        "1",
        "if [ -f \"$SERVICE_HOME/slow\" ]; then touch \"$SERVICE_HOME/inside\"; sleep 1.5; fi\n"
            + Rig.HEALTHY);
    rig.write(
        "all.yaml",
        network(),
        service("db", "1", "db-1", 0).replace("failureThreshold: 2", "failureThreshold: 1"));
    rig.start();
    rig.awaitRunning(LONG, "db");
    long pid = rig.pid("db");
    Path home = root(0).resolve("db-1");
    int healthEvents = rig.events(Event.HEALTH_CHECK_RESULT, "db").size();

    Files.writeString(home.resolve("slow"), "");
    Waits.atMost(LONG).until(() -> Files.exists(home.resolve("inside")));
    nodes.get(0).stop(); // cuts the session the health check runs in
    rig.await(LONG, "db", "Degraded by the node", o -> !degraded(o).isEmpty());
    Files.delete(home.resolve("slow"));
    nodes.set(0, nodes.get(0).restarted());

    ObservedService back = awaitDegradedCleared("db");
    assertThat(back.status().pid()).contains(pid);
    assertThat(back.status().health().state()).isEqualTo(HealthState.PASSING);
    assertThat(rig.events(Event.HEALTH_CHECK_RESULT, "db"))
        .as("a node that did not answer is no verdict on the service's health")
        .hasSize(healthEvents);
  }

  /** The reason of the service's {@code Degraded} condition, or empty. */
  private static String degraded(ObservedService o) {
    return o.status().conditions().stream()
        .filter(c -> c.type().equals(Condition.DEGRADED))
        .map(c -> c.reason())
        .findFirst()
        .orElse("");
  }

  /** Waits until {@code name} runs again with its node-caused Degraded condition cleared. */
  private ObservedService awaitDegradedCleared(String name) {
    return rig.await(
        LONG,
        name,
        "Degraded cleared",
        o -> degraded(o).isEmpty() && o.status().phase() == Phase.RUNNING);
  }
}
