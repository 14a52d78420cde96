package io.svcreg.store;

/**
 * How a {@link Store} is opened.
 *
 * @param retainedEvents how many of the newest events the journal keeps at least (older ones are
 *     dropped, a segment at a time)
 * @param startFreshIfUnreadable when the store cannot be read, move it aside and start an empty
 *     one, instead of failing
 */
public record StoreOptions(int retainedEvents, boolean startFreshIfUnreadable) {

  /** The default number of retained events. */
  public static final int DEFAULT_RETAINED_EVENTS = 10_000;

  public StoreOptions {
    if (retainedEvents < 1) {
      throw new IllegalArgumentException("retainedEvents must be at least 1: " + retainedEvents);
    }
  }

  /** 10,000 retained events; an unreadable store fails the open. */
  public static StoreOptions defaults() {
    return new StoreOptions(DEFAULT_RETAINED_EVENTS, false);
  }

  /** These options with another retention. */
  public StoreOptions withRetainedEvents(int n) {
    return new StoreOptions(n, startFreshIfUnreadable);
  }

  /** These options with the given choice for an unreadable store. */
  public StoreOptions withStartFreshIfUnreadable(boolean fresh) {
    return new StoreOptions(retainedEvents, fresh);
  }
}
