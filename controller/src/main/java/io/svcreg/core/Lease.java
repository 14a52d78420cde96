package io.svcreg.core;

import io.svcreg.schema.Ipv4;

/** An address in a network held by a service. */
public record Lease(String network, Ipv4 address, String service) {}
