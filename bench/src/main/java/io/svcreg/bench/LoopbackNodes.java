package io.svcreg.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Three OpenSSH servers of this host on 127.0.0.2–4 (each its own {@code sshd -D} with its own host
 * key, on a free port), logged in to as the current user: the network, disk and init are this
 * host's.
 */
final class LoopbackNodes extends SshNodes {

  private static final String[] HOSTS = {"127.0.0.2", "127.0.0.3", "127.0.0.4"};

  private final List<Process> servers = new ArrayList<>();

  LoopbackNodes(Path dir) throws IOException {
    super(dir.resolve("id_ed25519"), dir.resolve("known_hosts"));
    String user = System.getProperty("user.name");
    StringBuilder knownText = new StringBuilder();
    try {
      for (int i = 0; i < HOSTS.length; i++) {
        Path node = Files.createDirectories(dir.resolve("node" + i));
        int port = freePort(HOSTS[i]);
        servers.add(sshd(node, HOSTS[i], port));
        String[] f = Files.readString(node.resolve("host.pub")).trim().split(" ");
        knownText.append('[').append(HOSTS[i]).append("]:").append(port);
        knownText.append(' ').append(f[0]).append(' ').append(f[1]).append('\n');
        nodes.add(new Node(HOSTS[i], port, user, node.resolve("files").toString()));
      }
      Files.writeString(knownHosts(), knownText);
      for (Node n : nodes) {
        SshBench.awaitListening(n.host(), n.port());
      }
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  @Override
  String describe() {
    return "OpenSSH on " + HOSTS[0] + "-" + HOSTS[HOSTS.length - 1].substring(8) + " (this host)";
  }

  @Override
  String subnet() {
    return "127.0.0.0/24";
  }

  @Override
  List<String> reserved() {
    return List.of("127.0.0.1");
  }

  @Override
  double target() {
    return 1.5;
  }

  @Override
  void killServices() {
    for (Node n : nodes) {
      TinyPackage.killAll(Path.of(n.base(), "specs"));
    }
  }

  @Override
  public void close() {
    for (Process p : servers) {
      p.destroy();
      try {
        p.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private Process sshd(Path node, String host, int port) throws IOException {
    Files.createDirectories(Path.of("/run/sshd"));
    SshBench.run(
        "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", node.resolve("host").toString());
    Files.copy(Path.of(key() + ".pub"), node.resolve("authorized_keys"));
    Path config = node.resolve("sshd_config");
    Files.writeString(
        config,
        String.join(
            "\n",
            "Port " + port,
            "ListenAddress " + host,
            "HostKey " + node.resolve("host"),
            "PidFile " + node.resolve("sshd.pid"),
            "AuthorizedKeysFile " + node.resolve("authorized_keys"),
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "StrictModes no",
            "LogLevel ERROR",
            "Subsystem sftp /usr/lib/openssh/sftp-server",
            ""));
    return new ProcessBuilder("/usr/sbin/sshd", "-D", "-e", "-f", config.toString())
        .redirectErrorStream(true)
        .redirectOutput(node.resolve("sshd.log").toFile())
        .start();
  }

  private static int freePort(String ip) throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(InetAddress.getByName(ip), 0));
      return s.getLocalPort();
    }
  }
}
