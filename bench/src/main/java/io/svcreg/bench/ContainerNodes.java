package io.svcreg.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Three container nodes of the test image ({@code SVCREG_NODE_IMAGE}, built by {@code
 * tools/lib/node-image.sh}): separate hosts with their own network stack, disk and systemd as PID
 * 1, sshd on port 22, on a Docker network of a free {@code 10.253.x.0/24} this benchmark creates
 * (this host is its gateway, {@code .1}; the nodes are {@code .10}–{@code .12}); logged in to as
 * root. Run with {@code docker} the way the tests run them (systemd needs NET_ADMIN and SYS_ADMIN,
 * the host's cgroup file system and a tmpfs on {@code /run}); closing removes the containers and
 * the network.
 */
final class ContainerNodes extends SshNodes {

  private static final Duration BOOT = Duration.ofSeconds(90);
  private static final String LABEL = "io.svcreg.bench=ssh";

  private final String image;
  private final String prefix;
  private final List<String> containers = new ArrayList<>();
  private String network;
  private String subnet;

  ContainerNodes(Path dir, String image) throws IOException {
    super(dir.resolve("id_ed25519"), dir.resolve("known_hosts"));
    this.image = image;
    this.prefix =
        "svcreg-bench-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    try {
      createNetwork();
      String net = subnet.substring(0, subnet.lastIndexOf('.'));
      for (int i = 0; i < 3; i++) {
        String name = prefix + "-n" + i;
        String address = net + "." + (10 + i);
        docker(
            "run",
            "-d",
            "--name",
            name,
            "--hostname",
            "n" + i,
            "--label",
            LABEL,
            "--network",
            network,
            "--ip",
            address,
            "--cap-add",
            "NET_ADMIN",
            "--cap-add",
            "SYS_ADMIN",
            "--stop-signal",
            "SIGRTMIN+3",
            "-v",
            "/sys/fs/cgroup:/sys/fs/cgroup:rw",
            "--tmpfs",
            "/run",
            "--tmpfs",
            "/run/lock",
            image);
        containers.add(name);
        nodes.add(new Node(address, 22, "root", "/root/bench"));
      }
      StringBuilder knownText = new StringBuilder();
      String pub = Files.readString(Path.of(key() + ".pub")).trim();
      for (int i = 0; i < 3; i++) {
        String c = containers.get(i);
        awaitBooted(c);
        docker(
            "exec",
            c,
            "sh",
            "-c",
            "mkdir -p /root/.ssh && chmod 700 /root/.ssh && printf '%s\\n' '"
                + pub
                + "' > /root/.ssh/authorized_keys && chmod 600 /root/.ssh/authorized_keys");
        String[] f =
            docker("exec", c, "cat", "/etc/ssh/ssh_host_ed25519_key.pub").trim().split(" ");
        knownText.append(nodes.get(i).host()).append(' ').append(f[0]).append(' ').append(f[1]);
        knownText.append('\n');
        SshBench.awaitListening(nodes.get(i).host(), 22);
      }
      Files.writeString(knownHosts(), knownText);
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  /** A Docker network on a {@code 10.253.x.0/24} that no interface of this host holds. */
  private void createNetwork() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    RuntimeException last = null;
    for (int attempt = 0; attempt < 20; attempt++) {
      String candidate = "10.253." + r.nextInt(1, 255) + ".0/24";
      if (!SshBench.output("ip", "-o", "-4", "addr", "show", "to", candidate).isBlank()
          || !SshBench.output("ip", "-4", "route", "show", "to", "match", candidate)
              .lines()
              .filter(l -> !l.startsWith("default"))
              .toList()
              .isEmpty()) {
        continue;
      }
      try {
        docker("network", "create", "--label", LABEL, "--subnet", candidate, prefix);
        network = prefix;
        subnet = candidate;
        return;
      } catch (IllegalStateException e) {
        last = e; // taken by another network meanwhile
      }
    }
    throw new IllegalStateException("no free 10.253.x.0/24 for the benchmark's network", last);
  }

  private void awaitBooted(String container) {
    long deadline = System.nanoTime() + BOOT.toNanos();
    String state = "";
    while (System.nanoTime() < deadline) {
      state = SshBench.output("docker", "exec", container, "systemctl", "is-system-running").trim();
      if ((state.equals("running") || state.equals("degraded"))
          && SshBench.succeeds(
              "docker", "exec", container, "test", "-s", "/etc/ssh/ssh_host_ed25519_key.pub")) {
        return;
      }
      sleep(200);
    }
    throw new IllegalStateException(
        "container node "
            + container
            + " did not boot within "
            + BOOT.toSeconds()
            + " s: "
            + state);
  }

  @Override
  String describe() {
    return "container nodes on " + subnet + " (" + image + ")";
  }

  @Override
  String subnet() {
    return subnet;
  }

  @Override
  List<String> reserved() {
    return List.of(subnet.substring(0, subnet.lastIndexOf('.')) + ".1");
  }

  @Override
  double target() {
    return 1.2;
  }

  @Override
  void killServices() {
    // the containers go, and their processes with them
  }

  @Override
  public void close() {
    for (String c : containers) {
      SshBench.output("docker", "rm", "-f", c);
    }
    if (network != null) {
      SshBench.output("docker", "network", "rm", network);
    }
  }

  private static String docker(String... args) {
    List<String> cmd = new ArrayList<>(List.of("docker"));
    cmd.addAll(List.of(args));
    return SshBench.run(cmd.toArray(String[]::new));
  }

  private static void sleep(long millis) {
    try {
      TimeUnit.MILLISECONDS.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
