package io.svcreg.client;

import java.time.Duration;

/**
 * Receives a subscription's events, in revision order, on the client's reading thread: keep it
 * short. A listener that blocks stops reading (backpressure); the server then closes the stream and
 * the client resumes after the last event delivered, so nothing is lost.
 */
public interface SubscriptionListener {

  /**
   * One event; never a revision delivered before. Events that share a revision (a replicated
   * controller's commit) come one after the other, in journal order, and all of them.
   */
  void onEvent(Event event);

  /** The connection dropped ({@code why}); the client reconnects after {@code retryIn}. */
  default void onDisconnected(String why, Duration retryIn) {}

  /** The stream was resumed on a new connection with every event after {@code after}. */
  default void onResumed(long after) {}
}
