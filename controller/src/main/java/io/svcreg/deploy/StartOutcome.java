package io.svcreg.deploy;

/** The outcome of starting a service. */
public sealed interface StartOutcome {

  /**
   * The start script runs as {@code process}; its output goes to the log from {@code logOffset};
   * {@code confirmed} when it already outlived the start grace period (else {@link
   * Deployer#confirm} tells, once the grace period is over).
   */
  record Started(ProcessRef process, long logOffset, boolean confirmed) implements StartOutcome {

    /** A start that outlived the start grace period. */
    public Started(ProcessRef process) {
      this(process, 0, true);
    }
  }

  /**
   * The service is not running; {@code logTail} holds the last lines it wrote to its log during
   * this start (empty when there were none).
   */
  record Failed(String reason, String message, String logTail) implements StartOutcome, Failure {}
}
