package io.svcreg.schema;

/**
 * A mapping being read by {@link Fields}: its path and the position of its own key, where a missing
 * required field is reported.
 */
final class Obj {

  final Fields f;
  final YamlNode.Mapping map;
  final String path;
  final int line;
  final int column;

  Obj(Fields f, YamlNode.Mapping map, String path, int line, int column) {
    this.f = f;
    this.map = map;
    this.path = path;
    this.line = line;
    this.column = column;
  }

  /** The path of a field of this mapping. */
  String path(String key) {
    return FieldPath.child(path, key);
  }

  /** The value of a field, or null when absent. */
  YamlNode get(String key) {
    YamlNode.Entry e = map.entry(key);
    return e == null ? null : e.value();
  }

  /** The key node of a field, or null when absent. */
  YamlNode.Scalar key(String key) {
    YamlNode.Entry e = map.entry(key);
    return e == null ? null : e.key();
  }

  /** The value of a required field, or null (reported as missing). */
  YamlNode required(String key) {
    YamlNode v = get(key);
    if (v == null) {
      missing(key);
    }
    return v;
  }

  /** Reports a missing required field at this mapping's key. */
  void missing(String key) {
    f.error(line, column, path(key), "missing required field `" + key + "`");
  }

  /** A nested mapping; null when absent (reported when required) or not a mapping. */
  Obj obj(String key, boolean required, Keys allowed) {
    YamlNode.Entry e = map.entry(key);
    if (e == null) {
      if (required) {
        missing(key);
      }
      return null;
    }
    return f.obj(e.value(), path(key), e.key().line(), e.key().column(), allowed);
  }

  /** A string field; null when absent (reported when required) or invalid. */
  String string(String key, boolean required) {
    YamlNode v = required ? required(key) : get(key);
    return v == null ? null : f.string(v, path(key));
  }
}
