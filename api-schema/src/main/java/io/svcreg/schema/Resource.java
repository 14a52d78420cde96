package io.svcreg.schema;

/** A declared resource, as parsed from a spec file. */
public sealed interface Resource permits Network, Service {

  /** Its identity. */
  ResourceKey key();

  /** Its metadata. */
  Metadata metadata();

  /** Where its document starts. */
  Location origin();

  /** The normalized hash of its spec. */
  String specHash();

  /** Its name. */
  default String name() {
    return metadata().name();
  }
}
