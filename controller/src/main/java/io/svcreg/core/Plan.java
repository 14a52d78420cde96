package io.svcreg.core;

import com.fasterxml.jackson.annotation.JsonIgnore;
import io.svcreg.schema.Problem;
import java.util.List;

/**
 * The result of planning: what changes ({@code changes}), how many resources stay as they are, the
 * actions in dependency-ordered waves, and every problem found. A plan with problems may still
 * carry the actions of resources that have none.
 */
public record Plan(
    List<ResourceChange> changes, int unchanged, List<Wave> waves, List<Problem> problems) {

  public Plan {
    changes = List.copyOf(changes);
    waves = List.copyOf(waves);
    problems = List.copyOf(problems);
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
