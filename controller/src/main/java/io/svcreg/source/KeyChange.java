package io.svcreg.source;

/** How one resource's desired state changed between two readings of the spec directory. */
public enum KeyChange {
  /** Newly declared and valid. */
  ADDED,
  /** Still valid, with a different spec or metadata (or valid again with a different one). */
  CHANGED,
  /** No longer declared, in a directory read completely: to be pruned. */
  REMOVED,
  /**
   * Declared but invalid or defined twice, or missing while some file cannot be read: it keeps its
   * last good spec (if it ever had one) and nothing about it changes.
   */
  HELD,
  /** Valid again after being held, with the same spec and metadata as its last good version. */
  RELEASED
}
