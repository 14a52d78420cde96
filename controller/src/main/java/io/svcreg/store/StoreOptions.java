package io.svcreg.store;

/**
 * How a {@link Store} is opened.
 *
 * @param retainedEvents how many of the newest events the journal keeps at least (older ones are
 *     dropped, a segment at a time)
 * @param startFreshIfUnreadable when the store cannot be read, move it aside and start an empty
 *     one, instead of failing
 * @param reserveBytes the free space the store leaves on its file system: a commit is refused
 *     ({@link StoreReadOnly}) while there is no more than this
 */
public record StoreOptions(int retainedEvents, boolean startFreshIfUnreadable, long reserveBytes) {

  /** The default number of retained events. */
  public static final int DEFAULT_RETAINED_EVENTS = 10_000;

  /**
   * The default reserve, 8 MiB: EclipseStore's housekeeping rewrites a data file of up to about
   * that size into a new one before it deletes the old.
   */
  public static final long DEFAULT_RESERVE_BYTES = 8L << 20;

  public StoreOptions {
    if (retainedEvents < 1) {
      throw new IllegalArgumentException("retainedEvents must be at least 1: " + retainedEvents);
    }
    if (reserveBytes < 0) {
      throw new IllegalArgumentException("reserveBytes must not be negative: " + reserveBytes);
    }
  }

  /** 10,000 retained events; an unreadable store fails the open; 8 MiB in reserve. */
  public static StoreOptions defaults() {
    return new StoreOptions(DEFAULT_RETAINED_EVENTS, false, DEFAULT_RESERVE_BYTES);
  }

  /** These options with another retention. */
  public StoreOptions withRetainedEvents(int n) {
    return new StoreOptions(n, startFreshIfUnreadable, reserveBytes);
  }

  /** These options with the given choice for an unreadable store. */
  public StoreOptions withStartFreshIfUnreadable(boolean fresh) {
    return new StoreOptions(retainedEvents, fresh, reserveBytes);
  }

  /** These options with another reserve. */
  public StoreOptions withReserveBytes(long bytes) {
    return new StoreOptions(retainedEvents, startFreshIfUnreadable, bytes);
  }
}
