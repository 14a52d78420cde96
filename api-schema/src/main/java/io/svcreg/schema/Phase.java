package io.svcreg.schema;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Optional;

/** The observed lifecycle phase of a service. */
public enum Phase implements WireEnum {
  REGISTERED("registered"),
  DEPLOYING("deploying"),
  STARTING("starting"),
  RUNNING("running"),
  STOPPING("stopping"),
  STOPPED("stopped"),
  FAILED("failed"),
  REMOVING("removing");

  private final String wireName;

  Phase(String wireName) {
    this.wireName = wireName;
  }

  @JsonValue
  @Override
  public String wireName() {
    return wireName;
  }

  /** The constant with this wire name, if any. */
  public static Optional<Phase> parse(String text) {
    return WireEnum.parse(Phase.class, text);
  }

  /** The allowed wire names, e.g. for error messages. */
  public static String allowed() {
    return WireEnum.allowed(Phase.class);
  }

  @JsonCreator
  static Phase fromJson(String text) {
    return parse(text)
        .orElseThrow(() -> new IllegalArgumentException("expected " + allowed() + ", got " + text));
  }

  @Override
  public String toString() {
    return wireName;
  }
}
