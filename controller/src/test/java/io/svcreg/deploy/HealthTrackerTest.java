package io.svcreg.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.svcreg.schema.HealthState;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class HealthTrackerTest {

  private static HealthTracker after(HealthTracker t, boolean... results) {
    for (boolean r : results) {
      t = t.record(r);
    }
    return t;
  }

  @Test
  void initial_noCheckYet_isUnknown() {
    assertThat(HealthTracker.initial(3).state()).isEqualTo(HealthState.UNKNOWN);
  }

  @Test
  void record_pass_isPassing() {
    assertThat(after(HealthTracker.initial(3), true).state()).isEqualTo(HealthState.PASSING);
  }

  @Test
  void record_failuresBelowThreshold_keepPreviousState() {
    assertThat(after(HealthTracker.initial(3), false, false).state())
        .isEqualTo(HealthState.UNKNOWN);
    assertThat(after(HealthTracker.initial(3), true, false, false).state())
        .isEqualTo(HealthState.PASSING);
  }

  @Test
  void record_thresholdConsecutiveFailures_isFailing() {
    HealthTracker t = after(HealthTracker.initial(3), true, false, false, false);

    assertThat(t.state()).isEqualTo(HealthState.FAILING);
    assertThat(t.consecutiveFailures()).isEqualTo(3);
  }

  @Test
  void record_failuresInterruptedByPass_startCountingAgain() {
    HealthTracker t = after(HealthTracker.initial(3), false, false, true, false, false);

    assertThat(t.state()).isEqualTo(HealthState.PASSING);
    assertThat(t.consecutiveFailures()).isEqualTo(2);
  }

  @Test
  void record_passAfterFailing_isPassingAgain() {
    HealthTracker t = after(HealthTracker.initial(1), false);
    assertThat(t.state()).isEqualTo(HealthState.FAILING);

    assertThat(t.record(true)).isEqualTo(new HealthTracker(1, HealthState.PASSING, 0));
  }

  @Test
  void record_healthResults_countLikeBooleans() {
    HealthTracker t =
        HealthTracker.initial(1)
            .record(new HealthResult.Passing("ok"))
            .record(
                new HealthResult.Failing(
                    DeployReasons.HEALTH_CHECK_FAILED, "exited with 1", OptionalInt.of(1), ""));

    assertThat(t.state()).isEqualTo(HealthState.FAILING);
  }

  @Test
  void initial_thresholdBelowOne_isRejected() {
    assertThatThrownBy(() -> HealthTracker.initial(0)).isInstanceOf(IllegalArgumentException.class);
  }
}
