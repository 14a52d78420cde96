package io.svcreg.schema;

/** A named port a service listens on. */
public record Endpoint(String name, int port, Protocol protocol) {}
