package io.svcreg.schema;

import java.util.List;

/** The fields a mapping allows, in the order they are listed in messages. */
record Keys(List<String> list) {

  /** The allowed field names. */
  static Keys of(String... names) {
    return new Keys(List.of(names));
  }

  /**
   * Whether {@code key} is allowed. A scan, not a hash lookup: the lists are short and every key
   * read is a new string whose hash would be computed just for this.
   */
  boolean allows(String key) {
    for (int i = 0; i < list.size(); i++) {
      if (list.get(i).equals(key)) {
        return true;
      }
    }
    return false;
  }

  /** The names separated by commas. */
  String joined() {
    return String.join(", ", list);
  }
}
