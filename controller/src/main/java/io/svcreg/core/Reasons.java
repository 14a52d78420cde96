package io.svcreg.core;

/**
 * Condition reasons that the planner reads from observed status; the reconcile loop sets them on
 * the {@code Progressing}, {@code Degraded} and {@code Held} conditions.
 */
public final class Reasons {

  /** The service failed to start too often for its current generation; the loop gave up. */
  public static final String START_LIMIT_REACHED = "StartLimitReached";

  /** A rollout failed and the previous version was restored; the loop waits for a new spec. */
  public static final String ROLLED_BACK = "RolledBack";

  /** A new version did not become healthy within {@code rollout.progressDeadline}. */
  public static final String PROGRESS_DEADLINE_EXCEEDED = "ProgressDeadlineExceeded";

  /** The reason of a true {@code Held} condition: an operator stopped the service. */
  public static final String STOPPED_BY_OPERATOR = "StoppedByOperator";

  private Reasons() {}
}
