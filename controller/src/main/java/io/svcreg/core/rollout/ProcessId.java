package io.svcreg.core.rollout;

import io.svcreg.schema.Ipv4;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The identity of a service process the loop started: its pid (also its process group), the start
 * time that tells it from a later process with the same pid, the offset of its log where this start
 * began writing, whether it outlived the start grace period ({@code confirmed}), and what it was
 * started with: the version, its address and its dependencies' {@code ip:port}.
 */
public record ProcessId(
    long pid,
    Instant startTime,
    long logOffset,
    boolean confirmed,
    Instant startedAt,
    String version,
    Ipv4 address,
    Map<String, String> dependencies) {

  public ProcessId {
    Objects.requireNonNull(startTime, "startTime");
    Objects.requireNonNull(startedAt, "startedAt");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(address, "address");
    dependencies = java.util.Collections.unmodifiableMap(new TreeMap<>(dependencies));
  }

  /** This process, known to have outlived its start grace period. */
  public ProcessId confirm() {
    return new ProcessId(
        pid, startTime, logOffset, true, startedAt, version, address, dependencies);
  }
}
