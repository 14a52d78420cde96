package io.svcreg.loop;

import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.Waits;
import io.svcreg.core.ObservedService;
import io.svcreg.deploy.ContainerImages;
import io.svcreg.deploy.Containers;
import io.svcreg.deploy.DeployReasons;
import io.svcreg.deploy.InstallOutcome;
import io.svcreg.deploy.Launch;
import io.svcreg.deploy.RunRecord;
import io.svcreg.deploy.StartOutcome;
import io.svcreg.deploy.UninstallOutcome;
import io.svcreg.deploy.local.LocalDeployer;
import io.svcreg.deploy.ssh.OpenSshd;
import io.svcreg.schema.Endpoint;
import io.svcreg.schema.ExecutionType;
import io.svcreg.schema.Ipv4;
import io.svcreg.schema.Phase;
import io.svcreg.schema.Protocol;
import java.io.IOException;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Services run as Docker containers ({@code execution: {type: docker}}) end to end through the
 * loop, on the local Docker daemon: on the controller's own host, and on an SSH node (a real
 * OpenSSH server on a loopback address of this host, whose Docker daemon it uses). Images are built
 * here from busybox ({@code FROM scratch}), carried in the packages as {@code image.tar}, uploaded
 * and loaded by svcreg. Every container and image a test makes carries this run's prefix, and
 * svcreg leaves none of them when a test has removed its service.
 */
class ContainerServicesIT {

  private static final Duration CONVERGE = Duration.ofSeconds(60);

  private static final String USER = System.getProperty("user.name");
  private static final ContainerImages IMAGES = new ContainerImages();
  private final String image1 = IMAGES.prefix() + "/web:1";
  private final String image2 = IMAGES.prefix() + "/web:2";

  @TempDir Path tmp;
  private Rig rig;
  private String name;
  private OpenSshd node;

  @BeforeAll
  static void docker() {
    ContainerImages.requireDocker();
  }

  @AfterAll
  static void removeImages() {
    IMAGES.removeAll();
  }

  @BeforeEach
  void setUp() {
    rig = new Rig(tmp.resolve("rig"));
    name = IMAGES.prefix() + "-web";
  }

  @AfterEach
  void tearDown() {
    try {
      rig.close();
    } finally {
      if (node != null) {
        node.close();
      }
      ContainerImages.docker("rm", "-f", Containers.container(name));
    }
  }

