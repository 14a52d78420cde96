package io.svcreg.store;

import java.util.Optional;

/**
 * A commit refused because this controller is a standby member of a high-availability group: only
 * the leader writes; this member's store follows the leader's log ({@link Store#follow}). Nothing
 * was written. The API answers it as {@code not_leader}, naming the leader when one is known.
 */
public final class StoreFollowing extends StoreReadOnly {
  private static final long serialVersionUID = 1L;

  private final String leader;

  StoreFollowing(String message, Optional<String> leader) {
    super(message);
    this.leader = leader.orElse(null);
  }

  /** The leader's API address ({@code https://host:port}), when one leads. */
  public Optional<String> leader() {
    return Optional.ofNullable(leader);
  }
}
