package io.svcreg.core.rollout;

import java.time.Duration;

/**
 * What one reconcile of a key says next: done, retry (with backoff or after a delay), or give up.
 */
public sealed interface Outcome {

  /** Converged (for now); the backoff of the key is reset. */
  record Done() implements Outcome {}

  /** Run again after {@code delay}, e.g. waiting for a dependency; the backoff is reset. */
  record RequeueAfter(Duration delay) implements Outcome {}

  /** A failure worth retrying with the key's exponential backoff. */
  record Retry(String reason) implements Outcome {}

  /** A failure retrying cannot fix; the key waits for the next change. */
  record Terminal(String reason) implements Outcome {}

  /** The shared {@link Done}. */
  Outcome DONE = new Done();
}
