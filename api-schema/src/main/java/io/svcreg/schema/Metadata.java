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

  /**
   * An unmodifiable copy in key order; the shared empty map when empty, a one-entry immutable map
   * (a fifth of the memory of a tree map) for one entry.
   */
  static Map<String, String> sorted(Map<String, String> map) {
    if (map.isEmpty()) {
      return Map.of();
    }
    if (map.size() == 1) {
      Map.Entry<String, String> e = map.entrySet().iterator().next();
      return Map.of(e.getKey(), e.getValue());
    }
    return Collections.unmodifiableMap(new TreeMap<>(map));
  }

  /** Metadata with a name and nothing else. */
  public static Metadata named(String name) {
    return new Metadata(name, Map.of(), Map.of());
  }
}
