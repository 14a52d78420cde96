package io.svcreg.core;

import io.svcreg.schema.Ipv4;
import io.svcreg.schema.ResourceKey;
import java.util.List;
import java.util.Optional;

/**
 * A resource that a plan creates, updates or deletes: its generation after the change, the fields
 * that change, and (for services) the address it will hold.
 */
public record ResourceChange(
    ResourceKey key,
    ChangeType change,
    long generation,
    List<FieldChange> fields,
    Optional<Ipv4> address) {

  public ResourceChange {
    fields = List.copyOf(fields);
  }
}
