package io.svcreg.deploy.ssh;

import io.svcreg.deploy.Deployer;
import io.svcreg.schema.Node;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The {@link SshDeployer}s of the remote nodes, one per node (so one SSH session per node), made on
 * first use and replaced when the node's declaration changes.
 */
public final class RemoteDeployers implements AutoCloseable {

  private final Function<SshTarget, SshDeployer> factory;
  private final Map<String, SshDeployer> byNode = new ConcurrentHashMap<>();

  /** Deployers made by {@code factory} (e.g. {@link SshDeployer#create}). */
  public RemoteDeployers(Function<SshTarget, SshDeployer> factory) {
    this.factory = factory;
  }

  /** The deployer of {@code node} of {@code network}. */
  public Optional<Deployer> forNode(String network, Node node) {
    SshTarget target = SshTarget.of(node);
    String key = network + "/" + node.name();
    SshDeployer d =
        byNode.compute(
            key,
            (k, old) -> {
              if (old != null && old.target().equals(target)) {
                return old;
              }
              if (old != null) {
                old.close();
              }
              return factory.apply(target);
            });
    return Optional.of(d);
  }

  @Override
  public void close() {
    byNode.values().forEach(SshDeployer::close);
    byNode.clear();
  }
}
