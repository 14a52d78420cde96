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
import org.junit.jupiter.api.Test;

class OutboundTest {

  /** Records what the writer writes; the first write waits until released. */
  static final class RecordingSink implements Outbound.Sink {
    final CountDownLatch release = new CountDownLatch(1);
    final List<byte[]> writes = new CopyOnWriteArrayList<>();
    final List<String> closes = new CopyOnWriteArrayList<>();
    final ByteArrayOutputStream stream = new ByteArrayOutputStream();

    @Override
    public void write(byte[] frames, int length) throws Exception {
      release.await();
      synchronized (stream) {
        stream.write(frames, 0, length);
      }
      writes.add(java.util.Arrays.copyOf(frames, length));
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
  void offer_queueFull_cutOffWith1008AndTheRevisionSentLast() {
    RecordingSink sink = new RecordingSink();
    Outbound out = new Outbound(sink, 4, 1 << 20, () -> {}, () -> {});
    out.offer(Frames.text("m0"), 7);
    Waits.atMost(Duration.ofSeconds(10)).until(() -> out.depth() == 0);
    for (int i = 1; i <= 4; i++) {
      assertThat(out.offer(Frames.text("m" + i), 7 + i)).isTrue();
    }
    assertThat(out.offer(Frames.text("m5"), 12)).isFalse();
    assertThat(out.closing()).isTrue();
    sink.release.countDown();
    Waits.atMost(Duration.ofSeconds(10)).until(() -> sink.closes.size() == 1);
    // what was queued is dropped; the watcher resumes after the one event it got
    assertThat(sink.messages()).containsExactly("m0");
    assertThat(sink.closes).containsExactly("1008 outbound queue full; resume with since=7");
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

  private static List<String> names(int n) {
    List<String> r = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      r.add("m" + i);
    }
    return r;
  }
}
