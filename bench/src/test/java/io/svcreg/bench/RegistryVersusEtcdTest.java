package io.svcreg.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What {@code tools/bench registry --vs-etcd} counts and reads from /proc. */
class RegistryVersusEtcdTest {

  @Test
  void fan_countsOnlyItsOwnEvents_completeOnceEveryWatcherHasEach() {
    RegistryVersusEtcd.Fan fan = new RegistryVersusEtcd.Fan("step1-", 2, 2, true);

    fan.arrived(0, "step1-0");
    fan.arrived(0, "step10-0");
    fan.arrived(0, "other-1");
    fan.arrived(0, "step1-1");
    fan.arrived(1, "step1-0");

    assertThat(fan.received()).isEqualTo(3);
    assertThat(fan.watchersShort()).isEqualTo(1);
    assertThat(fan.complete()).isFalse();
    fan.arrived(1, "step1-1");
    assertThat(fan.complete()).isTrue();
    assertThat(fan.latencies()).hasSize(4).doesNotContain(0L);
  }

  @Test
  void cpuAndRss_ofThisProcess_areReadAndTheCpuTimeGrows() throws Exception {
    long pid = ProcessHandle.current().pid();
    long before = LoopbackServers.cpuNanos(pid);
    long spin = System.nanoTime() + 300_000_000L;
    long x = 0;
    while (System.nanoTime() < spin) {
      x += Long.numberOfTrailingZeros(x + System.nanoTime());
    }

    assertThat(x).isNotNegative();
    assertThat(LoopbackServers.cpuNanos(pid)).isGreaterThan(before);
    assertThat(LoopbackServers.rssBytes(pid)).isGreaterThan(1L << 20);
  }
}
