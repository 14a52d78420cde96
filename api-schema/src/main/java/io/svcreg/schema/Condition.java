package io.svcreg.schema;

import java.time.Instant;

/**
 * A Kubernetes-style condition: {@code Ready}, {@code Progressing}, {@code Degraded} or {@code
 * Held}.
 */
public record Condition(
    String type,
    ConditionStatus status,
    String reason,
    String message,
    Instant lastTransitionTime) {

  /** Condition type: the service runs and passes its health checks. */
  public static final String READY = "Ready";

  /** Condition type: a rollout is under way. */
  public static final String PROGRESSING = "Progressing";

  /** Condition type: something keeps the resource from its desired state. */
  public static final String DEGRADED = "Degraded";

  /** Condition type: an operator stopped the service; it stays stopped until started again. */
  public static final String HELD = "Held";
}
