package io.svcreg.schema;

import java.util.concurrent.ConcurrentHashMap;

/** Shares equal strings (names, versions, package refs, ...) within one load; thread-safe. */
final class Interner {

  private final ConcurrentHashMap<String, String> pool = new ConcurrentHashMap<>();

  /** The shared instance equal to {@code s}. */
  String intern(String s) {
    String prev = pool.get(s);
    if (prev != null) {
      return prev;
    }
    prev = pool.putIfAbsent(s, s);
    return prev == null ? s : prev;
  }
}
