package io.svcreg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConnectRetryTest {

  @Test
  void failed_repeatedly_doublesUpToTheCap() {
    ConnectRetry retry = new ConnectRetry(Duration.ofSeconds(1), Duration.ofSeconds(30));
    List<String> delays = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      delays.add(ConnectRetry.text(retry.failed()));
    }

    assertThat(delays).containsExactly("1s", "2s", "4s", "8s", "16s", "30s", "30s", "30s");
    assertThat(retry.failures()).isEqualTo(8);
  }

  @Test
  void failed_manyTimes_staysAtTheCapWithoutOverflow() {
    ConnectRetry retry = new ConnectRetry(Duration.ofSeconds(1), Duration.ofSeconds(30));
    Duration last = Duration.ZERO;
    for (int i = 0; i < 100; i++) {
      last = retry.failed();
    }

    assertThat(last).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void text_subSecondAndFractions_readAsAUserWrites() {
    assertThat(ConnectRetry.text(Duration.ofMillis(500))).isEqualTo("500ms");
    assertThat(ConnectRetry.text(Duration.ofMillis(1500))).isEqualTo("1.5s");
    assertThat(ConnectRetry.text(Duration.ofSeconds(2))).isEqualTo("2s");
  }
}
