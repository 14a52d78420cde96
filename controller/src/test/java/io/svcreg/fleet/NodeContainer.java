package io.svcreg.fleet;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.ExecCreateCmdResponse;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.ContainerNetwork;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;
import com.github.dockerjava.api.model.Volume;
import io.svcreg.Waits;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.core.ConditionTimeoutException;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.utility.DockerImageName;

/**
 * A test node that is a separate host: a container of the node image ({@code
 * tools/lib/node-image.sh}, named by {@value #IMAGE_VARIABLE}) with systemd as PID 1 and OpenSSH's
 * sshd on port 22, its own file system, process table and address on a Docker network this test run
 * makes ({@link Lan}: a {@code 10.253.x.0/24} of its own). Root logs in with the key given at
 * start.
 *
 * <p>Containers and networks are named with this JVM's {@link #RUN} prefix and removed by {@link
 * #close} / {@link Lan#close}; Testcontainers' shutdown hook removes what a failed test left, and
 * the first {@link #lan} of a run removes what killed test JVMs left. Images are never pulled:
 * without {@value #IMAGE_VARIABLE} or a Docker daemon, starting fails with one message that names
 * {@code tools/test}.
 */
public final class NodeContainer implements AutoCloseable {

  /** The environment variable that names the node image; tools/test sets it. */
  public static final String IMAGE_VARIABLE = "SVCREG_NODE_IMAGE";

  /** The prefix of every container and network of this JVM: {@code svcreg-test-<pid>-<hex>}. */
  public static final String RUN =
      "svcreg-test-"
          + ProcessHandle.current().pid()
          + "-"
          + HexFormat.of().toHexDigits((short) new SecureRandom().nextInt());

  /** How long a boot (start, restart) may take before the node counts as broken (scaled). */
  private static final Duration BOOT = Duration.ofSeconds(60);

  private static final AtomicInteger NETWORKS = new AtomicInteger();

  /** Labels of this run's containers and networks: its {@link #RUN} and its PID namespace. */
  private static final String RUN_LABEL = "io.svcreg.test.run";

  private static final String PIDNS_LABEL = "io.svcreg.test.pidns";

  private static final AtomicBoolean SWEPT = new AtomicBoolean();

  /** What a command run on the node returned. */
  public record Exec(int exitCode, String stdout, String stderr) {

    /** Whether it exited with 0. */
    public boolean ok() {
      return exitCode == 0;
    }
  }

  private final Lan lan;
  private final String name;
  private final String address;
  private final Path authorizedKey;
  private GenericContainer<?> container;
  private boolean paused;

  private NodeContainer(Lan lan, String name, String address, Path authorizedKey) {
    this.lan = lan;
    this.name = name;
    this.address = address;
    this.authorizedKey = authorizedKey;
  }

