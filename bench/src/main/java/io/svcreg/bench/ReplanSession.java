package io.svcreg.bench;

import io.svcreg.core.IncrementalPlanner;
import io.svcreg.core.ObservedState;
import io.svcreg.core.ObservedStates;
import io.svcreg.core.Plan;
import io.svcreg.core.Planner;
import io.svcreg.schema.SpecCatalog;
import io.svcreg.schema.SpecSet;
import java.nio.file.Path;
import java.util.List;

/**
 * A controller that has converged on a spec directory: its incremental catalog of the files, and
 * the observed state a perfect executor reached by applying the first plan, and its planner (which
 * keeps the working state of its last quiet plan, as a running controller would).
 */
final class ReplanSession {

  private final SpecCatalog catalog;
  private final ObservedState converged;
  private final IncrementalPlanner planner;

  private ReplanSession(SpecCatalog catalog, ObservedState converged, IncrementalPlanner planner) {
    this.catalog = catalog;
    this.converged = converged;
    this.planner = planner;
  }

  /** Reads the directory, plans it from nothing and converges on the plan. */
  static ReplanSession open(BenchSpecs specs) {
    SpecCatalog catalog = new SpecCatalog(List.of(specs.root()));
    SpecSet desired = catalog.rescan();
    ObservedState converged =
        ObservedStates.converged(desired, Planner.plan(desired, ObservedState.EMPTY));
    IncrementalPlanner planner = new IncrementalPlanner();
    Plan again = planner.plan(desired, converged);
    if (again.hasChanges() || !again.problems().isEmpty()) {
      throw new IllegalStateException(
          "re-plan after convergence is not empty: " + again.changes().size() + " changes");
    }
    return new ReplanSession(catalog, converged, planner);
  }

  /** A re-plan and how long its two parts took. */
  record Timed(Plan plan, long reloadNanos, long planNanos) {}

  /** Re-reads one changed file through the catalog and plans against the converged state. */
  Timed replan(Path changed) {
    long t0 = System.nanoTime();
    SpecSet desired = catalog.update(changed);
    long t1 = System.nanoTime();
    Plan plan = planner.plan(desired, converged);
    long t2 = System.nanoTime();
    return new Timed(plan, t1 - t0, t2 - t1);
  }
}
