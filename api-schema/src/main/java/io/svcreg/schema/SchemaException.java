package io.svcreg.schema;

/** An unexpected failure in this module (a bug or an unreadable resource), with context. */
public class SchemaException extends RuntimeException {

  /** A failure with a message. */
  public SchemaException(String message) {
    super(message);
  }

  /** A failure caused by another. */
  public SchemaException(String message, Throwable cause) {
    super(message, cause);
  }
}
