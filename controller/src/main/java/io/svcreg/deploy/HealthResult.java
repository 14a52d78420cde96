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
   * {@code result} cross-checked with the liveness of the service's process {@code pid}: when the
   * process is gone, a failure with reason {@link DeployReasons#PROCESS_EXITED} that says what the
   * script said, else {@code result} itself.
   */
  static HealthResult withProcess(HealthResult result, String what, long pid, boolean alive) {
    if (alive) {
      return result;
    }
    String said =
        switch (result) {
          case Passing p -> "the health script of " + what + " said passing, but";
          case Failing f -> f.message() + ", and";
        };
    return new Failing(
        DeployReasons.PROCESS_EXITED,
        said + " its process (pid " + pid + ") is gone",
        result instanceof Failing f ? f.exitCode() : OptionalInt.of(0),
        result.output());
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
