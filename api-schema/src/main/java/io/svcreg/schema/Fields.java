package io.svcreg.schema;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Strict reading of YAML nodes into values: every wrong type, unknown field, missing field or bad
 * value becomes a {@link Problem} at the offending node, and the reader returns null for it.
 */
final class Fields {

  final String file;
  final List<Problem> problems;
  private final Interner interner;

  Fields(String file, List<Problem> problems, Interner interner) {
    this.file = file;
    this.problems = problems;
    this.interner = interner;
  }

  /** Records a problem at a node. */
  void error(YamlNode at, String path, String message) {
    error(at.line(), at.column(), path, message);
  }

  /** Records a problem at a position. */
  void error(int line, int column, String path, String message) {
    problems.add(new Problem(file, line, column, path, message));
  }

  /** A shared copy of an equal string. */
  String intern(String s) {
    return interner.intern(s);
  }

  /**
   * A view of {@code node} as a mapping with only the {@code allowed} keys, or null (reported) when
   * it is not a mapping. {@code ownerLine}/{@code ownerColumn} locate missing fields: the key of
   * this mapping in its parent.
   */
  Obj obj(YamlNode node, String path, int ownerLine, int ownerColumn, Keys allowed) {
    if (!(node instanceof YamlNode.Mapping m)) {
      wrongType(node, path, "a mapping");
      return null;
    }
    for (YamlNode.Entry e : m.entries()) {
      if (!allowed.allows(e.key().text())) {
        error(
            e.key(),
            FieldPath.child(path, e.key().text()),
            "unknown field `" + e.key().text() + "`; allowed: " + allowed.joined());
      }
    }
    return new Obj(this, m, path, ownerLine, ownerColumn);
  }

  /** A list, or null (reported) when the node is something else. */
  List<YamlNode> list(YamlNode node, String path) {
    if (node instanceof YamlNode.Sequence s) {
      return s.items();
    }
    wrongType(node, path, "a list");
    return null;
  }

  /** Reports that {@code node} is not what was expected (silent for already-reported nodes). */
  void wrongType(YamlNode node, String path, String expected) {
    if (node instanceof YamlNode.Scalar s) {
      if (s.type() == YamlNode.Type.INVALID) {
        return;
      }
      if (s.type() == YamlNode.Type.NULL) {
        error(node, path, "no value; expected " + expected);
        return;
      }
    }
    error(node, path, "expected " + expected + ", got " + node.describe());
  }

  /** A string value; numbers, booleans, nulls and dates that YAML reads are errors with a hint. */
  String string(YamlNode node, String path) {
    if (node instanceof YamlNode.Scalar s) {
      if (s.type() == YamlNode.Type.INVALID) {
        return null;
      }
      String reading = Yaml12.nonStringReading(s);
      if (reading == null) {
        return s.text();
      }
      if (s.type() == YamlNode.Type.NULL && s.text().isEmpty()) {
        error(node, path, "no value; expected a string");
      } else {
        error(
            node,
            path,
            "`"
                + s.text()
                + "` is read by YAML as "
                + reading
                + "; quote it: "
                + Yaml12.quoted(s.text()));
      }
      return null;
    }
    wrongType(node, path, "a string");
    return null;
  }

  /** A non-empty string. */
  String nonEmpty(YamlNode node, String path) {
    String s = string(node, path);
    if (s != null && s.isEmpty()) {
      error(node, path, "must not be empty");
      return null;
    }
    return s;
  }

  /** A string matching a rule (checked by {@code check}, which returns a message or null). */
  String checked(YamlNode node, String path, Function<String, String> check) {
    String s = string(node, path);
    if (s == null) {
      return null;
    }
    String bad = check.apply(s);
    if (bad != null) {
      error(node, path, bad);
      return null;
    }
    return s;
  }

  /** A plain decimal integer in {@code [min, max]}; {@code what} names it in messages. */
  Integer integer(YamlNode node, String path, String what, int min, int max) {
    String range = max == Integer.MAX_VALUE ? "at least " + min : min + "–" + max;
    if (!(node instanceof YamlNode.Scalar s) || s.type() == YamlNode.Type.INVALID) {
      wrongType(node, path, "an integer, " + range);
      return null;
    }
    switch (s.type()) {
      case INT -> {
        if (!decimal(s.text())) {
          error(
              node,
              path,
              "`"
                  + s.text()
                  + "` is not a plain decimal integer (YAML reads it as "
                  + s.yamlValue()
                  + "); write "
                  + what
                  + " in decimal digits");
          return null;
        }
        long v = parseBounded(s.text());
        if (v < min || v > max) {
          error(node, path, what + " " + s.text() + " is out of range; expected " + range);
          return null;
        }
        return (int) v;
      }
      case STRING -> {
        String hint = decimal(s.text()) && !s.plain() ? "; remove the quotes" : "";
        error(node, path, "expected an integer, " + range + ", got " + s.describe() + hint);
      }
      default -> wrongType(node, path, "an integer, " + range);
    }
    return null;
  }

