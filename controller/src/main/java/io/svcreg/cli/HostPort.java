package io.svcreg.cli;

import java.util.Optional;

/** A listen address as given to {@code --listen}: {@code HOST:PORT} or {@code [IPv6]:PORT}. */
record HostPort(String host, int port) {

  /** Parses {@code text}; empty when it is not HOST:PORT with a port 0..65535. */
  static Optional<HostPort> parse(String text) {
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      return Optional.empty();
    }
    String host = text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.contains(":")) {
      return Optional.empty();
    }
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
    if (host.isEmpty() || port < 0 || port > 65535) {
      return Optional.empty();
    }
    return Optional.of(new HostPort(host, port));
  }
}
