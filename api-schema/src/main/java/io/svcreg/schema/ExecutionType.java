package io.svcreg.schema;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Optional;

/**
 * How a service runs: a process svcreg starts and watches ({@code managed_process}), a systemd unit
 * on an SSH node ({@code systemd}), or a Docker container of the package's image ({@code docker}).
 */
public enum ExecutionType implements WireEnum {
  MANAGED_PROCESS("managed_process"),
  SYSTEMD("systemd"),
  DOCKER("docker");

  private final String wireName;

  ExecutionType(String wireName) {
    this.wireName = wireName;
  }

  @JsonValue
  @Override
  public String wireName() {
    return wireName;
  }

  /** The constant with this wire name, if any. */
  public static Optional<ExecutionType> parse(String text) {
    return WireEnum.parse(ExecutionType.class, text);
  }

  /** The allowed wire names, e.g. for error messages. */
  public static String allowed() {
    return WireEnum.allowed(ExecutionType.class);
  }

  @JsonCreator
  static ExecutionType fromJson(String text) {
    return parse(text)
        .orElseThrow(() -> new IllegalArgumentException("expected " + allowed() + ", got " + text));
  }

  @Override
  public String toString() {
    return wireName;
  }
}
