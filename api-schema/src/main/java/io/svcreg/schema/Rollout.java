package io.svcreg.schema;

/** How a new version is rolled out: how long it may take to become healthy, and what then. */
public record Rollout(SpecDuration progressDeadline, boolean autoRollback) {

  /** The defaults: 60 s, roll back automatically. */
  public static final Rollout DEFAULT = new Rollout(SpecDuration.ofSeconds(60), true);
}
