package io.svcreg.loop;

import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.Waits;
import io.svcreg.core.rollout.Outcome;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class WorkQueueTest {

  @Test
  void add_whileKeyRuns_coalescesIntoOneMoreRun() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger runs = new AtomicInteger();
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger maxInFlight = new AtomicInteger();
    try (WorkQueue<String> q =
        new WorkQueue<>(
            "t",
            4,
            Duration.ofMillis(10),
            Duration.ofSeconds(1),
            k -> {
              int now = inFlight.incrementAndGet();
              maxInFlight.accumulateAndGet(now, Math::max);
              try {
                if (runs.incrementAndGet() == 1) {
                  release.await(5, TimeUnit.SECONDS);
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              } finally {
                inFlight.decrementAndGet();
              }
              return Outcome.DONE;
            })) {
      q.add("a");
      Waits.atMost(Duration.ofSeconds(5)).until(() -> runs.get() == 1);
      for (int i = 0; i < 50; i++) {
        q.add("a");
      }
      release.countDown();
      Waits.atMost(Duration.ofSeconds(5)).until(q::idle);
      assertThat(runs.get()).isEqualTo(2);
      assertThat(maxInFlight.get()).isEqualTo(1);
    }
  }

  @Test
  void add_manyKeys_runInParallelOncePerKey() {
    Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    try (WorkQueue<String> q = counting(counts, 3)) {
      for (int i = 0; i < 100; i++) {
        q.add("k" + i);
      }
      Waits.atMost(Duration.ofSeconds(5)).until(() -> q.idle() && counts.size() == 100);
      assertThat(counts.values()).allSatisfy(c -> assertThat(c.get()).isEqualTo(1));
    }
  }

  @Test
  void hold_keysQueuedMeanwhile_runOnceEachAfterRelease() throws Exception {
    Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    try (WorkQueue<String> q = counting(counts, 2)) {
      q.hold();
      for (int i = 0; i < 3; i++) {
        q.add("a");
        q.add("b");
      }
      Waits.atMost(Duration.ofSeconds(5))
          .alias("nothing runs while held")
          .during(Duration.ofMillis(200))
          .until(counts::isEmpty);
      assertThat(q.depth()).isEqualTo(2);
      q.release();
      Waits.atMost(Duration.ofSeconds(5)).until(() -> q.idle() && counts.size() == 2);
      assertThat(counts.values()).allSatisfy(c -> assertThat(c.get()).isEqualTo(1));
    }
  }

  @Test
  void retry_failingKey_backsOffExponentiallyThenResetsOnSuccess() {
    List<Long> times = new CopyOnWriteArrayList<>();
    try (WorkQueue<String> q =
        new WorkQueue<>(
            "t",
            1,
            Duration.ofMillis(40),
            Duration.ofMillis(200),
            k -> {
              times.add(System.nanoTime());
              return times.size() < 4 ? new Outcome.Retry("boom") : Outcome.DONE;
            })) {
      q.add("a");
      Waits.atMost(Duration.ofSeconds(5)).until(() -> times.size() == 4 && q.idle());
      assertThat(q.failures("a")).isZero();
      long gap1 = times.get(1) - times.get(0);
      long gap3 = times.get(3) - times.get(2);
      assertThat(Duration.ofNanos(gap1)).isGreaterThanOrEqualTo(Duration.ofMillis(40));
      assertThat(Duration.ofNanos(gap3)).isGreaterThanOrEqualTo(Duration.ofMillis(160));
    }
  }

  @Test
  void backoff_growsAndIsCapped() {
    Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1));
    assertThat(b.delay(1)).isEqualTo(Duration.ofMillis(100));
    assertThat(b.delay(3)).isEqualTo(Duration.ofMillis(400));
    assertThat(b.delay(10)).isEqualTo(Duration.ofSeconds(1));
    assertThat(b.delay(100)).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void addAfter_thenAdd_runsOnceNow() {
    AtomicInteger runs = new AtomicInteger();
    try (WorkQueue<String> q =
        new WorkQueue<>(
            "t",
            1,
            Duration.ofMillis(10),
            Duration.ofSeconds(1),
            k -> {
              runs.incrementAndGet();
              return Outcome.DONE;
            })) {
      q.addAfter("a", Duration.ofMillis(300));
      q.add("a");
      Waits.atMost(Duration.ofSeconds(5)).until(() -> runs.get() == 1 && q.idle());
      Waits.atMost(Duration.ofSeconds(1))
          .during(Duration.ofMillis(400))
          .until(() -> runs.get() == 1);
    }
  }

  /** A queue of {@code concurrency} that counts the runs of each key in {@code counts}. */
  private static WorkQueue<String> counting(Map<String, AtomicInteger> counts, int concurrency) {
    return new WorkQueue<>(
        "t",
        concurrency,
        Duration.ofMillis(10),
        Duration.ofSeconds(1),
        k -> {
          counts.computeIfAbsent(k, x -> new AtomicInteger()).incrementAndGet();
          return Outcome.DONE;
        });
  }
}
