package io.svcreg.core.rollout;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What to do about one service now: the writes to commit first, then the steps to carry out in
 * order (each result goes back to {@link Rollout#afterStep}), and, once no step is left, what the
 * reconcile says next ({@code next}; empty after {@link Rollout#observe}: decide next).
 *
 * @param writes what to commit before the first step (or at the end)
 * @param steps what to carry out next, in order
 * @param next the reconcile's outcome once no step is left
 * @param run how the steps end (for {@link Rollout#afterStep})
 */
public record Decision(Writes writes, List<Step> steps, Optional<Outcome> next, Run run) {

  public Decision {
    Objects.requireNonNull(writes, "writes");
    steps = List.copyOf(steps);
    Objects.requireNonNull(next, "next");
    Objects.requireNonNull(run, "run");
  }

  /** Whether steps are left to carry out. */
  public boolean hasSteps() {
    return !steps.isEmpty();
  }
}
