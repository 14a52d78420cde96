package io.svcreg.store;

import java.util.ArrayList;
import java.util.HashMap;

/**
 * The root of the persisted object graph. Each entity is its own small {@link Utf8Holder} (or, in
 * stores written before, {@link Holder}) in a bucket of an index, so a change stores the holder,
 * and an added or removed key stores one bucket; the journal is a list of fixed-size segments, so
 * an append stores one segment.
 */
final class StoreRoot {

  /** The format this code writes and reads; a store with another one is refused. */
  static final int FORMAT_VERSION = 1;

  /**
   * Buckets per index of a new store: an added key rewrites one bucket (about n/1024 entries), and
   * EclipseStore looks up every entry of it. A store made with another count keeps it: the bucket
   * of a key is its hash modulo the index's size.
   */
  static final int BUCKETS = 1024;

  int formatVersion;
  ArrayList<HashMap<String, Object>> services;
  ArrayList<HashMap<String, Object>> networks;
  ArrayList<HashMap<String, Object>> leases;
  ArrayList<HashMap<String, Object>> inventory;

  /** Published registry entries by module; null in stores written before the registry. */
  ArrayList<HashMap<String, Object>> registry;

  /** Operators' intents by service; null in stores written before typed intents. */
  ArrayList<HashMap<String, Object>> intents;

  /** The loop's ledgers by service; null in stores written before typed ledgers. */
  ArrayList<HashMap<String, Object>> ledgers;

  HashMap<String, String> meta;
  ArrayList<ArrayList<StoredEvent>> journal;

  /**
   * The highest revision dropped from the journal (0 if none): with replicated revisions the
   * journal has gaps, so its oldest event does not tell. Null in stores written before it.
   */
  Long droppedThrough;

  /** The revision of the last replicated commit (0 if none), which may have journaled no event. */
  long replicatedRevision;

  /** An empty root of the current format. */
  static StoreRoot create() {
    StoreRoot r = new StoreRoot();
    r.formatVersion = FORMAT_VERSION;
    r.services = buckets();
    r.networks = buckets();
    r.leases = buckets();
    r.inventory = buckets();
    r.registry = buckets();
    r.intents = buckets();
    r.ledgers = buckets();
    r.meta = new HashMap<>();
    r.journal = new ArrayList<>();
    r.droppedThrough = 0L;
    return r;
  }

  private static ArrayList<HashMap<String, Object>> buckets() {
    ArrayList<HashMap<String, Object>> list = new ArrayList<>(BUCKETS);
    for (int i = 0; i < BUCKETS; i++) {
      list.add(new HashMap<>());
    }
    return list;
  }

  /** The bucket of an index that holds this key. */
  static HashMap<String, Object> bucket(ArrayList<HashMap<String, Object>> index, String key) {
    return index.get(Math.floorMod(key.hashCode(), index.size()));
  }

  /** Adds what a root written before lacks (indexes, the dropped revision); whether it had to. */
  boolean upgrade() {
    boolean added = false;
    if (droppedThrough == null) {
      // written before replication: its revisions have no gaps, so the one before its oldest event
      // is the last one dropped
      droppedThrough = journal.isEmpty() ? 0L : journal.getFirst().getFirst().revision - 1;
      added = true;
    }
    if (registry == null) {
      registry = buckets();
      added = true;
    }
    if (intents == null) {
      intents = buckets();
      added = true;
    }
    if (ledgers == null) {
      ledgers = buckets();
      added = true;
    }
    return added;
  }

  /** What is wrong with this root's structure, or null if nothing. */
  String structureProblem() {
    if (services == null || networks == null || leases == null || inventory == null) {
      return "an index is missing";
    }
    if (services.isEmpty() || networks.isEmpty() || leases.isEmpty() || inventory.isEmpty()) {
      return "an index has no buckets";
    }
    if (meta == null || journal == null) {
      return "the meta data or the journal is missing";
    }
    return null;
  }
}
