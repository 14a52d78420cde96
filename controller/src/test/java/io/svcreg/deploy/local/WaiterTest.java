package io.svcreg.deploy.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WaiterTest {

  /** A clock that only moves when the waiter pauses. */
  private static final class FakeTime {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");
    final List<Duration> pauses = new ArrayList<>();

    Waiter waiter(Duration interval) {
      return new Waiter(
          () -> now,
          interval,
          d -> {
            pauses.add(d);
            now = now.plus(d);
          });
    }
  }

  @Test
  void until_conditionAlreadyTrue_returnsTrueWithoutPausing() throws Exception {
    FakeTime t = new FakeTime();

    assertThat(t.waiter(Duration.ofMillis(100)).until(Duration.ofSeconds(1), () -> true)).isTrue();
    assertThat(t.pauses).isEmpty();
  }

  @Test
  void until_conditionBecomesTrue_returnsTrueAtThatCheck() throws Exception {
    FakeTime t = new FakeTime();
    Instant start = t.now;

    boolean done =
        t.waiter(Duration.ofMillis(100))
            .until(Duration.ofSeconds(1), () -> t.now.isAfter(start.plusMillis(250)));

    assertThat(done).isTrue();
    assertThat(t.pauses).hasSize(3);
  }

  @Test
  void until_neverTrue_returnsFalseAtTheDeadlineAfterALastCheck() throws Exception {
    FakeTime t = new FakeTime();
    Instant start = t.now;
    List<Instant> checks = new ArrayList<>();

    boolean done =
        t.waiter(Duration.ofMillis(300))
            .until(
                Duration.ofSeconds(1),
                () -> {
                  checks.add(t.now);
                  return false;
                });

    assertThat(done).isFalse();
    assertThat(t.now).isEqualTo(start.plusSeconds(1));
    assertThat(t.pauses).last().isEqualTo(Duration.ofMillis(100));
    assertThat(checks).last().isEqualTo(start.plusSeconds(1));
  }

  @Test
  void until_zeroTimeout_checksOnce() throws Exception {
    FakeTime t = new FakeTime();
    int[] checks = {0};

    assertThat(t.waiter(Duration.ofMillis(10)).until(Duration.ZERO, () -> ++checks[0] > 5))
        .isFalse();
    assertThat(checks[0]).isEqualTo(1);
  }

  @Test
  void until_interrupted_throws() {
    Waiter waiter =
        new Waiter(
            Instant::now,
            Duration.ofMillis(10),
            d -> {
              throw new InterruptedException();
            });

    assertThatThrownBy(() -> waiter.until(Duration.ofSeconds(1), () -> false))
        .isInstanceOf(InterruptedException.class);
  }

  @Test
  void system_realClock_waitsAboutTheTimeout() throws Exception {
    Waiter waiter = Waiter.system();
    long start = System.nanoTime();

    assertThat(waiter.until(Duration.ofMillis(100), () -> false)).isFalse();
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .isBetween(Duration.ofMillis(100), Duration.ofSeconds(5));
  }
}
