package io.svcreg.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class StoreOptionsTest {

  @Test
  void defaults_retainTenThousandEventsFailOnAnUnreadableStoreAndKeep8MiB() {
    assertThat(StoreOptions.defaults()).isEqualTo(new StoreOptions(10_000, false, 8 << 20));
  }

  @Test
  void withers_changeOneOption() {
    assertThat(
            StoreOptions.defaults()
                .withRetainedEvents(5)
                .withStartFreshIfUnreadable(true)
                .withReserveBytes(0))
        .isEqualTo(new StoreOptions(5, true, 0));
  }

  @Test
  void retainedEvents_belowOne_isRejected() {
    assertThatThrownBy(() -> new StoreOptions(0, false, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("retainedEvents must be at least 1: 0");
  }

  @Test
  void reserveBytes_negative_isRejected() {
    assertThatThrownBy(() -> new StoreOptions(1, false, -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("reserveBytes must not be negative: -1");
  }
}
