package io.svcreg.core;

/**
 * A request that contradicts the resource's spec or state (API error {@code conflict}); the message
 * says what to change.
 */
public class ConflictException extends SvcregException {

  /** A request cannot be carried out as the resource is; the message says what to do instead. */
  public ConflictException(String message) {
    super(message);
  }
}
