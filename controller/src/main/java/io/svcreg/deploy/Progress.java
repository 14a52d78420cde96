package io.svcreg.deploy;

import java.util.Map;

/**
 * Receives the phases of an install as they happen ({@code connect}, {@code upload}, {@code
 * verify}, {@code install}), with details such as {@code bytes}, {@code total} and {@code percent}
 * for an upload. Called on the installing thread.
 */
@FunctionalInterface
public interface Progress {

  /** Ignores every report. */
  Progress NONE = (phase, details) -> {};

  /** Reports that {@code phase} began or advanced. */
  void report(String phase, Map<String, Object> details);
}
