package io.svcreg.store;

/**
 * A commit refused because this member no longer leads: its {@link Replicator} wrote nothing, and
 * nothing was written here. Whoever committed must not carry out what the commit was to record.
 */
public final class StoreFenced extends ReplicationRefused {
  private static final long serialVersionUID = 1L;

  /** A refusal saying why this member no longer leads. */
  public StoreFenced(String message) {
    super(message);
  }
}
