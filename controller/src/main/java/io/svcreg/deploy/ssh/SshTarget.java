package io.svcreg.deploy.ssh;

import io.svcreg.schema.Node;
import java.nio.file.Path;

/**
 * Where and how a node is reached over SSH: its address and port, the user, the identity file and
 * known hosts file on the controller's host ({@code ~} expanded), and the install root on the node.
 */
public record SshTarget(
    String node,
    String host,
    int port,
    String user,
    Path identityFile,
    Path knownHosts,
    String installRoot) {

  /** The target of a declared node; {@code home} expands a leading {@code ~}. */
  public static SshTarget of(Node node, Path home) {
    return new SshTarget(
        node.name(),
        node.address().toString(),
        node.ssh().port(),
        node.ssh().user(),
        expand(node.ssh().identityFile(), home),
        expand(node.ssh().knownHosts(), home),
        node.installRoot());
  }

  /** The target of a declared node, {@code ~} being the user's home directory. */
  public static SshTarget of(Node node) {
    return of(node, Path.of(System.getProperty("user.home")));
  }

  /** {@code node NAME (user@host:port)}, for messages. */
  public String describe() {
    return "node " + node + " (" + user + "@" + host + ":" + port + ")";
  }

  private static Path expand(String path, Path home) {
    if (path.equals("~")) {
      return home;
    }
    if (path.startsWith("~/")) {
      return home.resolve(path.substring(2));
    }
    return Path.of(path);
  }
}
