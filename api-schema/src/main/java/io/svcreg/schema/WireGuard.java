package io.svcreg.schema;

/** WireGuard settings of a {@code wireguard} network. */
public record WireGuard(String configPath) {}
