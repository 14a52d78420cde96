package io.svcreg.core.rollout;

import java.time.Instant;
import java.util.Optional;

/** What asking the node about a deployed service found, before deciding. */
public sealed interface Probe {

  /** Nothing was asked: nothing is deployed, or no deployer reaches the node. */
  record NotAsked() implements Probe {}

  /**
   * The node answered: whether the deployed version's install directory is complete, whether the
   * recorded process (if any) is still the same running process, and whether the service's address
   * is missing from the node (only asked where svcreg configures addresses on nodes).
   */
  record Seen(boolean installed, boolean running, boolean addressMissing, Optional<Running> current)
      implements Probe {

    /** An answer that says nothing of addresses. */
    public Seen(boolean installed, boolean running) {
      this(installed, running, false, Optional.empty());
    }

    /** An answer about the recorded process. */
    public Seen(boolean installed, boolean running, boolean addressMissing) {
      this(installed, running, addressMissing, Optional.empty());
    }
  }

  /**
   * The process that runs a service now when it is not the recorded one: systemd started its unit
   * again (after a crash, or when the node booted).
   */
  record Running(long pid, Instant startTime) {}

  /** The node could not be asked ({@code reason} as in the deployer's failures). */
  record Unreachable(String reason, String message) implements Probe {}

  /** The shared {@link NotAsked}. */
  Probe NOT_ASKED = new NotAsked();
}
