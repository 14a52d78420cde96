package io.svcreg.schema;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class YamlReaderTest {

  private static YamlNode.Mapping root(YamlReader.Result r, int doc) {
    return (YamlNode.Mapping) r.documents().get(doc).root();
  }

  @Test
  void read_nestedMapping_keepsKeyAndValuePositions() {
    YamlReader.Result r = YamlReader.read("f.yaml", "a: 1\nspec:\n  port: 8080\n  name: 'x'\n");

    YamlNode.Mapping m = root(r, 0);
    YamlNode.Entry spec = m.entry("spec");
    assertThat(spec.key().line()).isEqualTo(2);
    assertThat(spec.key().column()).isEqualTo(1);
    YamlNode.Entry port = ((YamlNode.Mapping) spec.value()).entry("port");
    assertThat(port.key().line()).isEqualTo(3);
    assertThat(port.key().column()).isEqualTo(3);
    assertThat(port.value().line()).isEqualTo(3);
    assertThat(port.value().column()).isEqualTo(9);
    YamlNode.Scalar name =
        (YamlNode.Scalar) ((YamlNode.Mapping) spec.value()).entry("name").value();
    assertThat(name.column()).isEqualTo(9);
    assertThat(name.plain()).isFalse();
  }

  @Test
  void read_multiDocument_skipsEmptyAndNullDocuments() {
    YamlReader.Result r = YamlReader.read("f.yaml", "---\na: 1\n---\n---\n~\n---\nb: 2\n---\n");

    assertThat(r.syntaxError()).isNull();
    assertThat(r.documents()).hasSize(2);
    assertThat(root(r, 1).entry("b").key().line()).isEqualTo(7);
  }

  @Test
  void read_emptyText_hasNoDocuments() {
    assertThat(YamlReader.read("f.yaml", "").documents()).isEmpty();
    assertThat(YamlReader.read("f.yaml", "# only a comment\n").documents()).isEmpty();
  }

  @Test
  void read_syntaxError_reportsTheMarkAndKeepsEarlierDocuments() {
    YamlReader.Result r = YamlReader.read("f.yaml", "a: 1\n---\nb: [1, 2\n");

    assertThat(r.documents()).hasSize(1);
    assertThat(r.syntaxError().toString())
        .isEqualTo(
            "f.yaml:4:1: invalid YAML: expected ',' or ']', but got <stream end>"
                + " (while parsing a flow sequence that starts at line 3, column 4)");
  }

  @Test
  void read_tab_indentation_isASyntaxErrorAtTheTab() {
    YamlReader.Result r = YamlReader.read("f.yaml", "a:\n\t- x\n");

    assertThat(r.syntaxError().line()).isEqualTo(2);
    assertThat(r.syntaxError().column()).isEqualTo(1);
    assertThat(r.syntaxError().message()).contains("TAB");
  }

  @Test
  void read_scalarTypes_followYaml11AndRecordWhatWasRead() {
    YamlReader.Result r =
        YamlReader.read(
            "f.yaml", "a: 1.10\nb: on\nc: 017\nd: ~\ne:\nf: \"8080\"\ng: plain\nh: !!str 1.10\n");

    YamlNode.Mapping m = root(r, 0);
    assertThat(scalar(m, "a").type()).isEqualTo(YamlNode.Type.FLOAT);
    assertThat(scalar(m, "a").yamlValue()).isEqualTo("1.1");
    assertThat(scalar(m, "b").type()).isEqualTo(YamlNode.Type.BOOL);
    assertThat(scalar(m, "c").yamlValue()).isEqualTo("15");
    assertThat(scalar(m, "d").type()).isEqualTo(YamlNode.Type.NULL);
    assertThat(scalar(m, "e").type()).isEqualTo(YamlNode.Type.NULL);
    assertThat(scalar(m, "f").type()).isEqualTo(YamlNode.Type.STRING);
    assertThat(scalar(m, "f").plain()).isFalse();
    assertThat(scalar(m, "g").plain()).isTrue();
    assertThat(scalar(m, "h").type()).isEqualTo(YamlNode.Type.STRING);
    assertThat(scalar(m, "h").text()).isEqualTo("1.10");
  }

  @Test
  void read_aliasAndTags_areReportedNotSilentlyRead() {
    YamlReader.Result r = YamlReader.read("f.yaml", "a: &x 1\nb: *x\nc: !!int 3\n");

    assertThat(r.documents().get(0).problems())
        .extracting(Problem::toString)
        .containsExactly(
            "f.yaml:2:4: b: YAML aliases (*x) are not supported; write the value out",
            "f.yaml:3:4: c: YAML tag !!int is not supported; write the plain value (quote strings)");
  }

  @Test
  void read_duplicateKey_isReportedAtTheSecondKey() {
    YamlReader.Result r = YamlReader.read("f.yaml", "spec:\n  a: 1\n  a: 2\n");

    assertThat(r.documents().get(0).problems())
        .extracting(Problem::toString)
        .containsExactly("f.yaml:3:3: spec.a: duplicate key `a` (first at line 2)");
  }

  @Test
  void read_manyKeysWithDuplicate_isReported() {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < 20; i++) {
      b.append("k").append(i).append(": ").append(i).append('\n');
    }
    b.append("k3: again\n");

    YamlReader.Result r = YamlReader.read("f.yaml", b.toString());

    assertThat(r.documents().get(0).problems())
        .extracting(Problem::message)
        .containsExactly("duplicate key `k3` (first at line 4)");
  }

  @Test
  void read_complexKey_isASpecError() {
    YamlReader.Result r = YamlReader.read("f.yaml", "? [a, b]\n: c\n");

    assertThat(r.syntaxError().message()).contains("mapping keys must be plain scalars");
  }

  private static YamlNode.Scalar scalar(YamlNode.Mapping m, String key) {
    return (YamlNode.Scalar) m.entry(key).value();
  }

  @Test
  void read_deepNesting_isAnErrorWithAPositionNotAStackOverflow() {
    String deep = "a: " + "[".repeat(5000) + "]".repeat(5000) + "\n";

    YamlReader.Result r = YamlReader.read("f.yaml", deep);

    assertThat(r.syntaxError().toString())
        .isEqualTo(
            "f.yaml:1:67: invalid YAML for a spec: lists and mappings nested deeper than 64 levels");
  }

  @Test
  void read_controlCharacter_isASyntaxError() {
    YamlReader.Result r = YamlReader.read("f.yaml", "a: \u0001\n");

    assertThat(r.syntaxError().message())
        .isEqualTo("invalid YAML: special characters are not allowed");
  }
}
