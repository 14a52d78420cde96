package io.svcreg.deploy;

import io.svcreg.core.SvcregException;

/**
 * A node could not be asked about its services (it did not answer, refused us, or the connection
 * broke): nothing is known about what runs there, so nothing recorded about it may be changed.
 */
public final class NodeUnavailable extends SvcregException {
  private static final long serialVersionUID = 1L;
  private final String reason;

  /** A node failure with its reason code (see {@link DeployReasons}) and a one-line message. */
  public NodeUnavailable(String reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  /** The reason code, e.g. {@code NodeUnreachable}. */
  public String reason() {
    return reason;
  }
}
