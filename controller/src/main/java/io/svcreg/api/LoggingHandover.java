package io.svcreg.api;

import io.helidon.logging.common.spi.LoggingProvider;

/**
 * Tells Helidon that logging is configured already: svcreg sets up {@code java.util.logging} itself
 * (plain or JSON lines), so Helidon neither reconfigures it nor prints that it found no logging
 * implementation.
 */
public final class LoggingHandover implements LoggingProvider {

  /** Created by the service loader. */
  public LoggingHandover() {}

  @Override
  public void initialization() {}

  @Override
  public void runTime() {}
}
