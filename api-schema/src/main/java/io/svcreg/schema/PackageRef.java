package io.svcreg.schema;

/**
 * A service's {@code spec.package} as written (relative to its spec file, or absolute) and where it
 * is written.
 */
public record PackageRef(String ref, Location at) {}
