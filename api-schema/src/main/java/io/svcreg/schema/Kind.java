package io.svcreg.schema;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Optional;

/** The kinds of resource a spec file may declare. */
public enum Kind {
  NETWORK("Network"),
  SERVICE("Service");

  private final String wireName;

  Kind(String wireName) {
    this.wireName = wireName;
  }

  /** The name as written in {@code kind:}. */
  @JsonValue
  public String wireName() {
    return wireName;
  }

  /** The kind with this wire name, if any. */
  public static Optional<Kind> parse(String text) {
    for (Kind k : values()) {
      if (k.wireName.equals(text)) {
        return Optional.of(k);
      }
    }
    return Optional.empty();
  }

  @JsonCreator
  static Kind fromJson(String text) {
    return parse(text).orElseThrow(() -> new IllegalArgumentException("unknown kind " + text));
  }
}
