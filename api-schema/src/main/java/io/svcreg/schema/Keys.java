package io.svcreg.schema;

import java.util.List;
import java.util.Set;

/** The fields a mapping allows, in the order they are listed in messages. */
record Keys(List<String> list, Set<String> set) {

  /** The allowed field names. */
  static Keys of(String... names) {
    return new Keys(List.of(names), Set.of(names));
  }

  /** Whether {@code key} is allowed. */
  boolean allows(String key) {
    return set.contains(key);
  }

  /** The names separated by commas. */
  String joined() {
    return String.join(", ", list);
  }
}
