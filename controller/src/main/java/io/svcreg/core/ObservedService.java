package io.svcreg.core;

import io.svcreg.schema.Metadata;
import io.svcreg.schema.ServiceSpec;
import io.svcreg.schema.ServiceStatus;

/**
 * What the controller knows of a service it manages: the last spec it acted on (with its metadata,
 * generation and normalized hash) and the observed status.
 */
public record ObservedService(
    Metadata metadata, long generation, String specHash, ServiceSpec spec, ServiceStatus status) {}
