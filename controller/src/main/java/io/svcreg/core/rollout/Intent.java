package io.svcreg.core.rollout;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What an operator asked of a declared service through the API and the loop has not yet carried
 * out, kept in the store so that a controller restart carries it out all the same.
 *
 * @param service the service
 * @param heldSince when an operator stopped it: it is held stopped until the action {@code start}
 * @param resetStartLimit {@code start}: forget the crashes counted against the start limit
 * @param restart {@code restart}: start a new process of the installed version
 * @param redeploy {@code deploy_package}: install the spec's package again, then restart
 */
public record Intent(
    String service,
    Optional<Instant> heldSince,
    boolean resetStartLimit,
    boolean restart,
    boolean redeploy) {

  public Intent {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(heldSince, "heldSince");
  }

  /** No intent: the spec alone decides. */
  public static Intent none(String service) {
    return new Intent(service, Optional.empty(), false, false, false);
  }

  /** Whether an operator holds the service stopped. */
  @JsonIgnore
  public boolean held() {
    return heldSince.isPresent();
  }

  /** Whether nothing is asked: the entry can be removed. */
  @JsonIgnore
  public boolean isEmpty() {
    return heldSince.isEmpty() && !resetStartLimit && !restart && !redeploy;
  }

  /** This intent held stopped since {@code at}, or released when empty. */
  public Intent withHeld(Optional<Instant> at) {
    return new Intent(service, at, resetStartLimit, restart, redeploy);
  }

  /** This intent with the start limit to be reset, or not. */
  public Intent withReset(boolean reset) {
    return new Intent(service, heldSince, reset, restart, redeploy);
  }

  /** This intent with a restart pending, or not. */
  public Intent withRestart(boolean r) {
    return new Intent(service, heldSince, resetStartLimit, r, redeploy);
  }

  /** This intent with a re-deploy pending, or not. */
  public Intent withRedeploy(boolean r) {
    return new Intent(service, heldSince, resetStartLimit, restart, r);
  }
}
