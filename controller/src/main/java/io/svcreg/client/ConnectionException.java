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

  ConnectionException(String message, boolean permanent, Throwable cause) {
    super(message, cause);
    this.permanent = permanent;
  }

  /** Whether trying again without changing the configuration cannot succeed. */
  public boolean permanent() {
    return permanent;
  }
}
