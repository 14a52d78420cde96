package io.svcreg.core;

import java.util.Optional;

/**
 * One changed field of a resource, by path (e.g. {@code spec.version}); a value is empty where the
 * field was or becomes absent.
 */
public record FieldChange(String path, Optional<String> oldValue, Optional<String> newValue) {}
