package io.svcreg.schema;

import java.time.Instant;
import java.util.Optional;

/** The latest health-check result of a service, with the tail of its output. */
public record Health(HealthState state, Optional<Instant> checkedAt, String output) {

  /** Health before any check ran. */
  public static final Health UNKNOWN = new Health(HealthState.UNKNOWN, Optional.empty(), "");
}
