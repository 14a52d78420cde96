package io.svcreg.schema;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Objects;

/** Identity of a resource: its kind and name, written {@code Service/api-server}. */
public record ResourceKey(Kind kind, String name) implements Comparable<ResourceKey> {

  public ResourceKey {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(name, "name");
  }

  /** Key of the service with this name. */
  public static ResourceKey service(String name) {
    return new ResourceKey(Kind.SERVICE, name);
  }

  /** Key of the network with this name. */
  public static ResourceKey network(String name) {
    return new ResourceKey(Kind.NETWORK, name);
  }

  /** Parses {@code Kind/name}. */
  @JsonCreator
  public static ResourceKey parse(String text) {
    int slash = text.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException("expected Kind/name, got " + text);
    }
    Kind kind =
        Kind.parse(text.substring(0, slash))
            .orElseThrow(() -> new IllegalArgumentException("unknown kind in " + text));
    return new ResourceKey(kind, text.substring(slash + 1));
  }

  @Override
  public int compareTo(ResourceKey o) {
    int c = kind.compareTo(o.kind);
    return c != 0 ? c : name.compareTo(o.name);
  }

  @JsonValue
  @Override
  public String toString() {
    return kind.wireName() + "/" + name;
  }
}
