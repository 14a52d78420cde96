package io.svcreg.cli;

import io.svcreg.core.ChangeType;

/** ANSI colours for text output, or none. */
record Style(boolean enabled) {

  private static final String RESET = "\u001b[0m";

  /** Text in bold. */
  String bold(String text) {
    return wrap("\u001b[1m", text);
  }

  /** Text in the colour of a change: green create, yellow update, red delete. */
  String change(ChangeType type, String text) {
    return switch (type) {
      case CREATE -> wrap("\u001b[32m", text);
      case UPDATE -> wrap("\u001b[33m", text);
      case DELETE -> wrap("\u001b[31m", text);
    };
  }

  /** Text in red, for problems. */
  String error(String text) {
    return wrap("\u001b[31m", text);
  }

  /** Text in a dim colour, for hints. */
  String dim(String text) {
    return wrap("\u001b[2m", text);
  }

  private String wrap(String code, String text) {
    return enabled ? code + text + RESET : text;
  }
}
