package io.svcreg.deploy.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class OutputTailTest {

  @Test
  void lastLines_manyLines_keepsTheLast20WithoutTrailingBlankLines() {
    String text =
        IntStream.rangeClosed(1, 30).mapToObj(i -> "line " + i).collect(Collectors.joining("\n"))
            + "\n\n";

    String tail = OutputTail.lastLines(text, false);

    assertThat(tail.lines()).hasSize(20).first().isEqualTo("line 11");
    assertThat(tail).endsWith("line 30");
  }

  @Test
  void lastLines_cutInTheMiddleOfALine_dropsThePartialFirstLine() {
    assertThat(OutputTail.lastLines("ne 7\nline 8\nline 9", true)).isEqualTo("line 8\nline 9");
  }

  @Test
  void lastLines_crlf_areSplitToo() {
    assertThat(OutputTail.lastLines("a\r\nb\r\n", false)).isEqualTo("a\nb");
  }
}
