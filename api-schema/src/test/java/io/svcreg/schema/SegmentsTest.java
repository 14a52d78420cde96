package io.svcreg.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Re-reading a many-document file through the catalog parses only the documents that changed, and
 * the result always equals a full load.
 */
class SegmentsTest {

  private static final String NETWORK =
      """
      apiVersion: svcreg.io/v1
      kind: Network
      metadata: {name: dev}
      spec:
        type: lan
        subnet: 10.1.0.0/24
        nodes:
          - {name: n1, address: 10.1.0.10, ssh: {user: deploy}}
      """;

  @TempDir Path tmp;
  SpecDir dir;
  SpecCatalog catalog;
  Path file;
  int touched;

  @BeforeEach
  void setUp() throws IOException {
    dir = new SpecDir(tmp);
    for (String n : new String[] {"a", "b", "c"}) {
      dir.pkg(n, "1");
    }
    file = write(text("1", "1", "1"));
    catalog = new SpecCatalog(List.of(dir.specs));
    catalog.rescan();
  }

  private static String service(String name, String rev) {
    return SpecDir.service(name, "1", "  node: n1\n  env: {REV: \"" + rev + "\"}\n");
  }

  private static String text(String a, String b, String c) {
    return NETWORK
        + "---\n"
        + service("a", a)
        + "---\n"
        + service("b", b)
        + "---\n"
        + service("c", c);
  }

  /** Writes the file with a new modification time, as an editor saving it would. */
  private Path write(String text) throws IOException {
    Path p = dir.file("all.yaml", text);
    Files.setLastModifiedTime(
        p, FileTime.from(Instant.parse("2030-01-01T00:00:00Z").plusSeconds(++touched)));
    return p;
  }

  private Service service(SpecSet set, String name) {
    return set.services().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void update_oneDocumentChanged_keepsTheOthersAndEqualsAFullLoad() throws IOException {
    SpecSet before = catalog.current();
    write(text("1", "2", "1"));

    SpecSet after = catalog.update(file);

    assertThat(after).isEqualTo(dir.load());
    assertThat(service(after, "b").spec().env()).containsEntry("REV", "2");
    assertThat(service(after, "a")).isSameAs(service(before, "a"));
    assertThat(service(after, "c")).isSameAs(service(before, "c"));
    assertThat(service(after, "b")).isNotSameAs(service(before, "b"));
  }

  @Test
  void update_linesShifted_rereadsTheDocumentsBelowAndEqualsAFullLoad() throws IOException {
    write(text("1", "1", "1").replace("  env: {REV: \"1\"}\n", "  env:\n    REV: \"1\"\n"));

    SpecSet after = catalog.update(file);

    assertThat(after).isEqualTo(dir.load());
    assertThat(after.services()).hasSize(3);
  }

  @Test
  void update_changedDocumentBreaks_reportsWhatAFullLoadReports() throws IOException {
    write(text("1", "X", "1").replace("  env: {REV: \"X\"}\n", "  bogus: 1\n"));

    SpecSet after = catalog.update(file);

    assertThat(after).isEqualTo(dir.load());
    assertThat(after.problems())
        .extracting(Problem::path, Problem::line)
        .containsExactly(tuple("spec.bogus", 28));
  }

  @Test
  void update_syntaxErrorInOneDocument_reportsWhatAFullLoadReports() throws IOException {
    write(text("1", "1\"", "1"));

    SpecSet after = catalog.update(file);

    assertThat(after).isEqualTo(dir.load());
    assertThat(after.problems()).singleElement().satisfies(p -> assertThat(p.line()).isEqualTo(29));
  }

  @Test
  void update_manifestOfAnUnchangedDocumentChanged_readsItAgain() throws IOException {
    dir.manifest("a", "name: a\nversion: \"2\"\n");
    write(text("1", "2", "1"));

    SpecSet after = catalog.update(file);

    assertThat(after).isEqualTo(dir.load());
    assertThat(after.problems())
        .extracting(Problem::message)
        .anyMatch(m -> m.contains("whose manifest says version 2"));
  }

  @Test
  void update_documentsReordered_equalsAFullLoad() throws IOException {
    write(NETWORK + "---\n" + service("c", "1") + "---\n" + service("a", "1") + "---\n");

    SpecSet after = catalog.update(file);

    assertThat(after).isEqualTo(dir.load());
    assertThat(after.services()).extracting(Service::name).containsExactlyInAnyOrder("a", "c");
  }

  @Test
  void cut_plainSeparators_givesEachDocumentWithItsFirstLine() {
    int[] cut = Segments.cut("a: 1\n---\nb: 2\r\n---\r\n\nc: 3");

    assertThat(cut).containsExactly(0, 5, 1, 9, 15, 3, 20, 25, 5);
  }

  @Test
  void cut_otherMarkersOrDirectives_isNotCut() {
    assertThat(Segments.cut("a: 1\n--- b: 2\n")).isNull();
    assertThat(Segments.cut("a: 1\n...\nb: 2\n")).isNull();
    assertThat(Segments.cut("%YAML 1.1\n---\na: 1\n")).isNull();
    assertThat(Segments.cut("a: 1\u2028b: 2\n")).isNull();
    assertThat(Segments.cut("a: \"x\n----\"\n")).hasSize(3);
  }
}
