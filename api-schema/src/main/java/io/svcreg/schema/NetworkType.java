package io.svcreg.schema;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Optional;

/** How a network's nodes are reached. */
public enum NetworkType implements WireEnum {
  LOCAL("local"),
  LAN("lan"),
  WIREGUARD("wireguard");

  private final String wireName;

  NetworkType(String wireName) {
    this.wireName = wireName;
  }

  @JsonValue
  @Override
  public String wireName() {
    return wireName;
  }

  /** The constant with this wire name, if any. */
  public static Optional<NetworkType> parse(String text) {
    return WireEnum.parse(NetworkType.class, text);
  }

  /** The allowed wire names, e.g. for error messages. */
  public static String allowed() {
    return WireEnum.allowed(NetworkType.class);
  }

  @JsonCreator
  static NetworkType fromJson(String text) {
    return parse(text)
        .orElseThrow(() -> new IllegalArgumentException("expected " + allowed() + ", got " + text));
  }

  @Override
  public String toString() {
    return wireName;
  }
}
