package io.svcreg.fleet;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Network;
import org.testcontainers.utility.DockerImageName;

/**
 * A Docker bridge network of this test run for {@link NodeContainer}s: {@code 10.253.x.0/24} with
 * {@code x} chosen free (no route of this host and no other Docker network in it); its nodes get
 * {@code .10}, {@code .11}, ... and this host is {@code .1}. Closing it removes its nodes and
 * itself.
 *
 * <p>Containers and networks are named and labelled with this JVM's {@link #RUN}; Testcontainers'
 * shutdown hook removes what a failed test left, and the first {@link #open} of a run removes what
 * killed test JVMs left. Images are never pulled: without {@value #IMAGE_VARIABLE} or a Docker
 * daemon, {@link #open} fails with one message that names {@code tools/test}.
 */
public final class NodeLan implements AutoCloseable {

  /** The environment variable that names the node image; tools/test sets it. */
  public static final String IMAGE_VARIABLE = "SVCREG_NODE_IMAGE";

  /** The prefix of every container and network of this JVM: {@code svcreg-test-<pid>-<hex>}. */
  public static final String RUN =
      "svcreg-test-"
          + ProcessHandle.current().pid()
          + "-"
          + HexFormat.of().toHexDigits((short) new SecureRandom().nextInt());

  private static final AtomicInteger NETWORKS = new AtomicInteger();

  /** Labels of this run's containers and networks: its {@link #RUN} and its PID namespace. */
  static final String RUN_LABEL = "io.svcreg.test.run";

  static final String PIDNS_LABEL = "io.svcreg.test.pidns";

  private static final AtomicBoolean SWEPT = new AtomicBoolean();

  final Network network;
  final String name;
  private final String prefix;
  final DockerImageName image;
  final List<NodeContainer> nodes = new ArrayList<>();
  private int next = 10;

  private NodeLan(Network network, String name, String prefix, DockerImageName image) {
    this.network = network;
    this.name = name;
    this.prefix = prefix;
    this.image = image;
  }

  /**
   * Makes a network of this run for nodes: fails with one message naming tools/test when {@value
   * #IMAGE_VARIABLE} is unset, no Docker daemon answers or the image is not there.
   */
  public static NodeLan open() {
    String image = Optional.ofNullable(System.getenv(IMAGE_VARIABLE)).orElse("").trim();
    if (image.isEmpty()) {
      throw new IllegalStateException(
          IMAGE_VARIABLE
              + " is not set: the container test nodes need the node image; run the tests with"
              + " tools/test, which installs and starts Docker and builds the image"
              + " (tools/lib/node-image.sh prints its name)");
    }
    // Testcontainers reads these from the environment only (failsafe sets them); without them it
    // would pull Ryuk's or alpine's image, or record the Docker socket in the user's home
    List<String> missing =
        List.of("TESTCONTAINERS_RYUK_DISABLED", "TESTCONTAINERS_HOST_OVERRIDE", "DOCKER_HOST")
            .stream()
            .filter(v -> Optional.ofNullable(System.getenv(v)).orElse("").isBlank())
            .toList();
    if (!missing.isEmpty()) {
      throw new IllegalStateException(
          "the container test nodes need "
              + String.join(", ", missing)
              + " in the environment: run the tests with tools/test or mvn verify (failsafe sets"
              + " them, see controller/pom.xml)");
    }
    // asked first with the CLI: when Testcontainers finds no daemon at DOCKER_HOST it tries other
    // sockets and writes the one that answers into ~/.testcontainers.properties
    String daemon = dockerCli("version", "--format", "{{.Server.Version}}");
    if (daemon.isEmpty()) {
      throw new IllegalStateException(
          "no Docker daemon answers at "
              + System.getenv("DOCKER_HOST")
              + ": the container test nodes need one; run the tests with tools/test, which"
              + " starts dockerd");
    }
    try {
      docker().inspectImageCmd(image).exec();
    } catch (NotFoundException e) {
      throw new IllegalStateException(
          "the node image "
              + image
              + " ("
              + IMAGE_VARIABLE
              + ") is not in Docker: build it with tools/lib/node-image.sh, or run tools/test");
    }
    if (SWEPT.compareAndSet(false, true)) {
      removeLeftovers();
    }
    return create(DockerImageName.parse(image));
  }

  /** Makes the network, at a free {@code 10.253.x.0/24}. */
  private static NodeLan create(DockerImageName image) {
    Random random = new SecureRandom();
    RuntimeException last = null;
    for (int attempt = 0; attempt < 10; attempt++) {
      int x = 1 + random.nextInt(254);
      String prefix = "10.253." + x;
      if (routed(prefix)) {
        continue;
      }
      String name = RUN + "-" + NETWORKS.incrementAndGet();
      Network n =
          Network.builder()
              .driver("bridge")
              .createNetworkCmdModifier(
                  cmd ->
                      cmd.withName(name)
                          .withLabels(Map.of(RUN_LABEL, RUN, PIDNS_LABEL, pidNamespace()))
                          .withIpam(
                              new com.github.dockerjava.api.model.Network.Ipam()
                                  .withConfig(
                                      new com.github.dockerjava.api.model.Network.Ipam.Config()
                                          .withSubnet(prefix + ".0/24")
                                          .withGateway(prefix + ".1"))))
              .build();
      try {
        n.getId();
        return new NodeLan(n, name, prefix, image);
      } catch (RuntimeException e) {
        last = e; // e.g. "Pool overlaps with other one on this address space": another run's
      }
    }
    throw new IllegalStateException(
        "cannot make a test network in 10.253.0.0/16 (10 tries)"
            + (last == null ? "" : ": " + last.getMessage()),
        last);
  }

