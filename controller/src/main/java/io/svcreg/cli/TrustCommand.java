package io.svcreg.cli;

import io.svcreg.deploy.ssh.HostKeyScan;
import io.svcreg.deploy.ssh.SshTarget;
import io.svcreg.schema.Network;
import io.svcreg.schema.NetworkType;
import io.svcreg.schema.Node;
import io.svcreg.schema.SpecLoader;
import io.svcreg.schema.SpecSet;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code svcreg trust NODE --specs DIR}: reads a node's SSH host key, prints its fingerprint and
 * adds it to the node's known hosts file, so that the controller accepts the node.
 */
@Command(
    name = "trust",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description = {
      "Accept a remote node's SSH host key: print its SHA256 fingerprint and append it to the"
          + " node's ssh.knownHosts file. Compare the fingerprint with the one on the node"
          + " (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) before relying on it.",
      "Exit codes: 0 trusted (or already known), 2 unknown node, unreachable or bad usage."
    })
final class TrustCommand implements Callable<Integer> {

  private final Output output;

  @Parameters(index = "0", paramLabel = "NODE", description = "The node's name in its network.")
  String node;

  @Option(
      names = "--specs",
      paramLabel = "DIR",
      required = true,
      description = "The spec directory declaring the node's network.")
  Path specs;

  @Option(
      names = "--network",
      paramLabel = "NAME",
      description = "The network of the node, when several declare a node of that name.")
  String network;

  @Option(
      names = "--fingerprint",
      paramLabel = "SHA256:...",
      description = "Trust the key only if its fingerprint is this one.")
  String expected;

  TrustCommand(Output output) {
    this.output = output;
  }

  @Override
  public Integer call() {
    SpecSet set = SpecLoader.load(List.of(specs));
    List<String> where = new ArrayList<>();
    Optional<Node> found = Optional.empty();
    for (var r : set.resources()) {
      if (r instanceof Network n
          && n.spec().type() != NetworkType.LOCAL
          && (network == null || network.equals(n.name()))) {
        Optional<Node> m = n.spec().node(node);
        if (m.isPresent()) {
          where.add(n.name());
          found = m;
        }
      }
    }
    if (where.isEmpty()) {
      return fail(
          "no lan or wireguard network in "
              + specs
              + " declares a node "
              + node
              + (network == null ? "" : " in network " + network));
    }
    if (where.size() > 1) {
      return fail(
          "node "
              + node
              + " is declared in networks "
              + String.join(", ", where)
              + "; choose one with --network");
    }
    SshTarget target = SshTarget.of(found.get());
    try {
      HostKeyScan.Key key = HostKeyScan.scan(target, Duration.ofSeconds(10));
      output.out().println(target.describe() + " presents " + key.fingerprint());
      if (expected != null && !expected.equals(key.fingerprint())) {
        return fail(
            "the fingerprint is not the expected "
                + expected
                + "; nothing was added to "
                + target.knownHosts());
      }
      if (HostKeyScan.known(target, key)) {
        output.out().println("already trusted in " + target.knownHosts());
        return Cli.OK;
      }
      HostKeyScan.trust(target, key);
      output.out().println("added to " + target.knownHosts());
      return Cli.OK;
    } catch (IOException e) {
      return fail(e.getMessage());
    }
  }

  private int fail(String message) {
    output.err().println("svcreg trust: " + message);
    output.err().flush();
    return Cli.ERROR;
  }
}
