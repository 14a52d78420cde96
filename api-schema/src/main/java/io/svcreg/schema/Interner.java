package io.svcreg.schema;

import java.util.HashMap;
import java.util.Map;

/** Shares equal strings (network names, versions, package refs, ...) within one load. */
final class Interner {

  private final Map<String, String> pool = new HashMap<>();

  /** The shared instance equal to {@code s}. */
  synchronized String intern(String s) {
    String prev = pool.putIfAbsent(s, s);
    return prev == null ? s : prev;
  }
}