  @Test
  void dockerService_deployedRestartedKilledAdoptedRolledBackAndRemoved() throws Exception {
    IMAGES.build(image1, "version one");
    IMAGES.build(image2, "version two");
    ContainerImages.dockerPackage(
        rig.packages.resolve("web-1"), name, "1.0.0", image1, ContainerImages.ANSWERS, true);
    ContainerImages.dockerPackage(
        rig.packages.resolve("web-2"), name, "2.0.0", image2, ContainerImages.NEVER, true);
    // the node has neither image: svcreg loads them from the packages' image.tar
    ContainerImages.docker("rmi", image1, image2);
    rig.write("network.yaml", rig.network());
    rig.write("web.yaml", spec("1.0.0", "web-1"));
    rig.start();

    // deployed: reachable at its own address, the container svcreg's and recorded
    rig.awaitRunning(CONVERGE, name);
    ObservedService o = rig.service(name);
    String ip = o.status().address().orElseThrow().toString();
    assertThat(get(ip)).isEqualTo("version one");
    long pid = o.status().pid().orElseThrow();
    assertThat(inspect("{{.State.Pid}}")).isEqualTo(Long.toString(pid));
    assertThat(o.status().containerId()).contains(inspect("{{.Id}}"));
    assertThat(inspect("{{index .Config.Labels \"io.svcreg.managed-by\"}}")).isEqualTo("svcreg");
    assertThat(inspect("{{index .Config.Labels \"io.svcreg.service\"}}")).isEqualTo(name);
    assertThat(inspect("{{.HostConfig.RestartPolicy.Name}}")).isEqualTo("unless-stopped");
    assertThat(env()).contains("SERVICE_NAME=" + name, "SERVICE_IP=" + ip);
    String record = Files.readString(rig.installRoot.resolve(RunRecord.fileName(name)));
    assertThat(record)
        .contains(
            "execution=docker",
            "unit=" + Containers.container(name),
            "containerId=" + inspect("{{.Id}}"));

    // restart: a new container process of the same version
    rig.app().controller().serviceAction(name, ServiceCommand.RESTART);
    pid = rig.awaitNewProcess(CONVERGE, name, pid).status().pid().orElseThrow();
    assertThat(get(ip)).isEqualTo("version one");

    // its process killed: running again (Docker's restart policy, or svcreg)
    ContainerImages.docker("kill", Containers.container(name));
    pid = rig.awaitNewProcess(CONVERGE, name, pid).status().pid().orElseThrow();

    // the container removed behind svcreg's back: made again
    ContainerImages.docker("rm", "-f", Containers.container(name));
    pid = rig.awaitNewProcess(CONVERGE, name, pid).status().pid().orElseThrow();
    assertThat(get(ip)).isEqualTo("version one");

    // a new controller adopts the running container: same process, nothing done
    rig.awaitIdle(CONVERGE);
    String id = inspect("{{.Id}}");
    rig.stopController();
    rig.start();
    rig.awaitIdle(CONVERGE);
    long adopted = pid;
    Waits.atMost(Duration.ofSeconds(15))
        .during(Duration.ofSeconds(3))
        .alias("the same container keeps running")
        .until(
            () ->
                rig.find(name).flatMap(s -> s.status().pid()).equals(Optional.of(adopted))
                    && inspect("{{.Id}}").equals(id));

    // an upgrade whose health never passes: rolled back, the old image kept until pruned
    rig.write("web.yaml", spec("2.0.0", "web-2"));
    ObservedService back =
        rig.await(
            CONVERGE,
            name,
            "rolled back to 1.0.0",
            s ->
                s.status().deployedVersion().equals(Optional.of("1.0.0"))
                    && s.status().phase() == Phase.RUNNING
                    && Rig.degraded(s).equals("RolledBack"));
    assertThat(back.status().previousVersion()).contains("2.0.0");
    assertThat(get(ip)).isEqualTo("version one");
    assertThat(inspect("{{index .Config.Labels \"io.svcreg.version\"}}")).isEqualTo("1.0.0");
    assertThat(IMAGES.images()).contains(image1, image2);

    // removed: no container, no image left
    Files.delete(rig.specs.resolve("web.yaml"));
    Waits.atMost(CONVERGE).alias(name + " removed").until(() -> rig.find(name).isEmpty());
    nothingLeft();
  }

