package io.svcreg.store;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.svcreg.core.JsonErrors;
import io.svcreg.core.Lease;
import io.svcreg.core.ObservedNetwork;
import io.svcreg.core.ObservedService;
import io.svcreg.core.ObservedState;
import io.svcreg.core.SvcregException;
import io.svcreg.core.rollout.Intent;
import io.svcreg.core.rollout.Ledger;
import io.svcreg.schema.Json;
import java.io.IOException;
import java.net.URLEncoder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A store's state as the keys and values of a replicated key space, relative to where it is kept:
 * {@code services/NAME}, {@code networks/NAME}, {@code leases/NETWORK/ADDRESS}, {@code
 * inventory/SERVICE/NODE/VERSION/PATH} (the path URL-encoded), {@code intents/SERVICE}, {@code
 * ledgers/SERVICE}, {@code registry/MODULE} and {@code meta/KEY}, each entity as its JSON and a
 * meta value as its text. It says what a transaction writes there, and which transaction turns a
 * store into what the key space holds.
 */
public final class ReplicatedState {

  private static final String SERVICES = "services/";
  private static final String NETWORKS = "networks/";
  private static final String LEASES = "leases/";
  private static final String INVENTORY = "inventory/";
  private static final String INTENTS = "intents/";
  private static final String LEDGERS = "ledgers/";
  private static final String REGISTRY = "registry/";
  private static final String META = "meta/";

  private ReplicatedState() {}

  /** A lease a transaction adds ({@code add}) or releases. */
  public record LeaseChange(Lease lease, boolean add) {}

  /** The key {@code lease}'s address is kept under. */
  public static String leaseKey(Lease lease) {
    return LEASES + lease.network() + "/" + lease.address();
  }

  /** The value of a lease's key while {@code lease} holds it. */
  public static byte[] value(Lease lease) {
    return json(lease, leaseKey(lease));
  }

  /** The lease a lease key's value names; refused with a {@link SvcregException} if unreadable. */
  public static Lease lease(String key, byte[] value) {
    return read(key, value, Lease.class);
  }

  /** The prefix of the keys registry entries are kept under ({@code registry/MODULE}). */
  public static final String REGISTRY_PREFIX = REGISTRY;

  /**
   * The registry entry a {@link #REGISTRY_PREFIX} key's value holds; refused with a {@link
   * SvcregException} if unreadable.
   */
  public static RegistryEntry registryEntry(String key, byte[] value) {
    return read(key, value, RegistryEntry.class);
  }

  /**
   * What {@code tx} writes: for each key it touches, in the order first touched, its last value, or
   * empty where it removes the key.
   */
  public static Map<String, Optional<byte[]>> writes(Transaction tx) {
    Map<String, Optional<byte[]>> out = new LinkedHashMap<>();
    for (Transaction.Op op : tx.ops()) {
      switch (op) {
        case Transaction.PutService p ->
            put(out, SERVICES + p.service().metadata().name(), p.service());
        case Transaction.RemoveService r -> out.put(SERVICES + r.name(), Optional.empty());
        case Transaction.PutNetwork p ->
            put(out, NETWORKS + p.network().metadata().name(), p.network());
        case Transaction.RemoveNetwork r -> out.put(NETWORKS + r.name(), Optional.empty());
        case Transaction.AddLease a -> out.put(leaseKey(a.lease()), Optional.of(value(a.lease())));
        case Transaction.RemoveLease r -> out.put(leaseKey(r.lease()), Optional.empty());
        case Transaction.PutInventory p -> put(out, inventoryKey(p.entry()), p.entry());
        case Transaction.RemoveInventory r -> out.put(inventoryKey(r.entry()), Optional.empty());
        case Transaction.PutRegistryEntry p -> put(out, REGISTRY + p.entry().module(), p.entry());
        case Transaction.RemoveRegistryEntry r -> out.put(REGISTRY + r.module(), Optional.empty());
        case Transaction.PutIntent p -> put(out, INTENTS + p.intent().service(), p.intent());
        case Transaction.RemoveIntent r -> out.put(INTENTS + r.service(), Optional.empty());
        case Transaction.PutLedger p -> put(out, LEDGERS + p.ledger().service(), p.ledger());
        case Transaction.RemoveLedger r -> out.put(LEDGERS + r.service(), Optional.empty());
        case Transaction.PutMeta p ->
            out.put(META + p.key(), Optional.of(p.value().getBytes(UTF_8)));
        case Transaction.RemoveMeta r -> out.put(META + r.key(), Optional.empty());
      }
    }
    return out;
  }

  /** The leases {@code tx} adds and releases, in the order of its ops. */
  public static List<LeaseChange> leaseChanges(Transaction tx) {
    List<LeaseChange> out = new ArrayList<>();
    for (Transaction.Op op : tx.ops()) {
      if (op instanceof Transaction.AddLease a) {
        out.add(new LeaseChange(a.lease(), true));
      } else if (op instanceof Transaction.RemoveLease r) {
        out.add(new LeaseChange(r.lease(), false));
      }
    }
    return out;
  }

