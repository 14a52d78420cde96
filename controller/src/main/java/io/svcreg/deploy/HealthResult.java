package io.svcreg.deploy;

import io.svcreg.schema.HealthState;
import java.util.OptionalInt;

/** The result of one run of a service's health script, with the tail of its output. */
public sealed interface HealthResult {

  /** {@link HealthState#PASSING} or {@link HealthState#FAILING}. */
  HealthState state();

  /** The last lines of the script's output (at most 20 lines and 2 KB). */
  String output();

  /** The script exited with code 0. */
  record Passing(String output) implements HealthResult {
    @Override
    public HealthState state() {
      return HealthState.PASSING;
    }
  }

  /**
   * The script exited non-zero ({@code exitCode}), timed out (killed, no exit code), or could not
   * be run.
   */
  record Failing(String reason, String message, OptionalInt exitCode, String output)
      implements HealthResult, Failure {
    @Override
    public HealthState state() {
      return HealthState.FAILING;
    }
  }
}