  private static boolean decimal(String t) {
    int i = t.startsWith("+") || t.startsWith("-") ? 1 : 0;
    if (i >= t.length() || (t.charAt(i) == '0' && t.length() > i + 1)) {
      return false;
    }
    for (; i < t.length(); i++) {
      if (t.charAt(i) < '0' || t.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  private static long parseBounded(String t) {
    String digits = t.startsWith("+") ? t.substring(1) : t;
    if (digits.length() > 12) {
      return digits.startsWith("-") ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
    return Long.parseLong(digits);
  }

  /** Literally {@code true} or {@code false}. */
  Boolean bool(YamlNode node, String path) {
    if (node instanceof YamlNode.Scalar s) {
      if (s.type() == YamlNode.Type.BOOL) {
        if (s.text().equals("true") || s.text().equals("false")) {
          return s.text().equals("true");
        }
        error(
            node,
            path,
            "`"
                + s.text()
                + "` is not portable YAML for a boolean (YAML 1.1 reads it as "
                + s.yamlValue()
                + ", YAML 1.2 as a string); write true or false");
        return null;
      }
      if (s.type() == YamlNode.Type.STRING
          && (s.text().equals("true") || s.text().equals("false"))) {
        error(node, path, "expected true or false, got " + s.describe() + "; remove the quotes");
        return null;
      }
    }
    wrongType(node, path, "true or false");
    return null;
  }

  /** One of an enum's wire names; YAML booleans such as {@code on} are errors naming the values. */
  <E extends Enum<E> & WireEnum> E enumValue(
      YamlNode node, String path, Function<String, Optional<E>> parse, String allowed) {
    if (node instanceof YamlNode.Scalar s && s.type() != YamlNode.Type.INVALID) {
      String reading = Yaml12.nonStringReading(s);
      if (reading != null) {
        if (s.type() == YamlNode.Type.NULL && s.text().isEmpty()) {
          error(node, path, "no value; expected " + allowed);
        } else {
          error(
              node,
              path,
              "`" + s.text() + "` is read by YAML as " + reading + "; expected " + allowed);
        }
        return null;
      }
      Optional<E> v = parse.apply(s.text());
      if (v.isEmpty()) {
        error(node, path, "unknown value `" + s.text() + "`; expected " + allowed);
        return null;
      }
      return v.get();
    }
    wrongType(node, path, allowed);
    return null;
  }

  /** A duration such as {@code 30s}; zero is refused unless {@code zeroOk}. */
  SpecDuration duration(YamlNode node, String path, boolean zeroOk) {
    if (node instanceof YamlNode.Scalar s
        && (s.type() == YamlNode.Type.INT || s.type() == YamlNode.Type.FLOAT)) {
      error(
          node,
          path,
          "`" + s.text() + "` is read by YAML as a number; a duration needs a unit, e.g. 30s");
      return null;
    }
    String text = string(node, path);
    if (text == null) {
      return null;
    }
    Optional<SpecDuration> d = SpecDuration.parse(text);
    if (d.isEmpty()) {
      error(
          node,
          path,
          "`"
              + text
              + "` is not a duration; expected a number and unit (ms, s, m, h), "
              + "e.g. 500ms, 30s, 1m30s (at most a year)");
      return null;
    }
    if (!zeroOk && d.get().millis() == 0) {
      error(node, path, "must be longer than zero, e.g. 10s");
      return null;
    }
    return d.get();
  }

  /** A list of items read by {@code item}; null (reported) when not a list or an item failed. */
  <T> List<T> listOf(YamlNode node, String path, ItemReader<T> item) {
    List<YamlNode> nodes = list(node, path);
    if (nodes == null) {
      return null;
    }
    List<T> out = new ArrayList<>(nodes.size());
    boolean ok = true;
    for (int i = 0; i < nodes.size(); i++) {
      T v = item.read(nodes.get(i), FieldPath.index(path, i), i);
      if (v == null) {
        ok = false;
      } else {
        out.add(v);
      }
    }
    return ok ? out : null;
  }

  /** Reads one list item. */
  @FunctionalInterface
  interface ItemReader<T> {
    /** The item's value, or null when it was reported. */
    T read(YamlNode node, String path, int index);
  }
}