  /**
   * Makes a network of this run for nodes: fails with one message naming tools/test when {@value
   * #IMAGE_VARIABLE} is unset, no Docker daemon answers or the image is not there.
   */
  public static Lan lan() {
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
    return Lan.create(DockerImageName.parse(image));
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
  private static String pidNamespace() {
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

  private static DockerClient docker() {
    return DockerClientFactory.instance().client();
  }

  // ------------------------------------------------------------------ what the node is

  /** The node's name (also its host name and the end of its container's name). */
  public String name() {
    return name;
  }

  /** The node's address on its {@link Lan}; it keeps it across restarts, reconnects, rebuilds. */
  public String address() {
    return address;
  }

  /** The container's name: {@link #RUN}, the network's number and the node's name. */
  public String containerName() {
    return lan.name + "-" + name;
  }

  /** The container's id (another one after {@link #rebuild}). */
  public String containerId() {
    return container.getContainerId();
  }

  /** This host's pid of the node's PID 1 (its systemd), e.g. to read its namespaces. */
  public long initPid() {
    return docker().inspectContainerCmd(containerId()).exec().getState().getPidLong();
  }

  /** The SHA256 fingerprint of the node's ed25519 host key, as {@code ssh-keygen -l} prints it. */
  public String hostKeyFingerprint() {
    Exec e = execOk("ssh-keygen", "-l", "-E", "sha256", "-f", "/etc/ssh/ssh_host_ed25519_key.pub");
    return e.stdout().split(" ")[1];
  }

  /**
   * Lines for a known hosts file with each of the node's host keys (ed25519, ECDSA, RSA) for its
   * address on port 22, as {@code ssh-keyscan} prints them.
   */
  public String knownHostsLines() {
    StringBuilder b = new StringBuilder();
    for (String line : execOk("sh", "-c", "cat /etc/ssh/ssh_host_*_key.pub").stdout().split("\n")) {
      String[] f = line.trim().split(" ");
      if (f.length >= 2) {
        b.append(address).append(' ').append(f[0]).append(' ').append(f[1]).append('\n');
      }
    }
    return b.toString();
  }

  /** Writes {@link #knownHostsLines} into {@code file} (replacing it) and returns the file. */
  public Path writeKnownHosts(Path file) {
    try {
      Files.writeString(file, knownHostsLines());
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ------------------------------------------------------------------ commands

  /** Runs a command on the node as root (through Docker, not SSH) and waits at most 60 s. */
  public Exec exec(String... cmd) {
    return exec(Duration.ofSeconds(60), cmd);
  }

  /** Runs a command on the node as root and waits at most {@code timeout} (scaled). */
  public Exec exec(Duration timeout, String... cmd) {
    DockerClient d = docker();
    ExecCreateCmdResponse created =
        d.execCreateCmd(containerId())
            .withAttachStdout(true)
            .withAttachStderr(true)
            .withCmd(cmd)
            .exec();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try (ResultCallback.Adapter<Frame> cb =
        d.execStartCmd(created.getId())
            .exec(
                new ResultCallback.Adapter<Frame>() {
                  @Override
                  public void onNext(Frame f) {
                    (f.getStreamType() == StreamType.STDERR ? err : out).writeBytes(f.getPayload());
                  }
                })) {
      if (!cb.awaitCompletion(Waits.scaled(timeout).toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException(
            name + ": " + String.join(" ", cmd) + " did not end within " + timeout);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    Long code = d.inspectExecCmd(created.getId()).exec().getExitCodeLong();
    return new Exec(
        code == null ? -1 : code.intValue(),
        out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
  }

  /** Runs a command on the node as root and fails unless it exits with 0. */
  public Exec execOk(String... cmd) {
    Exec e = exec(cmd);
    if (!e.ok()) {
      throw new IllegalStateException(
          name + ": " + String.join(" ", cmd) + " exited with " + e.exitCode() + ": " + e.stderr());
    }
    return e;
  }

  /**
   * Runs {@code cmd} on the node through OpenSSH's client as root, with this key and known hosts
   * file only (no user or system config); exit 255 is SSH's own failure (e.g. {@code timed out}).
   */
  public Exec ssh(Path identity, Path knownHosts, Duration connectTimeout, String... cmd) {
    List<String> argv =
        new ArrayList<>(
            List.of(
                "ssh",
                "-F",
                "/dev/null",
                "-i",
                identity.toString(),
                "-o",
                "IdentitiesOnly=yes",
                "-o",
                "BatchMode=yes",
                "-o",
                "StrictHostKeyChecking=yes",
                "-o",
                "UserKnownHostsFile=" + knownHosts,
                "-o",
                "GlobalKnownHostsFile=/dev/null",
                "-o",
                "ConnectTimeout=" + Math.max(1, connectTimeout.toSeconds()),
                "-o",
                "LogLevel=ERROR",
                "root@" + address,
                "--"));
    argv.addAll(List.of(cmd));
    try {
      Path errFile = Files.createTempFile("svcreg-ssh", ".err");
      try {
        Process p =
            new ProcessBuilder(argv)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectError(errFile.toFile())
                .start();
        byte[] out;
        try (InputStream in = p.getInputStream()) {
          out = in.readAllBytes();
        }
        if (!p.waitFor(connectTimeout.toSeconds() + 30, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          throw new IllegalStateException(name + ": ssh " + String.join(" ", cmd) + " hung");
        }
        return new Exec(
            p.exitValue(), new String(out, StandardCharsets.UTF_8), Files.readString(errFile));
      } finally {
        Files.deleteIfExists(errFile);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Whether sshd answers on the node's address within {@code timeout}: a TCP connection that
   * receives SSH's greeting (a paused node's kernel still accepts connections, but nothing greets).
   */
  public boolean sshAnswers(Duration timeout) {
    return sshAnswers(address, timeout);
  }

  /** Whether sshd answers on port 22 of {@code address} within {@code timeout}, as above. */
  public static boolean sshAnswers(String address, Duration timeout) {
    int ms = (int) timeout.toMillis();
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(address, 22), ms);
      s.setSoTimeout(ms);
      byte[] greeting = s.getInputStream().readNBytes(4);
      return new String(greeting, StandardCharsets.US_ASCII).equals("SSH-");
    } catch (IOException e) {
      return false;
    }
  }

  // ------------------------------------------------------------------ what happens to the node

  /** Reboots the node ({@code docker restart}) and waits until systemd and sshd are up again. */
  public void restart() {
    docker().restartContainerCmd(containerId()).withTimeout(20).exec();
    awaitBooted();
  }

  /** Kills the node at once ({@code docker kill}, SIGKILL): a power cut. */
  public void kill() {
    docker().killContainerCmd(containerId()).exec();
  }

  /** Starts the node again after {@link #kill} and waits until systemd and sshd are up. */
  public void start() {
    docker().startContainerCmd(containerId()).exec();
    awaitBooted();
  }

  /** Freezes every process of the node ({@code docker pause}); its kernel still answers TCP. */
  public void pause() {
    docker().pauseContainerCmd(containerId()).exec();
    paused = true;
  }

  /** Thaws the node after {@link #pause}. */
  public void unpause() {
    docker().unpauseContainerCmd(containerId()).exec();
    paused = false;
  }

  /** Takes the node off its network ({@code docker network disconnect}): its address is gone. */
  public void disconnect() {
    docker()
        .disconnectFromNetworkCmd()
        .withNetworkId(lan.id())
        .withContainerId(containerId())
        .exec();
  }

  /** Puts the node back on its network with the same address and waits until sshd answers. */
  public void reconnect() {
    docker()
        .connectToNetworkCmd()
        .withNetworkId(lan.id())
        .withContainerId(containerId())
        .withContainerNetwork(
            new ContainerNetwork()
                .withIpamConfig(new ContainerNetwork.Ipam().withIpv4Address(address)))
        .exec();
    Waits.atMost(Duration.ofSeconds(20))
        .alias(name + " answers SSH at " + address + " after reconnecting")
        .pollInterval(Duration.ofMillis(100))
        .until(() -> sshAnswers(Duration.ofSeconds(1)));
  }

  /**
   * Replaces the node by a fresh one of the same name and address: a reinstalled host, with new
   * host keys (even when it was started with a given one) and nothing of the old file system.
   */
  public void rebuild() {
    remove();
    container = lan.create(this, Optional.empty());
    container.start();
    awaitBooted();
  }

  /** Removes the node's container (also when paused); it cannot be started again. */
  @Override
  public void close() {
    remove();
    lan.nodes.remove(this);
  }

  private void remove() {
    if (container == null) {
      return;
    }
    try {
      if (paused) {
        unpause();
      }
    } catch (DockerException e) {
      // gone already; removal below says what is wrong, if anything
    }
    container.stop();
    container = null;
  }

  /** Waits until systemd says running (or degraded) and sshd greets; fails with what it saw. */
  private void awaitBooted() {
    String[] state = {"no answer"};
    try {
      Waits.atMost(BOOT)
          .pollInterval(Duration.ofMillis(100))
          .ignoreExceptions()
          .until(
              () -> {
                state[0] = exec(Duration.ofSeconds(10), "systemctl", "is-system-running").stdout();
                state[0] = state[0].trim();
                return (state[0].equals("running") || state[0].equals("degraded"))
                    && sshAnswers(Duration.ofSeconds(1));
              });
    } catch (ConditionTimeoutException e) {
      String failed;
      try {
        failed = exec("systemctl", "--failed", "--no-legend").stdout().trim();
      } catch (RuntimeException x) {
        failed = "(cannot ask: " + x.getMessage() + ")";
      }
      throw new IllegalStateException(
          "node "
              + name
              + " ("
              + containerName()
              + ") did not boot within "
              + Waits.scaled(BOOT).toSeconds()
              + " s: systemctl is-system-running says "
              + state[0]
              + ", sshd on "
              + address
              + ":22 "
              + (sshAnswers(Duration.ofSeconds(1)) ? "answers" : "does not answer")
              + "; failed units: "
              + (failed.isEmpty() ? "none" : failed),
          e);
    }
  }

  // ------------------------------------------------------------------ the network

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

  /**
   * A Docker bridge network of this run, {@code 10.253.x.0/24} with {@code x} chosen free (no route
   * of this host and no other Docker network in it); its nodes get {@code .10}, {@code .11}, ...
   * Closing it removes its nodes and itself.
   */
  public static final class Lan implements AutoCloseable {

    private final Network network;
    private final String name;
    private final String prefix;
    private final DockerImageName image;
    private final List<NodeContainer> nodes = new ArrayList<>();
    private int next = 10;

    private Lan(Network network, String name, String prefix, DockerImageName image) {
      this.network = network;
      this.name = name;
      this.prefix = prefix;
      this.image = image;
    }

    private static Lan create(DockerImageName image) {
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
          return new Lan(n, name, prefix, image);
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
      NodeContainer n = new NodeContainer(this, node, address(next++), authorizedKey);
      nodes.add(n);
      n.container = create(n, hostKey);
      n.container.start();
      n.awaitBooted();
      return n;
    }

    /** The container of node {@code n}, not started yet. */
    private GenericContainer<?> create(NodeContainer n, Optional<Path> hostKey) {
      try {
        GenericContainer<?> c =
            new GenericContainer<>(image)
                .withImagePullPolicy(ignored -> false) // built here; no registry is reachable
                .withNetwork(network)
                .withLabel(RUN_LABEL, RUN)
                .withLabel(PIDNS_LABEL, pidNamespace())
                .withCopyToContainer(
                    Transferable.of(Files.readAllBytes(n.authorizedKey), 0600),
                    "/root/.ssh/authorized_keys")
                .withCreateContainerCmdModifier(
                    cmd -> {
                      cmd.withName(n.containerName())
                          .withHostName(n.name)
                          .withIpv4Address(n.address)
                          // systemd halts on it; on docker's SIGTERM it re-executes itself and
                          // `docker restart` kills it after its timeout
                          .withStopSignal("SIGRTMIN+3");
                      // systemd as PID 1 (cgroup v1 here); --privileged fails on this machine
                      cmd.getHostConfig()
                          .withCapAdd(Capability.NET_ADMIN, Capability.SYS_ADMIN)
                          .withBinds(
                              new Bind(
                                  "/sys/fs/cgroup", new Volume("/sys/fs/cgroup"), AccessMode.rw))
                          .withTmpFs(Map.of("/run", "", "/run/lock", ""));
                    });
        if (hostKey.isPresent()) {
          Path key = hostKey.get();
          c.withCopyToContainer(
                  Transferable.of(Files.readAllBytes(key), 0600), "/etc/ssh/ssh_host_ed25519_key")
              .withCopyToContainer(
                  Transferable.of(Files.readAllBytes(Path.of(key + ".pub")), 0644),
                  "/etc/ssh/ssh_host_ed25519_key.pub");
        }
        return c;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
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
  }
}
