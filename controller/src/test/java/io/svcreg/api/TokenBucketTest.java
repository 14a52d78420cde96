package io.svcreg.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TokenBucketTest {

  private static final long SECOND = 1_000_000_000L;

  @Test
  void tryTake_burstSpent_refusesUntilRefilled() {
    TokenBucket b = new TokenBucket(10, 3, 0);
    assertThat(b.tryTake(0)).isTrue();
    assertThat(b.tryTake(0)).isTrue();
    assertThat(b.tryTake(0)).isTrue();
    assertThat(b.tryTake(0)).isFalse();
    assertThat(b.tryTake(SECOND / 10)).isTrue();
    assertThat(b.tryTake(SECOND / 10)).isFalse();
  }

  @Test
  void tryTake_longIdle_savesAtMostTheBurst() {
    TokenBucket b = new TokenBucket(100, 2, 0);
    long later = 60 * SECOND;
    assertThat(b.tryTake(later)).isTrue();
    assertThat(b.tryTake(later)).isTrue();
    assertThat(b.tryTake(later)).isFalse();
  }

  @Test
  void tryTake_clockGoesBack_givesNothingExtra() {
    TokenBucket b = new TokenBucket(1, 1, SECOND);
    assertThat(b.tryTake(SECOND)).isTrue();
    assertThat(b.tryTake(0)).isFalse();
  }
}
