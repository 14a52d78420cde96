package io.svcreg.core.rollout;

import io.svcreg.core.Action;
import io.svcreg.core.ResourceChange;
import io.svcreg.schema.Problem;
import java.util.List;
import java.util.Optional;

/**
 * What the planner decided for one service: its actions in order, its change (generation and
 * changed fields) when it has one, and the planner's problems with it (a blocked service has
 * problems and no actions).
 */
public record Planned(
    List<Action> actions, Optional<ResourceChange> change, List<Problem> problems) {

  public Planned {
    actions = List.copyOf(actions);
    problems = List.copyOf(problems);
  }

  /** Nothing planned: before planning, or for a service the planner leaves alone. */
  public static final Planned NOTHING = new Planned(List.of(), Optional.empty(), List.of());
}
