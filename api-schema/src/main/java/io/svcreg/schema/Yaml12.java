package io.svcreg.schema;

import java.util.regex.Pattern;

/**
 * How YAML reads plain scalars that look like strings to a person. Jackson reads YAML 1.1, where
 * {@code on}, {@code yes} and {@code 017} are not strings; YAML 1.2 readers (and the JSON-Schema
 * tools run on them) read {@code 0123}, {@code 0o17} or {@code .inf} as numbers. A string field
 * given any of these is an error in both worlds, so the user quotes it.
 */
final class Yaml12 {

  private static final Pattern INT = Pattern.compile("[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+");
  private static final Pattern FLOAT =
      Pattern.compile(
          "[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\\.(inf|Inf|INF)"
              + "|\\.nan|\\.NaN|\\.NAN");
  private static final Pattern NULL = Pattern.compile("null|Null|NULL|~");
  private static final Pattern DATE =
      Pattern.compile(
          "[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(([Tt]|[ \\t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}"
              + "(\\.[0-9]*)?([ \\t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?)?");

  private Yaml12() {}

  /**
   * What YAML reads this scalar as when that is not a string, e.g. {@code "a number (1.1)"}; null
   * when it is a string for every YAML reader.
   */
  static String nonStringReading(YamlNode.Scalar s) {
    switch (s.type()) {
      case INT, FLOAT:
        return "a number (" + s.yamlValue() + ")";
      case BOOL:
        return "a boolean (" + s.yamlValue() + ")";
      case NULL:
        return "null";
      default:
        break;
    }
    if (s.type() != YamlNode.Type.STRING || !s.plain() || s.text().isEmpty()) {
      return null;
    }
    String t = s.text();
    char c = t.charAt(0);
    if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.') {
      if (INT.matcher(t).matches() || FLOAT.matcher(t).matches()) {
        return "a number";
      }
      if (DATE.matcher(t).matches()) {
        return "a date";
      }
    } else if (NULL.matcher(t).matches()) {
      return "null";
    }
    return null;
  }

  /** The text in double quotes, escaped as YAML and JSON read it. */
  static String quoted(String text) {
    StringBuilder b = new StringBuilder(text.length() + 2).append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\t' -> b.append("\\t");
        default -> b.append(c);
      }
    }
    return b.append('"').toString();
  }
}
