package io.svcreg.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.Waits;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class OutboundTest {

  /** Records what the writer writes; the first write waits until released. */
  static final class RecordingSink implements Outbound.Sink {
    final CountDownLatch release = new CountDownLatch(1);
    final List<byte[]> writes = new CopyOnWriteArrayList<>();
    final List<Thread> writers = new CopyOnWriteArrayList<>();
    final List<String> closes = new CopyOnWriteArrayList<>();
    final ByteArrayOutputStream stream = new ByteArrayOutputStream();

    @Override
    public void write(byte[] frames, int length) throws Exception {
      release.await();
      synchronized (stream) {
        stream.write(frames, 0, length);
      }
      writes.add(java.util.Arrays.copyOf(frames, length));
      writers.add(Thread.currentThread());
    }

    @Override
    public void ping() {}

    @Override
    public void pong(byte[] payload) {}

    @Override
    public void close(int code, String reason) {
      closes.add(code + " " + reason);
    }

    @Override
    public void abort() {}

    List<String> messages() {
      byte[] all;
      synchronized (stream) {
        all = stream.toByteArray();
      }
      List<String> out = new ArrayList<>();
      for (int at = 0; at < all.length; ) {
        int len = all[at + 1] & 0x7f; // the messages here are shorter than 126 bytes
        out.add(new String(all, at + 2, len, StandardCharsets.UTF_8));
        at += 2 + len;
      }
      return out;
    }
  }

  @Test
  void drain_framesQueuedWhileAWriteIsInFlight_goOutTogetherInOneWriteInOrder() {
    RecordingSink sink = new RecordingSink();
    Outbound out = new Outbound(sink, 100, 1 << 20, () -> {}, () -> {});
    out.offer(Frames.text("m0"), 0);
    Waits.atMost(Duration.ofSeconds(10)).until(() -> out.depth() == 0);
    for (int i = 1; i <= 20; i++) {
      out.offer(Frames.text("m" + i), i);
    }
    sink.release.countDown();
    Waits.atMost(Duration.ofSeconds(10)).until(() -> sink.messages().size() == 21);
    assertThat(sink.writes).hasSize(2);
    assertThat(sink.messages()).containsExactlyElementsOf(names(21));
    Waits.atMost(Duration.ofSeconds(10)).until(() -> out.lastRevision() == 20);
  }

  @Test
  void offer_queueFull_refusedWithoutCuttingOff() {
    RecordingSink sink = new RecordingSink();
    Outbound out = full(sink, 0);
    assertThat(out.offer(Frames.text("m5"), 5)).isFalse();
    assertThat(out.closing()).isFalse();
    assertSentWithoutClose(sink, out, 4);
  }

  @Test
  void put_queueFull_waitsUntilTheWriterMakesRoom() throws Exception {
    RecordingSink sink = new RecordingSink();
    Outbound out = full(sink, 0);
    AtomicBoolean queued = new AtomicBoolean();
    Thread put =
        Thread.ofVirtual()
            .start(
                () -> {
                  try {
                    queued.set(out.put(Frames.text("m5"), 5, Duration.ofSeconds(30)));
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                });
    Waits.atMost(Duration.ofSeconds(10)).until(() -> put.getState() == Thread.State.TIMED_WAITING);
    assertThat(out.depth()).isEqualTo(4);
    assertSentWithoutClose(sink, out, 5);
    put.join();
    assertThat(queued).isTrue();
  }

  @Test
  void put_noRoomWithinTheTimeout_cutOffWith1008AndTheRevisionSentLast() throws Exception {
    RecordingSink sink = new RecordingSink();
    Outbound out = full(sink, 7);
    assertThat(out.put(Frames.text("m5"), 12, Duration.ofMillis(100))).isFalse();
    assertThat(out.closing()).isTrue();
    sink.release.countDown();
    Waits.atMost(Duration.ofSeconds(10)).until(() -> sink.closes.size() == 1);
    // what was queued is dropped; the watcher resumes after the one event it got
    assertThat(sink.messages()).containsExactly("m0");
    assertThat(sink.closes).containsExactly("1008 outbound queue full; resume with since=7");
  }

  @Test
  void reply_queueFullOfEvents_queuedWithoutCuttingOff() {
    RecordingSink sink = new RecordingSink();
    Outbound out = full(sink, 0);
    assertThat(out.reply("m5", -1)).isTrue();
    assertThat(out.closing()).isFalse();
    sink.release.countDown();
    Waits.atMost(Duration.ofSeconds(10)).until(() -> sink.messages().size() == 6);
    assertThat(sink.messages()).containsExactlyElementsOf(names(6));
  }

  @Test
  void reply_moreRepliesWaitingThanTheBound_cutOff() {
    RecordingSink sink = new RecordingSink();
    Outbound out = new Outbound(sink, 4, 1 << 20, () -> {}, () -> {});
    out.offer(Frames.text("m0"), 0);
    Waits.atMost(Duration.ofSeconds(10)).until(() -> out.depth() == 0);
    for (int i = 1; i <= 4; i++) {
      assertThat(out.reply("m" + i, -1)).isTrue();
    }
    assertThat(out.reply("m5", -1)).isFalse();
    assertThat(out.closing()).isTrue();
    sink.release.countDown();
    Waits.atMost(Duration.ofSeconds(10)).until(() -> sink.closes.size() == 1);
    assertThat(sink.messages()).containsExactly("m0");
  }

  @Test
  void reply_nothingQueuedOrInFlight_writtenByTheRequestsThreadAtOnce() {
    RecordingSink sink = new RecordingSink();
    sink.release.countDown();
    Outbound out = new Outbound(sink, 4, 1 << 20, () -> {}, () -> {});

    assertThat(out.reply("m0", -1)).isTrue();

    assertThat(sink.messages()).containsExactly("m0");
    assertThat(sink.writers).containsExactly(Thread.currentThread());
  }

  @Test
  void reply_withARevision_queuedBehindTheEventsBeforeIt() {
    RecordingSink sink = new RecordingSink();
    sink.release.countDown();
    Outbound out = new Outbound(sink, 4, 1 << 20, () -> {}, () -> {});

    assertThat(out.reply("m0", 3)).isTrue();

    Waits.atMost(Duration.ofSeconds(10)).until(() -> out.lastRevision() == 3);
    assertThat(sink.writers).doesNotContain(Thread.currentThread());
  }

  @Test
  void drain_moreThanOneBatchQueued_writesAtMostBatchBytesAtOnce() {
    RecordingSink sink = new RecordingSink();
    Outbound out = new Outbound(sink, 1000, 1 << 22, () -> {}, () -> {});
    out.offer(Frames.text("m0"), 0);
    Waits.atMost(Duration.ofSeconds(10)).until(() -> out.depth() == 0);
    String pad = "x".repeat(100);
    for (int i = 0; i < 999; i++) {
      out.offer(Frames.text(pad), i + 1);
    }
    sink.release.countDown();
    Waits.atMost(Duration.ofSeconds(10)).until(() -> out.lastRevision() == 999);
    assertThat(sink.writes).allSatisfy(w -> assertThat(w.length).isLessThanOrEqualTo(64 * 1024));
    assertThat(sink.writes.size()).isGreaterThan(2);
  }

  /**
   * A writer for 4 messages whose first write ("m0", revision {@code first}) is in flight and whose
   * queue is full with "m1" to "m4" (revisions {@code first + 1} on).
   */
  private static Outbound full(RecordingSink sink, long first) {
    Outbound out = new Outbound(sink, 4, 1 << 20, () -> {}, () -> {});
    out.offer(Frames.text("m0"), first);
    Waits.atMost(Duration.ofSeconds(10)).until(() -> out.depth() == 0);
    for (int i = 1; i <= 4; i++) {
      assertThat(out.offer(Frames.text("m" + i), first + i)).isTrue();
    }
    return out;
  }

  /** Lets the writer go on; it sends "m0" to "m{last}" (revisions 0 to {@code last}), no close. */
  private static void assertSentWithoutClose(RecordingSink sink, Outbound out, int last) {
    sink.release.countDown();
    Waits.atMost(Duration.ofSeconds(10)).until(() -> out.lastRevision() == last);
    assertThat(sink.messages()).containsExactlyElementsOf(names(last + 1));
    assertThat(sink.closes).isEmpty();
  }

  private static List<String> names(int n) {
    List<String> r = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      r.add("m" + i);
    }
    return r;
  }
}
