package io.svcreg.deploy;

/** The outcome of stopping a service. */
public sealed interface StopOutcome {

  /** No process of the service's group is left; {@code step} says which step ended it. */
  record Stopped(StopStep step) implements StopOutcome {}

  /** The process group survived every step (or the wait was interrupted). */
  record Failed(String reason, String message) implements StopOutcome, Failure {}
}
