package io.svcreg.core;

/**
 * An unexpected failure in the controller (an unreadable file, a bug), with the context a user
 * needs: what was being done, on which file or resource, and why it failed.
 */
public class SvcregException extends RuntimeException {

  /** A failure with a message. */
  public SvcregException(String message) {
    super(message);
  }

  /** A failure caused by another. */
  public SvcregException(String message, Throwable cause) {
    super(message, cause);
  }
}
