package io.svcreg.schema;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The normalized hash of a spec: SHA-256 (first 16 hex digits) of its canonical JSON. Specs are
 * records with defaults applied and collections sorted where order carries no meaning, so field
 * order, spelled-out defaults and comments in the YAML never change the hash.
 */
public final class SpecHash {

  private static final MessageDigest SHA256 = sha256();

  private SpecHash() {}

  /** The hash of a {@link ServiceSpec} or {@link NetworkSpec}. */
  public static String of(Record spec) {
    try {
      byte[] canonical =
          spec instanceof ServiceSpec s && writable(s)
              ? canonical(s)
              : Json.mapper().writeValueAsBytes(spec);
      return digest(canonical);
    } catch (IOException e) {
      throw new SchemaException("cannot hash spec " + spec, e);
    }
  }

  /** The hash through the JSON mapper (what {@link #of} gives for every spec). */
  static String viaMapper(Record spec) {
    try {
      return digest(Json.mapper().writeValueAsBytes(spec));
    } catch (JsonProcessingException e) {
      throw new SchemaException("cannot hash spec " + spec, e);
    }
  }

  private static String digest(byte[] canonical) {
    MessageDigest sha;
    try {
      sha = (MessageDigest) SHA256.clone();
    } catch (CloneNotSupportedException e) {
      sha = sha256();
    }
    return HexFormat.of().formatHex(sha.digest(canonical), 0, 8);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new SchemaException("SHA-256 is not available", e);
    }
  }

  /** Whether {@link #canonical} writes this spec (no null inside lists or maps). */
  private static boolean writable(ServiceSpec s) {
    if (s.endpoints() == null || s.dependsOn() == null || s.env() == null) {
      return false;
    }
    for (Endpoint e : s.endpoints()) {
      if (e == null) {
        return false;
      }
    }
    for (String d : s.dependsOn()) {
      if (d == null) {
        return false;
      }
    }
    for (Map.Entry<String, String> e : s.env().entrySet()) {
      if (e.getKey() == null || e.getValue() == null) {
        return false;
      }
    }
    return true;
  }

  /**
   * The JSON the mapper writes for a service spec (components in order, absent values left out, map
   * keys sorted), written directly: the mapper's reflection costs more than the rest of a service's
   * parse.
   */
  private static byte[] canonical(ServiceSpec s) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(384);
    try (JsonGenerator g = Json.mapper().getFactory().createGenerator(out)) {
      g.writeStartObject();
      string(g, "version", s.version());
      string(g, "packageRef", s.packageRef());
      string(g, "network", s.network());
      string(g, "node", s.node());
      if (present(s.address())) {
        g.writeStringField("address", s.address().get().toString());
      }
      if (s.execution() != null) {
        g.writeStringField("execution", s.execution().wireName());
      }
      g.writeArrayFieldStart("endpoints");
      for (Endpoint e : s.endpoints()) {
        g.writeStartObject();
        string(g, "name", e.name());
        g.writeNumberField("port", e.port());
        if (e.protocol() != null) {
          g.writeStringField("protocol", e.protocol().wireName());
        }
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeArrayFieldStart("dependsOn");
      for (String d : s.dependsOn()) {
        g.writeString(d);
      }
      g.writeEndArray();
      g.writeObjectFieldStart("env");
      for (Map.Entry<String, String> e : new TreeMap<>(s.env()).entrySet()) {
        g.writeStringField(e.getKey(), e.getValue());
      }
      g.writeEndObject();
      if (present(s.health())) {
        HealthCheck h = s.health().get();
        g.writeObjectFieldStart("health");
        string(g, "script", h.script());
        duration(g, "interval", h.interval());
        duration(g, "timeout", h.timeout());
        g.writeNumberField("failureThreshold", h.failureThreshold());
        g.writeEndObject();
      }
      if (s.state() != null) {
        g.writeStringField("state", s.state().wireName());
      }
      if (s.rollout() != null) {
        g.writeObjectFieldStart("rollout");
        duration(g, "progressDeadline", s.rollout().progressDeadline());
        g.writeBooleanField("autoRollback", s.rollout().autoRollback());
        g.writeEndObject();
      }
      g.writeEndObject();
    }
    return out.toByteArray();
  }

  private static boolean present(Optional<?> o) {
    return o != null && o.isPresent();
  }

  private static void string(JsonGenerator g, String name, String value) throws IOException {
    if (value != null) {
      g.writeStringField(name, value);
    }
  }

  private static void duration(JsonGenerator g, String name, SpecDuration d) throws IOException {
    if (d != null) {
      g.writeStringField(name, d.toString());
    }
  }
}
