package io.svcreg.cli;

import io.svcreg.core.ChangeType;
import io.svcreg.core.Plan;
import io.svcreg.core.ResourceChange;

/** The counts of a plan, and its one-line summary. */
record PlanSummary(int create, int update, int delete, int unchanged, int actions, int problems) {

  /** Counts the changes, actions and problems of a plan. */
  static PlanSummary of(Plan plan) {
    int create = 0;
    int update = 0;
    int delete = 0;
    for (ResourceChange c : plan.changes()) {
      switch (c.change()) {
        case CREATE -> create++;
        case UPDATE -> update++;
        case DELETE -> delete++;
      }
    }
    return new PlanSummary(
        create, update, delete, plan.unchanged(), plan.actions().size(), plan.problems().size());
  }

  /** The number of changes of one type. */
  int count(ChangeType type) {
    return switch (type) {
      case CREATE -> create;
      case UPDATE -> update;
      case DELETE -> delete;
    };
  }

  /** Whether nothing changes and nothing runs. */
  boolean noChanges() {
    return create + update + delete + actions == 0;
  }

  /**
   * {@code Plan: 3 to create, 0 to update, 0 to delete, 0 unchanged.} or {@code No changes. Desired
   * state matches observed state.}
   */
  String line() {
    if (noChanges()) {
      return problems == 0
          ? "No changes. Desired state matches observed state."
          : "No changes to the resources without problems.";
    }
    return "Plan: %d to create, %d to update, %d to delete, %d unchanged."
        .formatted(create, update, delete, unchanged);
  }

  /** The line about problems, or empty when there are none. */
  String problemsLine() {
    if (problems == 0) {
      return "";
    }
    return plural(problems, "problem")
        + ": the resources concerned are left out of the plan and keep their last good spec.";
  }

  /** {@code 1 file}, {@code 2 files}. */
  static String plural(int n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }
}
