package io.svcreg.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class FramesTest {

  @Test
  void text_shortMessage_finTextAndSevenBitLength() {
    byte[] f = Frames.text("{\"a\":1}");
    assertThat(f[0] & 0xff).isEqualTo(0x81);
    assertThat(f[1]).isEqualTo((byte) 7);
    assertThat(new String(f, 2, 7, StandardCharsets.UTF_8)).isEqualTo("{\"a\":1}");
  }

  @Test
  void text_lengthsAtTheBoundaries_useTheShortestRfc6455Form() {
    assertThat(header(125)).containsExactly(0x81, 125);
    assertThat(header(126)).containsExactly(0x81, 126, 0, 126);
    assertThat(header(65535)).containsExactly(0x81, 126, 0xff, 0xff);
    assertThat(header(65536)).containsExactly(0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0);
  }

  @Test
  void text_nonAscii_lengthCountsUtf8Bytes() {
    byte[] f = Frames.text("é✓");
    assertThat(f[1]).isEqualTo((byte) 5);
    assertThat(new String(f, 2, 5, StandardCharsets.UTF_8)).isEqualTo("é✓");
  }

  private static int[] header(int payload) {
    byte[] f = Frames.text("x".repeat(payload));
    int n = payload < 126 ? 2 : payload < 65536 ? 4 : 10;
    assertThat(f).hasSize(n + payload);
    return Arrays.copyOf(toInts(f), n);
  }

  private static int[] toInts(byte[] b) {
    int[] r = new int[Math.min(b.length, 10)];
    for (int i = 0; i < r.length; i++) {
      r[i] = b[i] & 0xff;
    }
    return r;
  }
}
