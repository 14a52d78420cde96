package io.svcreg.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The three SSH nodes {@code tools/bench ssh} deploys to, with what the controller's network spec
 * needs to reach them; closing them stops and removes them.
 */
abstract class SshNodes implements AutoCloseable {

  /** One node: where sshd answers, the user to log in as, and a directory the user may write. */
  record Node(String host, int port, String user, String base) {}

  private final Path key;
  private final Path knownHosts;

  /** The nodes, as they are set up. */
  final List<Node> nodes = new ArrayList<>();

  /** Nodes logged in to with {@code key} (made here), their host keys in {@code knownHosts}. */
  SshNodes(Path key, Path knownHosts) {
    this.key = key;
    this.knownHosts = knownHosts;
    SshBench.run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.toString());
  }

  /** What they are, for the report, e.g. {@code OpenSSH on 127.0.0.2-4}. */
  abstract String describe();

  /** The nodes. */
  final List<Node> nodes() {
    return nodes;
  }

  /** The private key that logs in to every node. */
  final Path key() {
    return key;
  }

  /** A known hosts file with every node's host key. */
  final Path knownHosts() {
    return knownHosts;
  }

  /** The subnet of a {@code lan} network holding the nodes, e.g. {@code 127.0.0.0/24}. */
  abstract String subnet();

  /** The addresses of that subnet the controller must not hand out (gateways, this host). */
  abstract List<String> reserved();

  /** The deploy time allowed against {@code scp} + {@code ssh tar}, as a ratio. */
  abstract double target();

  /** Stops every service the benchmark started on the nodes (best effort). */
  abstract void killServices();

  @Override
  public abstract void close();
}
