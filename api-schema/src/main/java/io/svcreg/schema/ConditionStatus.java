package io.svcreg.schema;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Optional;

/** The status of a condition, as in Kubernetes. */
public enum ConditionStatus implements WireEnum {
  TRUE("True"),
  FALSE("False"),
  UNKNOWN("Unknown");

  private final String wireName;

  ConditionStatus(String wireName) {
    this.wireName = wireName;
  }

  @JsonValue
  @Override
  public String wireName() {
    return wireName;
  }

  /** The constant with this wire name, if any. */
  public static Optional<ConditionStatus> parse(String text) {
    return WireEnum.parse(ConditionStatus.class, text);
  }

  /** The allowed wire names, e.g. for error messages. */
  public static String allowed() {
    return WireEnum.allowed(ConditionStatus.class);
  }

  @JsonCreator
  static ConditionStatus fromJson(String text) {
    return parse(text)
        .orElseThrow(() -> new IllegalArgumentException("expected " + allowed() + ", got " + text));
  }

  @Override
  public String toString() {
    return wireName;
  }
}
