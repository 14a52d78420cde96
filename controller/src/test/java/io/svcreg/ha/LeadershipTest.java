package io.svcreg.ha;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The lease TTLs a leadership accepts. */
class LeadershipTest {

  @Test
  void checkTtl_belowTwoSeconds_rejectedNamingTheMinimum() {
    assertThatThrownBy(() -> Leadership.checkTtl(Duration.ofMillis(1500)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1500 ms")
        .hasMessageContaining("minimum of 2 s");
  }

  @Test
  void checkTtl_fractionOfASecond_rejectedWithAWholeSecondsHint() {
    assertThatThrownBy(() -> Leadership.checkTtl(Duration.ofMillis(2500)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("whole seconds")
        .hasMessageContaining("3 s");
  }

  @Test
  void checkTtl_twoSecondsOrMore_accepted() {
    assertThatCode(() -> Leadership.checkTtl(Duration.ofSeconds(2))).doesNotThrowAnyException();
    assertThatCode(() -> Leadership.checkTtl(Duration.ofSeconds(10))).doesNotThrowAnyException();
  }
}