  @Test
  void dockerService_onAnSshNode_deployedAdoptedFromTheFleetAndRemoved() throws Exception {
    node = OpenSshd.start("127.0.0.6", tmp.resolve("node"), tmp.resolve("id_ed25519")).trusted();
    IMAGES.build(image1, "from the node");
    ContainerImages.dockerPackage(
        rig.packages.resolve("web-1"), name, "1", image1, ContainerImages.ANSWERS, true);
    ContainerImages.docker("rmi", image1);
    Path installRoot = tmp.resolve("install");
    String spec = rig.service(name, "1", "web-1").network("lan").execution("docker").toString();
    rig.write("all.yaml", node.lanNetwork("lan", USER, installRoot), spec);
    rig.start();

    rig.awaitRunning(CONVERGE, name);
    ObservedService o = rig.service(name);
    assertThat(o.status().node()).contains("node-0");
    long pid = o.status().pid().orElseThrow();
    assertThat(inspect("{{.State.Pid}} {{.State.Running}}")).isEqualTo(pid + " true");
    assertThat(get(o.status().address().orElseThrow().toString())).isEqualTo("from the node");
    assertThat(Files.readString(installRoot.resolve(RunRecord.fileName(name))))
        .contains("execution=docker", "state=running");
    assertThat(IMAGES.images()).contains(image1, Containers.repository(name) + ":1");

    // the store lost: rebuilt from the node, the running container adopted
    rig.stopController();
    rig.loseStore();
    StringWriter out = new StringWriter();
    assertThat(rig.recoverFromFleet(out)).as(out.toString()).isZero();
    rig.start();
    rig.awaitIdle(CONVERGE);
    Waits.atMost(Duration.ofSeconds(15))
        .during(Duration.ofSeconds(3))
        .alias("the same container keeps running")
        .until(() -> rig.find(name).flatMap(s -> s.status().pid()).equals(Optional.of(pid)));
    assertThat(rig.service(name).status().containerId())
        .as("the container's id, from the node's run record")
        .contains(inspect("{{.Id}}"));

    // removed: nothing of it left on the node
    rig.write("all.yaml", node.lanNetwork("lan", USER, installRoot));
    Waits.atMost(CONVERGE).alias(name + " removed").until(() -> rig.find(name).isEmpty());
    nothingLeft();
  }

  @Test
  void dockerStart_containerExits_failedWithItsLogsAndStopped() {
    String crash = IMAGES.prefix() + "/crash:1";
    IMAGES.build(crash, "", "echo \"crashing on $SERVICE_PORT_HTTP\"; exit 3");
    Path pkg =
        ContainerImages.dockerPackage(
            rig.packages.resolve("crash-1"), name, "1", crash, ContainerImages.ANSWERS, false);
    LocalDeployer d = LocalDeployer.create(rig.installRoot);
    assertThat(d.install(name, "1", pkg)).isInstanceOf(InstallOutcome.Installed.class);
    Launch launch =
        new Launch(
                name,
                "1",
                Ipv4.of(rig.net + ".9"),
                List.of(new Endpoint("http", rig.port, Protocol.HTTP)),
                Map.of(),
                Map.of())
            .withExecution(ExecutionType.DOCKER);

    StartOutcome out = d.start(launch);

    assertThat(out)
        .isInstanceOfSatisfying(
            StartOutcome.Failed.class,
            f -> {
              assertThat(f.reason()).isEqualTo(DeployReasons.EXITED_DURING_START);
              assertThat(f.logTail()).contains("crashing on " + rig.port);
            });
    assertThat(inspect("{{.State.Running}} {{.State.Restarting}}"))
        .as("stopped: Docker does not start it again")
        .isEqualTo("false false");
    assertThat(d.uninstall(name)).isInstanceOf(UninstallOutcome.Uninstalled.class);
    assertThat(IMAGES.containers()).isEmpty();
    assertThat(IMAGES.images()).as("on the node before: never removed").containsExactly(crash);
    ContainerImages.docker("rmi", crash);
  }

  private void nothingLeft() {
    Waits.atMost(CONVERGE)
        .alias("its container and images are gone")
        .untilAsserted(
            () -> {
              assertThat(IMAGES.containers()).isEmpty();
              assertThat(IMAGES.images()).isEmpty();
            });
  }

  private String spec(String version, String dir) {
    return rig.service(name, version, dir).execution("docker").progressDeadline("5s").toString();
  }

  private String inspect(String format) {
    return ContainerImages.docker("inspect", "-f", format, Containers.container(name))
        .output()
        .strip();
  }

  private String env() {
    return inspect("{{range .Config.Env}}{{println .}}{{end}}");
  }

  private String get(String ip) throws IOException, InterruptedException {
    try (HttpClient c = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
      HttpResponse<String> r =
          c.send(
              HttpRequest.newBuilder(URI.create("http://" + ip + ":" + rig.port + "/"))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      return r.body().strip();
    }
  }
}
