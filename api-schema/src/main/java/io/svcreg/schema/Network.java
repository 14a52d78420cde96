package io.svcreg.schema;

/** A declared network, with the normalized hash of its spec (see {@link SpecHash}). */
public record Network(Metadata metadata, NetworkSpec spec, Location origin, String specHash)
    implements Resource {

  /** A network whose hash is computed from its spec. */
  public static Network of(Metadata metadata, NetworkSpec spec, Location origin) {
    return new Network(metadata, spec, origin, SpecHash.of(spec));
  }

  @Override
  public ResourceKey key() {
    return ResourceKey.network(metadata.name());
  }
}
