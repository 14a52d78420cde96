package io.svcreg.store;

import java.time.Instant;
import java.util.Objects;

/**
 * Something the controller installed: a version of a service at a path on a node. The inventory is
 * the only thing the controller may ever prune. An entry is identified by its node and path.
 */
public record InventoryEntry(
    String service, String node, String version, String path, Instant installedAt) {

  public InventoryEntry {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(installedAt, "installedAt");
  }
}
