package io.svcreg.deploy;

import java.util.Optional;

/**
 * What a node reports about a service version: whether its install directory is present (with its
 * required scripts), whether the service runs (for a managed process: the recorded process is
 * alive, same pid and start time; for a systemd unit: the unit is active; for a container: it runs
 * that version), whether the service's address, when asked about, is missing from the node's
 * interfaces, and the process that runs it now when that is not the recorded one (a unit that
 * systemd started again: after a crash, or at a reboot).
 */
public record Observation(
    boolean installed, boolean running, boolean addressMissing, Optional<ProcessRef> current) {

  /** An observation that did not look at addresses. */
  public Observation(boolean installed, boolean running) {
    this(installed, running, false, Optional.empty());
  }

  /** An observation of a managed process. */
  public Observation(boolean installed, boolean running, boolean addressMissing) {
    this(installed, running, addressMissing, Optional.empty());
  }
}
