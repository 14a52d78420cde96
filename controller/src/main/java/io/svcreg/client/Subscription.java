package io.svcreg.client;

import java.util.concurrent.CompletableFuture;

/** A live event stream of a {@link SvcregClient}; resumes by itself after a dropped connection. */
public interface Subscription extends AutoCloseable {

  /**
   * The revision of the last event delivered (or the revision the stream started after): every
   * event of that revision was delivered (several events that share a revision come and are
   * delivered together), so a stream resumed after it misses and repeats nothing.
   */
  long lastRevision();

  /**
   * Completes normally when the subscription is closed, exceptionally when the stream cannot go on:
   * an {@link ApiException} with code {@code revision_expired} (events were missed: re-list and
   * subscribe again without {@code since}), or a {@link ConnectionException} that retrying cannot
   * fix (a refused token, an untrusted certificate).
   */
  CompletableFuture<Void> done();

  /** Unsubscribes; no event is delivered after this returns. */
  @Override
  void close();
}
