package io.svcreg.store;

import java.util.List;

/** The answer to {@link Store#eventsSince}: the retained events after a revision, or expired. */
public sealed interface EventsSince {

  /** Every event after the asked revision, in revision order (possibly none). */
  record Events(List<Event> events) implements EventsSince {
    public Events {
      events = List.copyOf(events);
    }
  }

  /**
   * The asked revision is older than the retained journal (or newer than any this store issued):
   * the caller must re-list. {@code oldestRetained} is the oldest revision still retained (the next
   * revision when none is).
   */
  record Expired(long oldestRetained) implements EventsSince {}
}
