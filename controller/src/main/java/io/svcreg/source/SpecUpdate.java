package io.svcreg.source;

import io.svcreg.schema.Problem;
import io.svcreg.schema.Resource;
import io.svcreg.schema.ResourceKey;
import io.svcreg.schema.SpecSet;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One reading of the spec directory that differs from the previous one: the {@link SpecSet} as read
 * (what the planner takes: it keeps held keys at their observed spec), the Git commit of the
 * directory when it is a Git work tree, what changed per key, the problems that were not there
 * before, and the last good version of every resource still declared or held.
 *
 * @param specs the desired state as read
 * @param sourceRevision the commit checked out in the spec directory's Git work tree, if any
 * @param changes per key whose state changed: added, changed, removed, held or released
 * @param newProblems problems that were not reported by the previous reading
 * @param lastGood per key, the newest valid version seen (kept while the key is held)
 * @param kept keys missing from {@code specs} while it is incomplete: they keep their last good
 *     version and are never pruned
 */
public record SpecUpdate(
    SpecSet specs,
    Optional<String> sourceRevision,
    Map<ResourceKey, KeyChange> changes,
    List<Problem> newProblems,
    Map<ResourceKey, Resource> lastGood,
    Set<ResourceKey> kept) {

  public SpecUpdate {
    changes = Collections.unmodifiableMap(new TreeMap<>(changes));
    newProblems = List.copyOf(newProblems);
    lastGood = Collections.unmodifiableMap(new TreeMap<>(lastGood));
    kept = Collections.unmodifiableSet(new TreeSet<>(kept));
  }

  /** The keys whose state changed (added, changed, removed, held or released). */
  public Set<ResourceKey> changed() {
    return changes.keySet();
  }

  /**
   * The effective desired state: the valid resources plus the last good version of every held or
   * kept key that has one (those keys leave {@code held}); same problems, files and completeness.
   */
  public SpecSet effective() {
    List<Resource> resources = new ArrayList<>(specs.resources());
    Set<ResourceKey> held = new TreeSet<>();
    for (ResourceKey k : specs.held()) {
      Resource good = lastGood.get(k);
      if (good == null) {
        held.add(k);
      } else {
        resources.add(good);
      }
    }
    for (ResourceKey k : kept) {
      Resource good = lastGood.get(k);
      if (good != null) {
        resources.add(good);
      }
    }
    return new SpecSet(resources, held, specs.complete(), specs.problems(), specs.files());
  }
}
