package io.svcreg.core;

/** A request names a resource that the controller does not know (API error {@code not_found}). */
public class NotFoundException extends SvcregException {

  /** A resource is unknown; the message names it and where it was looked for. */
  public NotFoundException(String message) {
    super(message);
  }
}
