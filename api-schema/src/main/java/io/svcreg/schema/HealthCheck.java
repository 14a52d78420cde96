package io.svcreg.schema;

/** A health-check script (relative to the install directory) and how it is run. */
public record HealthCheck(
    String script, SpecDuration interval, SpecDuration timeout, int failureThreshold) {

  /** Default interval between checks. */
  public static final SpecDuration DEFAULT_INTERVAL = SpecDuration.ofSeconds(10);

  /** Default timeout of one check. */
  public static final SpecDuration DEFAULT_TIMEOUT = SpecDuration.ofSeconds(5);

  /** Default number of consecutive failures before a service counts as unhealthy. */
  public static final int DEFAULT_FAILURE_THRESHOLD = 3;
}
