package io.svcreg.core.rollout;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/** What carrying out a {@link Step} gave, as the executor reports it. */
public sealed interface StepResult {

  /** A step that writes only, or whose outcome is only logged, is done. */
  record Done() implements StepResult {}

  /**
   * The version is installed in {@code home}; {@code removed}: older versions it pruned; {@code
   * kept}: directories it was to delete but kept, because live processes run from them.
   */
  record Installed(String home, List<String> removed, List<Kept> kept) implements StepResult {
    public Installed {
      removed = List.copyOf(removed);
      kept = List.copyOf(kept);
    }

    /** An install that kept nothing it was to delete. */
    public Installed(String home, List<String> removed) {
      this(home, removed, List.of());
    }
  }

  /**
   * A directory of the service on its node that was to be deleted but is kept, because live
   * processes run from it: the version it holds (empty for a temporary or moved-aside directory),
   * its path, and each process: pid, command line and how it was found ({@code recorded}: the start
   * svcreg recorded there; {@code cwd}, {@code exe}; {@code unit:NAME}).
   */
  record Kept(String version, String path, List<Holder> processes) {
    public Kept {
      processes = List.copyOf(processes);
    }

    /** A process that runs from the directory. */
    public record Holder(long pid, String command, String how) {}

    /** The processes for a message: {@code pid 12 (sleep 1000; cwd), ...}. */
    public String describe() {
      return processes.stream()
          .map(h -> "pid " + h.pid() + " (" + h.command() + "; " + h.how() + ")")
          .collect(Collectors.joining(", "));
    }
  }

  /**
   * The process runs as {@code pid} (started at {@code startTime}), in the Docker container {@code
   * containerId} when it is one; its log grows from {@code logOffset}; {@code confirmed} when it
   * already outlived its start grace period.
   */
  record Started(
      long pid, Instant startTime, Optional<String> containerId, long logOffset, boolean confirmed)
      implements StepResult {}

  /** The process is stopped ({@code how}: the step that stopped it). */
  record Stopped(String how) implements StepResult {}

  /**
   * The installed versions are removed ({@code removed}); {@code forgotten} when no deployer
   * reaches the node any more, so nothing could be removed and the loop forgets them; {@code kept}:
   * directories not deleted because live processes still run from them (the removal is not done).
   */
  record Uninstalled(List<String> removed, boolean forgotten, List<Kept> kept)
      implements StepResult {
    public Uninstalled {
      removed = List.copyOf(removed);
      kept = List.copyOf(kept);
    }

    /** A removal that kept nothing. */
    public Uninstalled(List<String> removed, boolean forgotten) {
      this(removed, forgotten, List.of());
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
