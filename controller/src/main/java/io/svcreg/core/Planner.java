package io.svcreg.core;

import io.svcreg.schema.SpecSet;

/**
 * Decides what to do: {@code (desired, observed) -> Plan}. Pure: no I/O, clock, logging or threads;
 * the same inputs give the same plan.
 */
public final class Planner {

  private Planner() {}

  /** The plan that takes {@code observed} to {@code desired}. */
  public static Plan plan(SpecSet desired, ObservedState observed) {
    return new PlanRun(desired, observed).run();
  }
}
