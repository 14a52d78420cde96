package io.svcreg.client;

import io.svcreg.core.SvcregException;

/**
 * The connection to the server could not be opened or was lost; the message is one line that says
 * what happened and what to do. {@link #permanent()} tells whether retrying can help (a refused
 * token or an untrusted certificate cannot).
 */
public final class ConnectionException extends SvcregException {

  private static final long serialVersionUID = 1L;

  private final boolean permanent;
  private final String reason;

  ConnectionException(String message, boolean permanent, Throwable cause) {
    this(message, message, permanent, cause);
  }

  ConnectionException(String message, String reason, boolean permanent, Throwable cause) {
    super(message, cause);
    this.permanent = permanent;
    this.reason = reason;
  }

  /**
   * What happened, without the advice of the message, e.g. {@code cannot reach URL: connection
   * refused}: for a line that adds its own (such as "retrying in 2s").
   */
  public String reason() {
    return reason;
  }

  /** Whether trying again without changing the configuration cannot succeed. */
  public boolean permanent() {
    return permanent;
  }
}
