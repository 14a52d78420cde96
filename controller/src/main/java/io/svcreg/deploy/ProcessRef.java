package io.svcreg.deploy;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A started service process: its pid (also its process group and session id, since it was started
 * with {@code setsid}) and its start time, so that a reused pid is not mistaken for it; for a
 * service run as a Docker container, the container's main process and the container's id.
 */
public record ProcessRef(long pid, Instant startTime, Optional<String> containerId) {

  public ProcessRef {
    Objects.requireNonNull(containerId, "containerId");
  }

  /** A process that is not a container's. */
  public ProcessRef(long pid, Instant startTime) {
    this(pid, startTime, Optional.empty());
  }
}
