package io.svcreg.deploy;

/** The outcome of configuring a service's address on its node, or of removing it. */
public sealed interface AddressOutcome {

  /**
   * The address is configured on (or no longer on) the node's interface {@code device}; empty when
   * there was nothing to do (it already was, or the node needs no configured addresses).
   */
  record Done(String device) implements AddressOutcome {}

  /** The address could not be configured or removed. */
  record Failed(String reason, String message) implements AddressOutcome, Failure {}
}
