package io.svcreg.deploy;

/** The outcome of starting a service. */
public sealed interface StartOutcome {

  /** The start script is running (alive after the start grace period) as {@code process}. */
  record Started(ProcessRef process) implements StartOutcome {}

  /**
   * The service is not running; {@code logTail} holds the last lines it wrote to its log during
   * this start (empty when there were none).
   */
  record Failed(String reason, String message, String logTail) implements StartOutcome, Failure {}
}
