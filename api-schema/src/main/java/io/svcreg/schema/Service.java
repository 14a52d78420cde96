package io.svcreg.schema;

/** A declared service, with the normalized hash of its spec (see {@link SpecHash}). */
public record Service(Metadata metadata, ServiceSpec spec, Location origin, String specHash)
    implements Resource {

  /** A service whose hash is computed from its spec. */
  public static Service of(Metadata metadata, ServiceSpec spec, Location origin) {
    return new Service(metadata, spec, origin, SpecHash.of(spec));
  }

  @Override
  public ResourceKey key() {
    return ResourceKey.service(metadata.name());
  }
}
