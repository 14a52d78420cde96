package io.svcreg.schema;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Optional;

/** The result of a service's health checks. */
public enum HealthState implements WireEnum {
  PASSING("passing"),
  FAILING("failing"),
  UNKNOWN("unknown");

  private final String wireName;

  HealthState(String wireName) {
    this.wireName = wireName;
  }

  @JsonValue
  @Override
  public String wireName() {
    return wireName;
  }

  /** The constant with this wire name, if any. */
  public static Optional<HealthState> parse(String text) {
    return WireEnum.parse(HealthState.class, text);
  }

  /** The allowed wire names, e.g. for error messages. */
  public static String allowed() {
    return WireEnum.allowed(HealthState.class);
  }

  @JsonCreator
  static HealthState fromJson(String text) {
    return parse(text)
        .orElseThrow(() -> new IllegalArgumentException("expected " + allowed() + ", got " + text));
  }

  @Override
  public String toString() {
    return wireName;
  }
}
