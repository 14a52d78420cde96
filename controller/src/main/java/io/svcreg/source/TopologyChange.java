package io.svcreg.source;

import java.util.Optional;

/**
 * How this host's attachment to one network changed between two detections (the data of a {@code
 * network_topology_changed} event). {@code before} is empty for a newly declared network, {@code
 * after} for one no longer declared.
 */
public record TopologyChange(
    String network, Optional<Attachment> before, Optional<Attachment> after) {

  /** Whether the host is attached now (false when the network is no longer declared). */
  public boolean attached() {
    return after.map(Attachment::attached).orElse(false);
  }

  /** One line for logs and events, e.g. {@code lan1: not attached -> interface eth0 (10.0.0.5)}. */
  public String describe() {
    return network
        + ": "
        + before.map(Attachment::how).orElse("not declared")
        + " -> "
        + after.map(Attachment::how).orElse("not declared");
  }
}