  /** The network's name: {@link #RUN} and a number. */
  public String name() {
    return name;
  }

  /** Docker's id of the network. */
  public String id() {
    return network.getId();
  }

  /** The network's subnet, e.g. {@code 10.253.17.0/24}. */
  public String subnet() {
    return prefix + ".0/24";
  }

  /** The address of this host on the network (the bridge's), {@code .1}. */
  public String gateway() {
    return prefix + ".1";
  }

  /** An address of the subnet, e.g. {@code address(200)} is {@code 10.253.x.200}. */
  public String address(int host) {
    return prefix + "." + host;
  }

  /** Starts a node that lets root log in with the public key {@code authorizedKey} (a .pub). */
  public NodeContainer start(String node, Path authorizedKey) {
    return start(node, authorizedKey, Optional.empty());
  }

  /**
   * Starts a node as {@link #start(String, Path)} whose ed25519 host key is the private key file
   * {@code hostKey} (its {@code .pub} beside it), e.g. made by {@code ssh-keygen}.
   */
  public NodeContainer start(String node, Path authorizedKey, Path hostKey) {
    return start(node, authorizedKey, Optional.of(hostKey));
  }

  private NodeContainer start(String node, Path authorizedKey, Optional<Path> hostKey) {
    if (next > 254) {
      throw new IllegalStateException("network " + name + " has no address left");
    }
    return NodeContainer.start(this, node, address(next++), authorizedKey, hostKey);
  }

  /** Removes every node of this network, then the network. */
  @Override
  public void close() {
    RuntimeException failure = null;
    for (NodeContainer n : List.copyOf(nodes)) {
      try {
        n.close();
      } catch (RuntimeException e) {
        failure = failure == null ? e : failure;
      }
    }
    network.close();
    if (failure != null) {
      throw failure;
    }
  }

  /** What the docker CLI prints for {@code args}, or empty when it fails or is absent. */
  private static String dockerCli(String... args) {
    List<String> cmd = new ArrayList<>(List.of("docker"));
    cmd.addAll(List.of(args));
    try {
      Process p =
          new ProcessBuilder(cmd)
              .redirectErrorStream(true)
              .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return "";
      }
      return p.exitValue() == 0 ? out : "";
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** This JVM's PID namespace, e.g. {@code pid:[4026531836]}. */
  static String pidNamespace() {
    try {
      return Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Removes the containers and networks that test JVMs of this PID namespace left when they died
   * without closing them (killed: no shutdown hook ran); those of live JVMs stay.
   */
  private static void removeLeftovers() {
    DockerClient d = docker();
    String pidns = pidNamespace();
    for (Container c :
        d.listContainersCmd().withShowAll(true).withLabelFilter(List.of(RUN_LABEL)).exec()) {
      if (left(c.getLabels(), pidns)) {
        d.removeContainerCmd(c.getId()).withForce(true).exec();
      }
    }
    for (com.github.dockerjava.api.model.Network n :
        d.listNetworksCmd().withFilter("label", List.of(RUN_LABEL)).exec()) {
      if (left(n.getLabels(), pidns)) {
        d.removeNetworkCmd(n.getId()).exec();
      }
    }
  }

  /** Whether labels say: made by a test JVM of this PID namespace that is gone. */
  private static boolean left(Map<String, String> labels, String pidns) {
    String run = labels.getOrDefault(RUN_LABEL, "");
    String[] f = run.split("-");
    if (!pidns.equals(labels.get(PIDNS_LABEL)) || f.length != 4 || !f[2].matches("[0-9]+")) {
      return false;
    }
    return ProcessHandle.of(Long.parseLong(f[2])).isEmpty();
  }

  /** Testcontainers' Docker client. */
  static DockerClient docker() {
    return DockerClientFactory.instance().client();
  }

  /**
   * Whether a route of this host (other than the default route) lies in or covers {@code
   * prefix.0/24}, e.g. another test's network namespace or Docker network.
   */
  private static boolean routed(String prefix) {
    String[] o = prefix.split("\\.");
    int net =
        (Integer.parseInt(o[0]) << 24)
            | (Integer.parseInt(o[1]) << 16)
            | (Integer.parseInt(o[2]) << 8);
    try {
      List<String> lines = Files.readAllLines(Path.of("/proc/net/route"));
      for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
        String[] f = line.trim().split("\\s+");
        int dest = Integer.reverseBytes(Integer.parseUnsignedInt(f[1], 16));
        int mask = Integer.reverseBytes(Integer.parseUnsignedInt(f[7], 16));
        if (mask != 0 && ((net & mask) == dest || (dest & 0xffffff00) == net)) {
          return true;
        }
      }
      return false;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
