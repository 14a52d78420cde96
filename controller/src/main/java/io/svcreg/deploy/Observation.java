package io.svcreg.deploy;

/**
 * What a node reports about a service version: whether its install directory is present (with its
 * required scripts) and whether the recorded process is alive (same pid and start time).
 */
public record Observation(boolean installed, boolean running) {}
