package io.svcreg.core;

import io.svcreg.schema.SpecSet;

/**
 * {@link Planner#plan}, made cheap for the common re-plan of a converged controller: it keeps the
 * working state of its last quiet plan (nothing to do), and when it is asked again against the same
 * observed state with desired services that differ from that plan's in only a few services (by
 * identity, as {@link io.svcreg.schema.SpecCatalog} keeps unchanged ones), it decides only those.
 * Whenever that shortcut cannot be sure to give what the full planner gives, it runs the full
 * planner. Every result equals {@code Planner.plan(desired, observed)}. Pure apart from that cache:
 * no I/O, clock or threads. Thread-safe.
 */
public final class IncrementalPlanner {

  /** Beyond this many changed services a full plan is as cheap. */
  static final int MAX_CHANGED = 1024;

  private PlanRun.Base base;

  /** How many plans took the shortcut (for tests). */
  int shortcuts;

  /** The plan that takes {@code observed} to {@code desired}; see {@link Planner}. */
  public synchronized Plan plan(SpecSet desired, ObservedState observed) {
    if (base != null && base.observed() == observed) {
      Plan plan = PlanRun.replan(base, desired, MAX_CHANGED);
      if (plan != null) {
        shortcuts++;
        return plan;
      }
    }
    PlanRun run = new PlanRun(desired, observed);
    Plan plan = run.run();
    base = run.base(plan);
    return plan;
  }
}
