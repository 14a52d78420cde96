package io.svcreg.store;

import io.svcreg.core.SvcregException;

/**
 * A commit its {@link Replicator} refused having written nothing (an address another service holds,
 * a batch too big, a log ahead of this store): nothing was written here either, and the store goes
 * on taking commits. Whoever committed must not carry out what the commit was to record.
 */
public class ReplicationRefused extends SvcregException {
  private static final long serialVersionUID = 1L;

  /** A refusal saying why. */
  public ReplicationRefused(String message) {
    super(message);
  }
}
