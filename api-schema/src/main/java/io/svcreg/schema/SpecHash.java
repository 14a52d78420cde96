package io.svcreg.schema;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The normalized hash of a spec: SHA-256 (first 16 hex digits) of its canonical JSON. Specs are
 * records with defaults applied and collections sorted where order carries no meaning, so field
 * order, spelled-out defaults and comments in the YAML never change the hash.
 */
public final class SpecHash {

  private SpecHash() {}

  /** The hash of a {@link ServiceSpec} or {@link NetworkSpec}. */
  public static String of(Record spec) {
    try {
      byte[] canonical = Json.mapper().writeValueAsBytes(spec);
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(canonical);
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (JsonProcessingException | NoSuchAlgorithmException e) {
      throw new SchemaException("cannot hash spec " + spec, e);
    }
  }
}
