package io.svcreg.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class StoreOptionsTest {

  @Test
  void defaults_retainTenThousandEventsAndFailOnAnUnreadableStore() {
    assertThat(StoreOptions.defaults()).isEqualTo(new StoreOptions(10_000, false));
  }

  @Test
  void withers_changeOneOption() {
    assertThat(StoreOptions.defaults().withRetainedEvents(5).withStartFreshIfUnreadable(true))
        .isEqualTo(new StoreOptions(5, true));
  }

  @Test
  void retainedEvents_belowOne_isRejected() {
    assertThatThrownBy(() -> new StoreOptions(0, false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("retainedEvents must be at least 1: 0");
  }
}
