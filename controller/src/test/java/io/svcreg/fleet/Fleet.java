package io.svcreg.fleet;

import io.svcreg.deploy.ssh.OpenSshd;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Container nodes for a controller under test: a {@link NodeLan} whose nodes root logs in to with
 * one key of the test's, a known hosts file with their host keys, and the spec texts of a {@code
 * lan} network of its subnet and of services on its nodes. {@link #close} removes the nodes and the
 * network.
 */
final class Fleet implements AutoCloseable {

  private final Path key;
  private final Path knownHosts;
  private final NodeLan lan;

  private Fleet(Path key, Path knownHosts, NodeLan lan) {
    this.key = key;
    this.knownHosts = knownHosts;
    this.lan = lan;
  }

  /** Makes the key (and later the known hosts file) in {@code dir}, and the nodes' network. */
  static Fleet open(Path dir) {
    Path key = dir.resolve("id_ed25519");
    OpenSshd.keygen(key);
    return new Fleet(key, dir.resolve("known_hosts"), NodeLan.open());
  }

  /** The nodes' network. */
  NodeLan lan() {
    return lan;
  }

  /** Starts node {@code name}; its host keys go into the known hosts file. */
  NodeContainer start(String name) {
    NodeContainer n = lan.start(name, Path.of(key + ".pub"));
    try {
      Files.writeString(
          knownHosts, n.knownHostsLines(), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return n;
  }

  /** An install root of its own on a node, e.g. {@code /opt/svcreg-1f2e3d}. */
  static String installRoot() {
    return "/opt/svcreg-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
  }

  /**
   * Network {@code lan} of the nodes' subnet (its gateway, this host, reserved) with {@code nodes},
   * each reached as root with the key, checked against the known hosts file, and installing into
   * {@code installRoot}.
   */
  String network(String installRoot, NodeContainer... nodes) {
    StringBuilder b =
        new StringBuilder("apiVersion: svcreg.io/v1\nkind: Network\nmetadata: {name: lan}\nspec:\n")
            .append("  type: lan\n  subnet: ")
            .append(lan.subnet())
            .append("\n  reserved: [")
            .append(lan.gateway())
            .append("]\n  nodes:\n");
    for (NodeContainer n : nodes) {
      b.append("    - name: ")
          .append(n.name())
          .append("\n      address: ")
          .append(n.address())
          .append("\n      ssh: {user: root, port: 22, identityFile: ")
          .append(key)
          .append(", knownHosts: ")
          .append(knownHosts)
          .append("}\n      installRoot: ")
          .append(installRoot)
          .append('\n');
    }
    return b.toString();
  }

  /**
   * Service {@code name} version 1 of the package {@code packageDir} (in the rig's packages) on
   * {@code node} of network {@code lan}, run as {@code execution} ({@code systemd}, {@code
   * managed_process}), endpoint {@code http} on {@code port}, health every second.
   */
  static String service(String name, String packageDir, String node, String execution, int port) {
    return "apiVersion: svcreg.io/v1\nkind: Service\nmetadata: {name: "
        + name
        + "}\nspec:\n  version: \"1\"\n  package: ../packages/"
        + packageDir
        + "\n  network: lan\n  node: "
        + node
        + "\n  execution: {type: "
        + execution
        + "}\n  endpoints: [{name: http, port: "
        + port
        + "}]\n"
        + "  health: {script: scripts/health.sh, interval: 1s, timeout: 2s, failureThreshold: 2}\n";
  }

  @Override
  public void close() {
    lan.close();
  }
}
