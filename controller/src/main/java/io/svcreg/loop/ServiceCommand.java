package io.svcreg.loop;

import java.util.Locale;
import java.util.Optional;

/**
 * An operator's command on one service (wire names {@code start}, {@code stop}, {@code restart}).
 */
public enum ServiceCommand {
  /** Clears a stop by an operator and a start limit, and starts the service. */
  START,
  /** Stops the service and keeps it stopped until {@link #START}. */
  STOP,
  /** Starts a new process of the installed version (stopping the old one first). */
  RESTART;

  /** The name on the wire and in events ({@code start}, {@code stop}, {@code restart}). */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The command of a wire name; empty for anything else (names are case-sensitive). */
  public static Optional<ServiceCommand> parse(String wireName) {
    for (ServiceCommand c : values()) {
      if (c.wireName().equals(wireName)) {
        return Optional.of(c);
      }
    }
    return Optional.empty();
  }
}
