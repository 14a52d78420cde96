package io.svcreg.deploy;

import java.time.Instant;

/**
 * A started service process: its pid (also its process group and session id, since it was started
 * with {@code setsid}) and its start time, so that a reused pid is not mistaken for it.
 */
public record ProcessRef(long pid, Instant startTime) {}
