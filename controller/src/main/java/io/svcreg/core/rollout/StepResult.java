package io.svcreg.core.rollout;

import java.time.Instant;
import java.util.List;

/** What carrying out a {@link Step} gave, as the executor reports it. */
public sealed interface StepResult {

  /** A step that writes only, or whose outcome is only logged, is done. */
  record Done() implements StepResult {}

  /** The version is installed in {@code home}; {@code removed}: older versions it pruned. */
  record Installed(String home, List<String> removed) implements StepResult {
    public Installed {
      removed = List.copyOf(removed);
    }
  }

  /**
   * The process runs as {@code pid} (started at {@code startTime}); its log grows from {@code
   * logOffset}; {@code confirmed} when it already outlived its start grace period.
   */
  record Started(long pid, Instant startTime, long logOffset, boolean confirmed)
      implements StepResult {}

  /** The process is stopped ({@code how}: the step that stopped it). */
  record Stopped(String how) implements StepResult {}

  /**
   * The installed versions are removed ({@code removed}); {@code forgotten} when no deployer
   * reaches the node any more, so nothing could be removed and the loop forgets them.
   */
  record Uninstalled(List<String> removed, boolean forgotten) implements StepResult {
    public Uninstalled {
      removed = List.copyOf(removed);
    }
  }

  /** A health check's verdict: {@code kind}, the deployer's {@code reason}, and its output. */
  record Health(Kind kind, String reason, String message, String output) implements StepResult {

    /** What a health check found. */
    public enum Kind {
      /** The script passed and the process lives. */
      PASSING,
      /** The script failed (or timed out, or is missing). */
      FAILING,
      /** The process is gone, whatever the script said. */
      PROCESS_EXITED,
      /** The node did not answer: no verdict on the service. */
      NODE_UNAVAILABLE
    }
  }

  /** The address is on (or off) the node's interface {@code device} (empty: it already was). */
  record Bound(String device) implements StepResult {}

  /** The step failed: the deployer's {@code reason}, a message, and the log's last lines. */
  record Failed(String reason, String message, String logTail) implements StepResult {}

  /** The shared {@link Done}. */
  StepResult DONE = new Done();
}
