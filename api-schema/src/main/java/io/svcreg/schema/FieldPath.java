package io.svcreg.schema;

/** Field paths as shown in problems: {@code spec.endpoints[1].port}. */
final class FieldPath {

  private FieldPath() {}

  /** The path of a mapping key under {@code parent}; odd keys are quoted in brackets. */
  static String child(String parent, String key) {
    if (!simple(key)) {
      return parent + "[" + Yaml12.quoted(key) + "]";
    }
    return parent.isEmpty() ? key : parent + "." + key;
  }

  /** The path of a list item under {@code parent}. */
  static String index(String parent, int i) {
    return parent + "[" + i + "]";
  }

  private static boolean simple(String key) {
    if (key.isEmpty()) {
      return false;
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '_'
              || c == '-';
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
