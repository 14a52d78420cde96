package io.svcreg.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class Yaml12Test {

  /** The YAML 1.2 core schema's int and float rules, as the spec writes them. */
  static final Pattern CORE_NUMBER =
      Pattern.compile(
          "[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+"
              + "|[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?"
              + "|[-+]?\\.(inf|Inf|INF)|\\.nan|\\.NaN|\\.NAN");

  @ParameterizedTest
  @ValueSource(
      strings = {
        "0",
        "08",
        "0123",
        "+12",
        "-7",
        "1.",
        ".5",
        "1.10",
        "1e3",
        "1E-3",
        "-1.5e+10",
        "0o17",
        "0x1F",
        ".inf",
        "-.Inf",
        "+.INF",
        ".nan",
        ".NaN",
        ".NAN",
        "1.2.3",
        "127.0.0.1",
        "10.0.0.0/24",
        "1_000",
        "0o",
        "0x",
        "0o8",
        "0xg",
        ".",
        "-",
        "+",
        "e3",
        "1e",
        "1e+",
        "--1",
        "1.2e3.4",
        "0b101",
        "1:20",
        "nan",
        "inf",
        ".infinity",
        "v1",
        "1a",
        "",
        "+.",
        ".e3",
        "1.e3",
        "00",
        "-0",
        "0.0.0"
      })
  void isNumber_agreesWithTheCoreSchemaRules(String text) {
    assertThat(Yaml12.isNumber(text)).isEqualTo(CORE_NUMBER.matcher(text).matches());
  }
}
