package io.svcreg.core;

import com.fasterxml.jackson.annotation.JsonIgnore;
import io.svcreg.schema.Problem;
import java.util.List;
import java.util.Optional;

/**
 * The result of planning: what changes ({@code changes}), how many resources stay as they are, the
 * actions in dependency-ordered waves, and every problem found. A plan with problems may still
 * carry the actions of resources that have none. {@code sourceRevision} is the Git commit checked
 * out in the spec directory that was planned, when it is a Git work tree: planning does not read
 * it, whoever read the specs adds it ({@link #withSourceRevision}).
 */
public record Plan(
    List<ResourceChange> changes,
    int unchanged,
    List<Wave> waves,
    List<Problem> problems,
    Optional<String> sourceRevision) {

  public Plan {
    changes = List.copyOf(changes);
    waves = List.copyOf(waves);
    problems = List.copyOf(problems);
  }

  /** A plan of specs that are not known to come from a Git commit. */
  public Plan(
      List<ResourceChange> changes, int unchanged, List<Wave> waves, List<Problem> problems) {
    this(changes, unchanged, waves, problems, Optional.empty());
  }

  /** This plan, of the specs of Git commit {@code revision} (empty: not from a Git work tree). */
  public Plan withSourceRevision(Optional<String> revision) {
    return new Plan(changes, unchanged, waves, problems, revision);
  }

  /** Whether applying the plan would change anything. */
  @JsonIgnore
  public boolean hasChanges() {
    return !changes.isEmpty() || !waves.isEmpty();
  }

  /** All actions, wave by wave. */
  @JsonIgnore
  public List<Action> actions() {
    return waves.stream().flatMap(w -> w.actions().stream()).toList();
  }
}
