package io.svcreg.schema;

import java.util.regex.Pattern;

/**
 * How YAML reads plain scalars that look like strings to a person. Jackson reads YAML 1.1, where
 * {@code on}, {@code yes} and {@code 017} are not strings; YAML 1.2 readers (and the JSON-Schema
 * tools run on them) read {@code 0123}, {@code 0o17} or {@code .inf} as numbers. A string field
 * given any of these is an error in both worlds, so the user quotes it.
 */
final class Yaml12 {

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
    if (isNumber(t)) {
      return "a number";
    }
    if (t.length() >= 8 && t.charAt(4) == '-' && DATE.matcher(t).matches()) {
      return "a date";
    }
    if (t.equals("null") || t.equals("Null") || t.equals("NULL") || t.equals("~")) {
      return "null";
    }
    return null;
  }

  /**
   * Whether YAML 1.2 (core schema) reads the plain scalar as a number: {@code [-+]?[0-9]+}, {@code
   * 0o[0-7]+}, {@code 0x[0-9a-fA-F]+}, {@code [-+]?(.[0-9]+|[0-9]+(.[0-9]*)?)([eE][-+]?[0-9]+)?},
   * {@code [-+]?.inf} and {@code .nan} in their three spellings.
   */
  static boolean isNumber(String t) {
    int n = t.length();
    int i = 0;
    if (t.startsWith("0o") || t.startsWith("0x")) {
      boolean hex = t.charAt(1) == 'x';
      if (n == 2) {
        return false;
      }
      for (i = 2; i < n; i++) {
        char c = t.charAt(i);
        boolean ok =
            hex
                ? (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
                : c >= '0' && c <= '7';
        if (!ok) {
          return false;
        }
      }
      return true;
    }
    if (t.equals(".nan") || t.equals(".NaN") || t.equals(".NAN")) {
      return true;
    }
    if (i < n && (t.charAt(i) == '-' || t.charAt(i) == '+')) {
      i++;
    }
    String rest = t.substring(i);
    if (rest.equals(".inf") || rest.equals(".Inf") || rest.equals(".INF")) {
      return true;
    }
    int digits = 0;
    while (i < n && isDigit(t.charAt(i))) {
      i++;
      digits++;
    }
    if (i < n && t.charAt(i) == '.') {
      i++;
      int fraction = 0;
      while (i < n && isDigit(t.charAt(i))) {
        i++;
        fraction++;
      }
      if (digits == 0 && fraction == 0) {
        return false;
      }
    } else if (digits == 0) {
      return false;
    }
    if (i < n && (t.charAt(i) == 'e' || t.charAt(i) == 'E')) {
      i++;
      if (i < n && (t.charAt(i) == '-' || t.charAt(i) == '+')) {
        i++;
      }
      int exp = 0;
      while (i < n && isDigit(t.charAt(i))) {
        i++;
        exp++;
      }
      if (exp == 0) {
        return false;
      }
    }
    return i == n;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
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
