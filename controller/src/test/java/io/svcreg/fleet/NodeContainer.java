package io.svcreg.fleet;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.ExecCreateCmdResponse;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.ContainerNetwork;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;
import com.github.dockerjava.api.model.Volume;
import io.svcreg.Waits;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.images.builder.Transferable;

/**
 * A test node that is a separate host: a container of the node image ({@code
 * tools/lib/node-image.sh}, named by {@value NodeLan#IMAGE_VARIABLE}) with systemd as PID 1 and
 * OpenSSH's sshd on port 22, its own file system, process table and address on a Docker network of
 * this test run ({@link NodeLan}, which starts nodes). Root logs in with the key given at start.
 * {@link #close} removes the container; closing its {@link NodeLan} removes every node of it.
 */
public final class NodeContainer implements AutoCloseable {

  /** How long a boot (start, restart) may take before the node counts as broken (scaled). */
  private static final Duration BOOT = Duration.ofSeconds(60);

  /** What a command run on the node returned. */
  public record Exec(int exitCode, String stdout, String stderr) {

    /** Whether it exited with 0. */
    public boolean ok() {
      return exitCode == 0;
    }
  }

  private final NodeLan lan;
  private final String name;
  private final String address;
  private final Path authorizedKey;
  private GenericContainer<?> container;
  private boolean paused;

  private NodeContainer(NodeLan lan, String name, String address, Path authorizedKey) {
    this.lan = lan;
    this.name = name;
    this.address = address;
    this.authorizedKey = authorizedKey;
  }

  /**
   * Starts node {@code name} at {@code address} of {@code lan}, root's key {@code authorizedKey},
   * its ed25519 host key {@code hostKey} when given, and waits until it has booted.
   */
  static NodeContainer start(
      NodeLan lan, String name, String address, Path authorizedKey, Optional<Path> hostKey) {
    NodeContainer n = new NodeContainer(lan, name, address, authorizedKey);
    lan.nodes.add(n);
    n.boot(hostKey);
    return n;
  }

  private void boot(Optional<Path> hostKey) {
    container = create(hostKey);
    container.start();
    awaitBooted();
  }

  /** This node's container, not started yet. */
  private GenericContainer<?> create(Optional<Path> hostKey) {
    try {
      GenericContainer<?> c =
          new GenericContainer<>(lan.image)
              .withImagePullPolicy(ignored -> false) // built here; no registry is reachable
              .withNetwork(lan.network)
              .withLabel(NodeLan.RUN_LABEL, NodeLan.RUN)
              .withLabel(NodeLan.PIDNS_LABEL, NodeLan.pidNamespace())
              .withCopyToContainer(
                  Transferable.of(Files.readAllBytes(authorizedKey), 0600),
                  "/root/.ssh/authorized_keys")
              .withCreateContainerCmdModifier(
                  cmd -> {
                    cmd.withName(containerName())
                        .withHostName(name)
                        .withIpv4Address(address)
                        // systemd halts on it; on docker's SIGTERM it re-executes itself and
                        // `docker restart` kills it after its timeout
                        .withStopSignal("SIGRTMIN+3");
                    // systemd as PID 1 (cgroup v1 here); --privileged fails on this machine
                    cmd.getHostConfig()
                        .withCapAdd(Capability.NET_ADMIN, Capability.SYS_ADMIN)
                        .withBinds(
                            new Bind("/sys/fs/cgroup", new Volume("/sys/fs/cgroup"), AccessMode.rw))
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

  // ------------------------------------------------------------------ what the node is

  /** The node's name (also its host name and the end of its container's name). */
  public String name() {
    return name;
  }

  /**
   * The node's address on its {@link NodeLan}; it keeps it across restarts, reconnects, rebuilds.
   */
  public String address() {
    return address;
  }

  /** The container's name: its network's ({@link NodeLan#RUN} and a number) and the node's. */
  public String containerName() {
    return lan.name + "-" + name;
  }

  /** The container's id (another one after {@link #rebuild}). */
  public String containerId() {
    return container.getContainerId();
  }

  /** This host's pid of the node's PID 1 (its systemd), e.g. to read its namespaces. */
  public long initPid() {
    return NodeLan.docker().inspectContainerCmd(containerId()).exec().getState().getPidLong();
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
    DockerClient d = NodeLan.docker();
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
        new ArrayList<>(List.of("ssh", "-F", "/dev/null", "-i", identity.toString()));
    for (String option :
        List.of(
            "IdentitiesOnly=yes",
            "BatchMode=yes",
            "StrictHostKeyChecking=yes",
            "UserKnownHostsFile=" + knownHosts,
            "GlobalKnownHostsFile=/dev/null",
            "ConnectTimeout=" + Math.max(1, connectTimeout.toSeconds()),
            "LogLevel=ERROR")) {
      argv.addAll(List.of("-o", option));
    }
    argv.addAll(List.of("root@" + address, "--"));
    argv.addAll(List.of(cmd));
    try {
      Path out = Files.createTempFile("svcreg-ssh", ".out");
      Path err = Files.createTempFile("svcreg-ssh", ".err");
      try {
        Process p =
            new ProcessBuilder(argv)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        if (!p.waitFor(connectTimeout.toSeconds() + 30, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          throw new IllegalStateException(name + ": ssh " + String.join(" ", cmd) + " hung");
        }
        return new Exec(p.exitValue(), Files.readString(out), Files.readString(err));
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
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
    NodeLan.docker().restartContainerCmd(containerId()).withTimeout(20).exec();
    awaitBooted();
  }

  /** Kills the node at once ({@code docker kill}, SIGKILL): a power cut. */
  public void kill() {
    NodeLan.docker().killContainerCmd(containerId()).exec();
  }

  /** Starts the node again after {@link #kill} and waits until systemd and sshd are up. */
  public void start() {
    NodeLan.docker().startContainerCmd(containerId()).exec();
    awaitBooted();
  }

  /** Freezes every process of the node ({@code docker pause}); its kernel still answers TCP. */
  public void pause() {
    NodeLan.docker().pauseContainerCmd(containerId()).exec();
    paused = true;
  }

  /** Thaws the node after {@link #pause}. */
  public void unpause() {
    NodeLan.docker().unpauseContainerCmd(containerId()).exec();
    paused = false;
  }

  /** Takes the node off its network ({@code docker network disconnect}): its address is gone. */
  public void disconnect() {
    NodeLan.docker()
        .disconnectFromNetworkCmd()
        .withNetworkId(lan.id())
        .withContainerId(containerId())
        .exec();
  }

  /** Puts the node back on its network with the same address and waits until sshd answers. */
  public void reconnect() {
    NodeLan.docker()
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
    boot(Optional.empty());
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
}
