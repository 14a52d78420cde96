package io.svcreg.schema;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Optional;

/** An endpoint's protocol. */
public enum Protocol implements WireEnum {
  TCP("tcp"),
  UDP("udp"),
  HTTP("http"),
  GRPC("grpc");

  private final String wireName;

  Protocol(String wireName) {
    this.wireName = wireName;
  }

  @JsonValue
  @Override
  public String wireName() {
    return wireName;
  }

  /** The constant with this wire name, if any. */
  public static Optional<Protocol> parse(String text) {
    return WireEnum.parse(Protocol.class, text);
  }

  /** The allowed wire names, e.g. for error messages. */
  public static String allowed() {
    return WireEnum.allowed(Protocol.class);
  }

  @JsonCreator
  static Protocol fromJson(String text) {
    return parse(text)
        .orElseThrow(() -> new IllegalArgumentException("expected " + allowed() + ", got " + text));
  }

  @Override
  public String toString() {
    return wireName;
  }
}
