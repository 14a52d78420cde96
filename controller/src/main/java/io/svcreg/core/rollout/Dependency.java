package io.svcreg.core.rollout;

import java.util.Optional;

/**
 * A service that another one depends on, as the dependent sees it: whether it runs and is not
 * failing its health checks, and the {@code ip:port} of its first endpoint.
 */
public record Dependency(String name, boolean ready, Optional<String> address) {}
