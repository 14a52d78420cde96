package io.svcreg.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.svcreg.core.Lease;
import io.svcreg.core.ObservedNetwork;
import io.svcreg.core.ObservedService;
import io.svcreg.core.rollout.Intent;
import io.svcreg.core.rollout.Ledger;
import io.svcreg.schema.Json;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The changes of one atomic {@link Store#commit}: entities to put or remove and events to journal,
 * applied in the order they were added. Not thread-safe; build it in one thread, then commit it.
 */
public final class Transaction {

  /** One change of a transaction. */
  sealed interface Op {}

  record PutService(ObservedService service) implements Op {}

  record RemoveService(String name) implements Op {}

  record PutNetwork(ObservedNetwork network) implements Op {}

  record RemoveNetwork(String name) implements Op {}

  record AddLease(Lease lease) implements Op {}

  record RemoveLease(Lease lease) implements Op {}

  record PutInventory(InventoryEntry entry) implements Op {}

  record RemoveInventory(InventoryEntry entry) implements Op {}

  record PutMeta(String key, String value) implements Op {}

  record PutRegistryEntry(RegistryEntry entry) implements Op {}

  record RemoveRegistryEntry(String module) implements Op {}

  record RemoveMeta(String key) implements Op {}

  record PutIntent(Intent intent) implements Op {}

  record RemoveIntent(String service) implements Op {}

  record PutLedger(Ledger ledger) implements Op {}

  record RemoveLedger(String service) implements Op {}

  /** An event to journal; its revision and time are assigned by the commit. */
  record NewEvent(String type, String key, String dataJson) {}

  private final List<Op> ops = new ArrayList<>();
  private final List<NewEvent> events = new ArrayList<>();

  /**
   * When its leader committed it (a replicated transaction), or null: the store's clock decides.
   */
  private Instant time;

  /** An empty transaction. */
  public Transaction() {}

  /**
   * One transaction with the ops and events of {@code batch}, in order, at the time of its first:
   * how a follower applies a batch its leader replicated as one commit ({@link Replicator}).
   */
  public static Transaction merge(List<Transaction> batch) {
    Transaction merged = new Transaction();
    for (Transaction tx : batch) {
      merged.ops.addAll(tx.ops);
      merged.events.addAll(tx.events);
    }
    merged.time = batch.isEmpty() ? null : batch.getFirst().time;
    return merged;
  }

  /** Records (or replaces) the observed service of this name. */
  public Transaction putService(ObservedService service) {
    Objects.requireNonNull(service.metadata().name(), "service name");
    ops.add(new PutService(service));
    return this;
  }

  /** Forgets the service of this name (nothing if unknown). */
  public Transaction removeService(String name) {
    ops.add(new RemoveService(Objects.requireNonNull(name, "name")));
    return this;
  }

  /** Records (or replaces) the observed network of this name. */
  public Transaction putNetwork(ObservedNetwork network) {
    Objects.requireNonNull(network.metadata().name(), "network name");
    ops.add(new PutNetwork(network));
    return this;
  }

  /** Forgets the network of this name (nothing if unknown). */
  public Transaction removeNetwork(String name) {
    ops.add(new RemoveNetwork(Objects.requireNonNull(name, "name")));
    return this;
  }

  /**
   * Leases an address to a service; refused by the commit if another service holds it in that
   * network, nothing if this service already does.
   */
  public Transaction addLease(Lease lease) {
    Objects.requireNonNull(lease.network(), "lease network");
    Objects.requireNonNull(lease.address(), "lease address");
    Objects.requireNonNull(lease.service(), "lease service");
    ops.add(new AddLease(lease));
    return this;
  }

  /** Releases a lease; refused if another service holds the address, nothing if none does. */
  public Transaction removeLease(Lease lease) {
    Objects.requireNonNull(lease.network(), "lease network");
    Objects.requireNonNull(lease.address(), "lease address");
    Objects.requireNonNull(lease.service(), "lease service");
    ops.add(new RemoveLease(lease));
    return this;
  }

  /**
   * Records an installation (or refreshes the one at the same node and path); refused by the commit
   * if that node and path are recorded for another service or version.
   */
  public Transaction putInventory(InventoryEntry entry) {
    ops.add(new PutInventory(Objects.requireNonNull(entry, "entry")));
    return this;
  }

  /**
   * Forgets the installation at the entry's node and path (nothing if none); refused if it is
   * recorded for another service or version.
   */
  public Transaction removeInventory(InventoryEntry entry) {
    ops.add(new RemoveInventory(Objects.requireNonNull(entry, "entry")));
    return this;
  }

  /** Records (or replaces) the published registry entry of its module. */
  public Transaction putRegistryEntry(RegistryEntry entry) {
    ops.add(new PutRegistryEntry(Objects.requireNonNull(entry, "entry")));
    return this;
  }

  /** Forgets the published registry entry of this module (nothing if none). */
  public Transaction removeRegistryEntry(String module) {
    ops.add(new RemoveRegistryEntry(Objects.requireNonNull(module, "module")));
    return this;
  }

  /** Records (or replaces) the operator's intent for its service. */
  public Transaction putIntent(Intent intent) {
    ops.add(new PutIntent(Objects.requireNonNull(intent, "intent")));
    return this;
  }

  /** Forgets the operator's intent for a service (nothing if none). */
  public Transaction removeIntent(String service) {
    ops.add(new RemoveIntent(Objects.requireNonNull(service, "service")));
    return this;
  }

  /** Records (or replaces) the loop's ledger of its service. */
  public Transaction putLedger(Ledger ledger) {
    ops.add(new PutLedger(Objects.requireNonNull(ledger, "ledger")));
    return this;
  }

  /** Forgets the loop's ledger of a service (nothing if none). */
  public Transaction removeLedger(String service) {
    ops.add(new RemoveLedger(Objects.requireNonNull(service, "service")));
    return this;
  }

  /** Sets a small key/value (e.g. the spec directory's source revision). */
  public Transaction putMeta(String key, String value) {
    ops.add(
        new PutMeta(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value")));
    return this;
  }

  /** Removes a key/value (nothing if absent). */
  public Transaction removeMeta(String key) {
    ops.add(new RemoveMeta(Objects.requireNonNull(key, "key")));
    return this;
  }

  /**
   * Journals an event of a type of {@link Event#TYPES}, about a resource key ({@code Service/web},
   * or empty), with a JSON object as data.
   */
  public Transaction event(String type, String key, JsonNode data) {
    Objects.requireNonNull(key, "key");
    checkType(type);
    if (data == null || !data.isObject()) {
      throw new IllegalArgumentException("event data must be a JSON object: " + data);
    }
    try {
      events.add(new NewEvent(type, key, Json.mapper().writeValueAsString(data)));
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot write event data as JSON: " + e.getMessage(), e);
    }
    return this;
  }

  /** Journals an event whose data is this map (values as Jackson writes them). */
  public Transaction event(String type, String key, Map<String, ?> data) {
    JsonNode tree = Json.mapper().valueToTree(Objects.requireNonNull(data, "data"));
    return event(type, key, tree);
  }

  /** Journals an event as another transaction has it, its data kept as written. */
  Transaction event(NewEvent e) {
    Objects.requireNonNull(e.key(), "key");
    Objects.requireNonNull(e.dataJson(), "dataJson");
    checkType(e.type());
    events.add(e);
    return this;
  }

  private static void checkType(String type) {
    Objects.requireNonNull(type, "type");
    if (!Event.TYPES.contains(type)) {
      throw new IllegalArgumentException("unknown event type: " + type);
    }
  }

  /** Whether this transaction changes nothing and journals nothing. */
  public boolean isEmpty() {
    return ops.isEmpty() && events.isEmpty();
  }

  /** A copy of this transaction committed at {@code time} (its events are journaled at it). */
  Transaction at(Instant time) {
    Transaction t = merge(List.of(this));
    t.time = Objects.requireNonNull(time, "time");
    return t;
  }

  /** When its leader committed it, if it is a replicated transaction. */
  Optional<Instant> time() {
    return Optional.ofNullable(time);
  }

  List<Op> ops() {
    return ops;
  }

  List<NewEvent> events() {
    return events;
  }
}
