package io.svcreg.core;

import java.util.List;

/** Renders actions and waves as short strings, so that tests read like the plan they expect. */
final class Actions {

  private Actions() {}

  static String describe(Action a) {
    return switch (a) {
      case Action.AllocateAddress x ->
          "allocate " + x.service() + " " + x.network() + " " + x.address();
      case Action.ReleaseAddress x ->
          "release " + x.service() + " " + x.network() + " " + x.address();
      case Action.Deploy x -> "deploy " + x.service() + " " + x.version() + " on " + x.node();
      case Action.Start x -> "start " + x.service() + " on " + x.node();
      case Action.Stop x -> "stop " + x.service() + " on " + x.node();
      case Action.Restart x ->
          "restart " + x.service() + " on " + x.node() + " (" + x.reason() + ")";
      case Action.Rollback x ->
          "rollback "
              + x.service()
              + " "
              + x.fromVersion()
              + " → "
              + x.toVersion()
              + " on "
              + x.node();
      case Action.Undeploy x -> "undeploy " + x.service() + " " + x.version() + " on " + x.node();
    };
  }

  /** All actions of the plan, in order. */
  static List<String> of(Plan plan) {
    return plan.actions().stream().map(Actions::describe).toList();
  }

  /** The actions of one service, in order. */
  static List<String> of(Plan plan, String service) {
    return plan.actions().stream()
        .filter(a -> a.service().equals(service))
        .map(Actions::describe)
        .toList();
  }

  /** The services of each wave, in order. */
  static List<List<String>> waves(Plan plan) {
    return plan.waves().stream()
        .map(w -> w.actions().stream().map(Action::service).distinct().toList())
        .toList();
  }

  /** The number of the wave holding the actions of {@code service}. */
  static int waveOf(Plan plan, String service) {
    return plan.waves().stream()
        .filter(w -> w.actions().stream().anyMatch(a -> a.service().equals(service)))
        .mapToInt(Wave::number)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no wave for " + service));
  }
}
