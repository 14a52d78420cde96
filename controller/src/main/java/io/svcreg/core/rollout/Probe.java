package io.svcreg.core.rollout;

/** What asking the node about a deployed service found, before deciding. */
public sealed interface Probe {

  /** Nothing was asked: nothing is deployed, or no deployer reaches the node. */
  record NotAsked() implements Probe {}

  /**
   * The node answered: whether the deployed version's install directory is complete, whether the
   * recorded process (if any) is still the same running process, and whether the service's address
   * is missing from the node (only asked where svcreg configures addresses on nodes).
   */
  record Seen(boolean installed, boolean running, boolean addressMissing) implements Probe {

    /** An answer that says nothing of addresses. */
    public Seen(boolean installed, boolean running) {
      this(installed, running, false);
    }
  }

  /** The node could not be asked ({@code reason} as in the deployer's failures). */
  record Unreachable(String reason, String message) implements Probe {}

  /** The shared {@link NotAsked}. */
  Probe NOT_ASKED = new NotAsked();
}
