package io.svcreg.schema;

import java.util.List;

/** A node of a parsed YAML document, with the line and column (from 1) where it starts. */
sealed interface YamlNode permits YamlNode.Mapping, YamlNode.Sequence, YamlNode.Scalar {

  /** Line where the node starts. */
  int line();

  /** Column where the node starts. */
  int column();

  /** What the node is, for messages: "a mapping", "a list", "the string \"x\"", ... */
  String describe();

  /** A key of a mapping and its value. */
  record Entry(Scalar key, YamlNode value) {}

  /** A mapping; keys are unique (the reader reports duplicates). */
  record Mapping(List<Entry> entries, int line, int column) implements YamlNode {

    /** The entry with this key, or null. */
    Entry entry(String key) {
      for (Entry e : entries) {
        if (e.key().text().equals(key)) {
          return e;
        }
      }
      return null;
    }

    @Override
    public String describe() {
      return "a mapping";
    }
  }

  /** A sequence (list). */
  record Sequence(List<YamlNode> items, int line, int column) implements YamlNode {
    @Override
    public String describe() {
      return "a list";
    }
  }

  /** How YAML (1.1, as Jackson reads it) typed a scalar. */
  enum Type {
    STRING,
    INT,
    FLOAT,
    BOOL,
    NULL,
    /** A node already reported as an error (an alias or an unsupported tag). */
    INVALID
  }

  /**
   * A scalar: its text as written, how YAML typed it, whether it was written plain (unquoted), and
   * the value YAML read (e.g. {@code 1.1} for {@code 1.10}) for numbers and booleans.
   */
  record Scalar(String text, Type type, boolean plain, String yamlValue, int line, int column)
      implements YamlNode {

    @Override
    public String describe() {
      return switch (type) {
        case STRING -> "the string " + Yaml12.quoted(text);
        case INT, FLOAT -> "the number " + yamlValue;
        case BOOL -> "the boolean " + yamlValue;
        case NULL -> "no value (null)";
        case INVALID -> "an unsupported value";
      };
    }
  }
}
