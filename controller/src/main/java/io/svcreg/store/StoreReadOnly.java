package io.svcreg.store;

import io.svcreg.core.SvcregException;

/**
 * A commit refused, with nothing written, because the store's file system has less free space than
 * the store keeps in reserve: the store reads as before and takes commits again once there is
 * space. Whoever committed must not carry out what the commit was to record. A standby of a
 * high-availability group refuses commits the same way ({@link StoreFollowing}).
 */
public class StoreReadOnly extends SvcregException {
  private static final long serialVersionUID = 1L;

  StoreReadOnly(String message) {
    super(message);
  }
}
