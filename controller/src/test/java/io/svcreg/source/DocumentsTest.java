package io.svcreg.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class DocumentsTest {

  @Test
  void split_twoDocuments_eachWithItsFirstLine() {
    List<Documents.Chunk> c = Documents.split("a: 1\n---\nb: 2\n");

    assertThat(c)
        .containsExactly(
            new Documents.Chunk(1, 1, "a: 1\n"), new Documents.Chunk(2, 3, "---\nb: 2\n"));
  }

  @Test
  void split_leadingCommentAndMarker_keptWithFirstDocument() {
    List<Documents.Chunk> c = Documents.split("# header\n---\na: 1\n---\nb: 2");

    assertThat(c)
        .containsExactly(
            new Documents.Chunk(1, 3, "# header\n---\na: 1\n"),
            new Documents.Chunk(4, 5, "---\nb: 2"));
  }

  @Test
  void split_trailingMarkerAndComment_keptWithLastDocument() {
    List<Documents.Chunk> c = Documents.split("a: 1\n---\n# nothing\n");

    assertThat(c).containsExactly(new Documents.Chunk(1, 1, "a: 1\n---\n# nothing\n"));
  }

  @Test
  void split_markerWithContentAndCrLf_recognized() {
    List<Documents.Chunk> c = Documents.split("a: 1\r\n--- {b: 2}\r\n");

    assertThat(c)
        .containsExactly(
            new Documents.Chunk(1, 1, "a: 1\r\n"), new Documents.Chunk(2, 2, "--- {b: 2}\r\n"));
  }

  @Test
  void split_dashesInsideLine_notAMarker() {
    assertThat(Documents.split("a: '---'\nb: ----\n")).hasSize(1);
  }

  @Test
  void split_concatenated_givesTheText() {
    String text = "# c\n---\na: 1\n...\n---\nb: |\n  x\n---\n";

    assertThat(String.join("", Documents.split(text).stream().map(Documents.Chunk::text).toList()))
        .isEqualTo(text);
  }
}
