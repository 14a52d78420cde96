package io.svcreg.schema;

import java.util.Optional;

/** An enum whose constants have a lower-case wire name, as written in YAML and JSON. */
interface WireEnum {

  /** The name as written in specs. */
  String wireName();

  /** The constant of {@code type} with this wire name, if any. */
  static <E extends Enum<E> & WireEnum> Optional<E> parse(Class<E> type, String text) {
    for (E e : type.getEnumConstants()) {
      if (e.wireName().equals(text)) {
        return Optional.of(e);
      }
    }
    return Optional.empty();
  }

  /** The allowed wire names, for error messages: {@code a | b | c}. */
  static <E extends Enum<E> & WireEnum> String allowed(Class<E> type) {
    StringBuilder b = new StringBuilder();
    for (E e : type.getEnumConstants()) {
      if (!b.isEmpty()) {
        b.append(" | ");
      }
      b.append(e.wireName());
    }
    return b.toString();
  }
}
