package io.svcreg.core;

import io.svcreg.schema.Metadata;
import io.svcreg.schema.NetworkSpec;
import io.svcreg.schema.NetworkStatus;

/** What the controller knows of a network: the last spec it acted on and the observed status. */
public record ObservedNetwork(
    Metadata metadata, long generation, String specHash, NetworkSpec spec, NetworkStatus status) {}
