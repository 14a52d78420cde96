package io.svcreg.deploy;

/**
 * What a node reports about a service version: whether its install directory is present (with its
 * required scripts), whether the recorded process is alive (same pid and start time), and whether
 * the service's address, when asked about, is missing from the node's interfaces.
 */
public record Observation(boolean installed, boolean running, boolean addressMissing) {

  /** An observation that did not look at addresses. */
  public Observation(boolean installed, boolean running) {
    this(installed, running, false);
  }
}
