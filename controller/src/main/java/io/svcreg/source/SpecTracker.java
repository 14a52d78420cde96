package io.svcreg.source;

import io.svcreg.schema.Problem;
import io.svcreg.schema.Resource;
import io.svcreg.schema.ResourceKey;
import io.svcreg.schema.SpecSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Compares each reading of the spec directory with the previous one and keeps the last good version
 * of every resource. Pure: no I/O, no clock, no threads; not thread-safe.
 *
 * <p>Only content counts: a resource changes when its spec hash or metadata does (not when it moves
 * to another line or file). A key that disappears is removed only when the reading is complete;
 * otherwise it is kept, as held, with its last good version.
 */
final class SpecTracker {

  private Map<ResourceKey, Resource> valid = Map.of();
  private Set<ResourceKey> held = Set.of();
  private Set<ResourceKey> kept = Set.of();
  private final Map<ResourceKey, Resource> lastGood = new HashMap<>();
  private Set<Problem> problems = Set.of();
  private boolean complete = true;
  private Optional<String> revision = Optional.empty();
  private boolean first = true;

  /**
   * The update for a new reading, or empty when nothing changed: no key changed state, the same
   * problems, the same completeness and the same revision. The first reading is always an update.
   */
  Optional<SpecUpdate> next(SpecSet specs, Optional<String> rev) {
    Map<ResourceKey, Resource> nowValid = new HashMap<>();
    for (Resource r : specs.resources()) {
      nowValid.put(r.key(), r);
    }
    Set<ResourceKey> nowHeld = new HashSet<>(specs.held());
    Set<ResourceKey> nowKept = new HashSet<>();
    if (!specs.complete()) {
      for (ResourceKey k : known()) {
        if (!nowValid.containsKey(k) && !nowHeld.contains(k)) {
          nowKept.add(k);
        }
      }
    }
    Set<ResourceKey> keys = new TreeSet<>(known());
    keys.addAll(nowValid.keySet());
    keys.addAll(nowHeld);
    Map<ResourceKey, KeyChange> changes = new TreeMap<>();
    for (ResourceKey k : keys) {
      KeyChange c = change(k, nowValid.get(k), nowHeld.contains(k) || nowKept.contains(k));
      if (c != null) {
        changes.put(k, c);
      }
    }
    for (Map.Entry<ResourceKey, KeyChange> e : changes.entrySet()) {
      if (e.getValue() == KeyChange.REMOVED) {
        lastGood.remove(e.getKey());
      }
    }
    lastGood.putAll(nowValid);
    Set<Problem> nowProblems = new HashSet<>(specs.problems());
    List<Problem> fresh = new ArrayList<>();
    for (Problem p : specs.problems()) {
      if (!problems.contains(p)) {
        fresh.add(p);
      }
    }
    boolean differs =
        first
            || !changes.isEmpty()
            || !nowProblems.equals(problems)
            || complete != specs.complete()
            || !revision.equals(rev);
    valid = nowValid;
    held = nowHeld;
    kept = nowKept;
    problems = nowProblems;
    complete = specs.complete();
    revision = rev;
    first = false;
    if (!differs) {
      return Optional.empty();
    }
    return Optional.of(new SpecUpdate(specs, rev, changes, fresh, lastGood, nowKept));
  }

  /** The last good version of every key still declared or held. */
  Map<ResourceKey, Resource> lastGood() {
    return Map.copyOf(lastGood);
  }

  private Set<ResourceKey> known() {
    Set<ResourceKey> out = new HashSet<>(valid.keySet());
    out.addAll(held);
    out.addAll(kept);
    return out;
  }

  /** What happened to {@code k}; null when nothing did. */
  private KeyChange change(ResourceKey k, Resource now, boolean nowHeld) {
    Resource before = valid.get(k);
    boolean wasHeld = held.contains(k) || kept.contains(k);
    if (now != null) {
      if (before != null) {
        return same(before, now) ? null : KeyChange.CHANGED;
      }
      Resource good = lastGood.get(k);
      if (good == null) {
        return KeyChange.ADDED;
      }
      return wasHeld && same(good, now) ? KeyChange.RELEASED : KeyChange.CHANGED;
    }
    if (nowHeld) {
      return wasHeld ? null : KeyChange.HELD;
    }
    return before != null || wasHeld ? KeyChange.REMOVED : null;
  }

  /** Whether two versions of a resource have the same content (origin does not count). */
  static boolean same(Resource a, Resource b) {
    return a.specHash().equals(b.specHash()) && a.metadata().equals(b.metadata());
  }
}
