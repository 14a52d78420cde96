package io.svcreg.core;

import io.svcreg.schema.Condition;
import io.svcreg.schema.ConditionStatus;
import io.svcreg.schema.Phase;
import io.svcreg.schema.RunState;
import io.svcreg.schema.ServiceSpec;
import io.svcreg.schema.ServiceStatus;
import java.util.Optional;

/**
 * The rules about a service's observed status that the planner and the loop share: whether its
 * process may run, which run state it is to be in, and whether it reached it.
 */
public final class ServiceStates {

  private ServiceStates() {}

  /**
   * Whether the service's process may be running, so that it needs a stop or a restart: it has a
   * deployed version and is running, starting or stopping. A service being installed is not up: the
   * loop installs a running service's new version without leaving its phase.
   */
  public static boolean isUp(ServiceStatus st) {
    if (st.deployedVersion().isEmpty()) {
      return false;
    }
    return switch (st.phase()) {
      case RUNNING, STARTING, STOPPING -> true;
      case REGISTERED, DEPLOYING, STOPPED, FAILED, REMOVING -> false;
    };
  }

  /**
   * The version kept for rollback once {@code next} is deployed: the deployed version when it is
   * another one, else the recorded previous version.
   */
  public static Optional<String> previousVersion(ServiceStatus st, String next) {
    return st.deployedVersion().filter(v -> !v.equals(next)).or(st::previousVersion);
  }

  /**
   * The run state a service is to be in: its spec's, or stopped while an operator holds it stopped
   * (a true {@link Condition#HELD} condition, until the operator starts it).
   */
  public static RunState runState(ServiceSpec spec, ServiceStatus st) {
    // a plain loop: this runs for every service on every plan
    for (Condition c : st.conditions()) {
      if (Condition.HELD.equals(c.type())) {
        return c.status() == ConditionStatus.TRUE ? RunState.STOPPED : spec.state();
      }
    }
    return spec.state();
  }

  /**
   * Whether the service reached the state it is to be in: {@code version} deployed, and running
   * (when {@code state} is running) or stopped.
   */
  public static boolean reached(ServiceStatus st, String version, RunState state) {
    return st.deployedVersion().isPresent()
        && st.deployedVersion().get().equals(version)
        && (state == RunState.RUNNING ? st.phase() == Phase.RUNNING : st.phase() == Phase.STOPPED);
  }

  /** Whether the loop gave up on the service's current generation and waits for a new spec. */
  public static boolean gaveUp(ObservedService o) {
    ServiceStatus st = o.status();
    if (st.observedGeneration() != o.generation()) {
      return false;
    }
    for (Condition c : st.conditions()) {
      boolean type = Condition.PROGRESSING.equals(c.type()) || Condition.DEGRADED.equals(c.type());
      boolean reason =
          Reasons.START_LIMIT_REACHED.equals(c.reason()) || Reasons.ROLLED_BACK.equals(c.reason());
      if (type && reason) {
        return true;
      }
    }
    return false;
  }

  /** Whether the loop stopped starting the service (it kept exiting), not just rolled back. */
  public static boolean startLimitReached(ServiceStatus st) {
    for (Condition c : st.conditions()) {
      if (Reasons.START_LIMIT_REACHED.equals(c.reason())) {
        return true;
      }
    }
    return false;
  }
}
