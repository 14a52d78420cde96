package io.svcreg.schema;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/** {@code metadata}: the name and the optional labels and annotations (kept sorted). */
public record Metadata(String name, Map<String, String> labels, Map<String, String> annotations) {

  public Metadata {
    labels = sorted(labels);
    annotations = sorted(annotations);
  }

  /** An unmodifiable copy in key order; the shared empty map when empty. */
  static Map<String, String> sorted(Map<String, String> map) {
    return map.isEmpty() ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(map));
  }

  /** Metadata with a name and nothing else. */
  public static Metadata named(String name) {
    return new Metadata(name, Map.of(), Map.of());
  }
}
