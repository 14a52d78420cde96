package io.svcreg.core.rollout;

import io.svcreg.core.ResourceChange;
import java.util.Optional;

/**
 * How a decision's steps end, handed back to {@link Rollout#afterStep} with each result: what the
 * steps are for ({@code mode}), the planner's change of the service (for the record written once
 * the change is carried out), and whether they started a process.
 */
public record Run(Mode mode, Optional<ResourceChange> change, boolean started) {

  /** What a decision's steps are for. */
  public enum Mode {
    /** Nothing runs. */
    NONE,
    /** Repairs after what the node said; deciding follows. */
    OBSERVE,
    /** The planner's actions. */
    PLAN,
    /** An operator's pending restart or re-deploy of a settled service. */
    CARRY_OUT,
    /** A health check of a starting service (or the check that it outlived its grace). */
    STARTING,
    /** The periodic health check of a running service. */
    RUNNING,
    /** Removing what the inventory still records of a service that is gone. */
    REMOVE
  }

  /** Steps of no particular kind (none). */
  public static final Run NONE = new Run(Mode.NONE, Optional.empty(), false);

  /** This run, having started a process. */
  Run withStarted() {
    return new Run(mode, change, true);
  }
}