  /**
   * The transaction that makes {@code store} hold exactly {@code state} (keys as {@link #writes}
   * names them), its controller identity apart: for each kind, what the store has differently or
   * not at all is removed first, then the rest is put. A key or value that cannot be read is
   * refused with a {@link SvcregException}.
   */
  public static Transaction replacing(Store store, Map<String, byte[]> state) {
    Map<String, ObservedService> services = new LinkedHashMap<>();
    Map<String, ObservedNetwork> networks = new LinkedHashMap<>();
    Map<String, Lease> leases = new LinkedHashMap<>();
    Map<String, InventoryEntry> inventory = new LinkedHashMap<>();
    Map<String, RegistryEntry> registry = new LinkedHashMap<>();
    Map<String, Intent> intents = new LinkedHashMap<>();
    Map<String, Ledger> ledgers = new LinkedHashMap<>();
    Map<String, String> meta = new LinkedHashMap<>();
    for (Map.Entry<String, byte[]> e : state.entrySet()) {
      String key = e.getKey();
      byte[] v = e.getValue();
      if (key.startsWith(SERVICES)) {
        ObservedService s = read(key, v, ObservedService.class);
        services.put(s.metadata().name(), s);
      } else if (key.startsWith(NETWORKS)) {
        ObservedNetwork n = read(key, v, ObservedNetwork.class);
        networks.put(n.metadata().name(), n);
      } else if (key.startsWith(LEASES)) {
        Lease l = read(key, v, Lease.class);
        leases.put(leaseKey(l), l);
      } else if (key.startsWith(INVENTORY)) {
        InventoryEntry i = read(key, v, InventoryEntry.class);
        inventory.put(installKey(i), i);
      } else if (key.startsWith(REGISTRY)) {
        RegistryEntry r = read(key, v, RegistryEntry.class);
        registry.put(r.module(), r);
      } else if (key.startsWith(INTENTS)) {
        Intent i = read(key, v, Intent.class);
        intents.put(i.service(), i);
      } else if (key.startsWith(LEDGERS)) {
        Ledger l = read(key, v, Ledger.class);
        ledgers.put(l.service(), l);
      } else if (key.startsWith(META)) {
        meta.put(key.substring(META.length()), new String(v, UTF_8));
      } else {
        throw new SvcregException("replicated state: unknown key " + key);
      }
    }
    ObservedState observed = store.observed();
    Transaction tx = new Transaction();
    replace(
        index(observed.services(), s -> s.metadata().name()),
        services,
        s -> tx.removeService(s.metadata().name()),
        tx::putService);
    replace(
        index(observed.networks(), n -> n.metadata().name()),
        networks,
        n -> tx.removeNetwork(n.metadata().name()),
        tx::putNetwork);
    replace(
        index(observed.leases(), ReplicatedState::leaseKey), leases, tx::removeLease, tx::addLease);
    replace(
        index(store.inventory(), ReplicatedState::installKey),
        inventory,
        tx::removeInventory,
        tx::putInventory);
    replace(
        index(store.registryEntries(), RegistryEntry::module),
        registry,
        r -> tx.removeRegistryEntry(r.module()),
        tx::putRegistryEntry);
    replace(store.intents(), intents, i -> tx.removeIntent(i.service()), tx::putIntent);
    replace(store.ledgers(), ledgers, l -> tx.removeLedger(l.service()), tx::putLedger);
    Map<String, String> localMeta = new LinkedHashMap<>(store.meta());
    // each member keeps its own identity (it is not replicated: a store takes it when created)
    localMeta.remove(Store.CONTROLLER_ID_META);
    meta.remove(Store.CONTROLLER_ID_META);
    localMeta.forEach(
        (k, v) -> {
          if (!v.equals(meta.get(k))) {
            tx.removeMeta(k);
          }
        });
    meta.forEach(
        (k, v) -> {
          if (!v.equals(localMeta.get(k))) {
            tx.putMeta(k, v);
          }
        });
    return tx;
  }

  /** Removes what {@code local} has differently from {@code target} or not at all, then puts. */
  private static <T> void replace(
      Map<String, T> local, Map<String, T> target, Consumer<T> remove, Consumer<T> put) {
    local.forEach(
        (k, v) -> {
          if (!v.equals(target.get(k))) {
            remove.accept(v);
          }
        });
    target.forEach(
        (k, v) -> {
          if (!v.equals(local.get(k))) {
            put.accept(v);
          }
        });
  }

  private static <T> Map<String, T> index(List<T> values, Function<T, String> key) {
    Map<String, T> out = new LinkedHashMap<>();
    values.forEach(v -> out.put(key.apply(v), v));
    return out;
  }

  /** The key of an installation: its service, node, version and URL-encoded path. */
  private static String inventoryKey(InventoryEntry e) {
    return INVENTORY
        + e.service()
        + "/"
        + e.node()
        + "/"
        + e.version()
        + "/"
        + URLEncoder.encode(e.path(), UTF_8);
  }

  /** What identifies an installation in the store: its node and path. */
  private static String installKey(InventoryEntry e) {
    return e.node() + "\n" + e.path();
  }

  private static void put(Map<String, Optional<byte[]>> out, String key, Object entity) {
    out.put(key, Optional.of(json(entity, key)));
  }

  private static byte[] json(Object entity, String key) {
    try {
      return Json.mapper().writeValueAsBytes(entity);
    } catch (JsonProcessingException e) {
      throw new SvcregException("cannot write " + key + " as JSON: " + e.getOriginalMessage(), e);
    }
  }

  private static <T> T read(String key, byte[] value, Class<T> type) {
    try {
      return Json.mapper().readValue(value, type);
    } catch (JsonProcessingException e) {
      throw new SvcregException(
          "replicated state: " + key + " cannot be read: " + JsonErrors.describe(e), e);
    } catch (IOException e) {
      throw new SvcregException("replicated state: " + key + " cannot be read: " + e, e);
    }
  }
}
