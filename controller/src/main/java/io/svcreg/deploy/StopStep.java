package io.svcreg.deploy;

/** Which step of the stop sequence ended a service. */
public enum StopStep {
  /** It was not running (the process was gone, or its pid belongs to another process now). */
  NOT_RUNNING,
  /** {@code scripts/stop.sh} stopped it. */
  STOP_SCRIPT,
  /** SIGTERM to its process group stopped it. */
  SIGTERM,
  /** SIGKILL to its process group stopped it. */
  SIGKILL
}
