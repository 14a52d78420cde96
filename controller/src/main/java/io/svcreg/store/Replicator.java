package io.svcreg.store;

import java.util.List;

/**
 * Makes a leader's commits durable elsewhere (a replicated log its followers read) before its
 * {@link Store} persists them; see {@link Store#replicateTo}.
 */
public interface Replicator {

  /**
   * Makes {@code batch} (validated transactions, in commit order, stamped with the commit time)
   * durable as one commit and returns the revision all its events take, above the store's {@link
   * Store#lastRevision}; a follower applies it as {@link Transaction#merge} of the batch at that
   * revision. Throws {@link StoreFenced} when it wrote nothing because this member no longer leads,
   * {@link ReplicationRefused} when it wrote nothing for another reason (the store goes on taking
   * commits); any other exception says that the batch may or may not be durable.
   */
  long replicate(List<Transaction> batch);
}
