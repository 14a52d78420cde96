package io.svcreg.core;

import com.fasterxml.jackson.annotation.JsonValue;

/** How a resource changes in a plan. */
public enum ChangeType {
  CREATE("create", "+"),
  UPDATE("update", "~"),
  DELETE("delete", "-");

  private final String wireName;
  private final String symbol;

  ChangeType(String wireName, String symbol) {
    this.wireName = wireName;
    this.symbol = symbol;
  }

  /** The name in JSON output. */
  @JsonValue
  public String wireName() {
    return wireName;
  }

  /** The symbol in text output: {@code +}, {@code ~} or {@code -}. */
  public String symbol() {
    return symbol;
  }
}
