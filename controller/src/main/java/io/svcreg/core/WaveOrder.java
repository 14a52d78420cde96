package io.svcreg.core;

import io.svcreg.schema.Location;
import io.svcreg.schema.Problem;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * Puts the actions of services into waves. Teardown (a service whose actions only stop, undeploy or
 * release) goes first, dependents before their dependencies; bring-up follows, dependencies before
 * their dependents. Dependencies pass through services without actions, so a service also waits for
 * the bring-up of an indirect dependency.
 */
final class WaveOrder {

  /** A service in the dependency graph: its dependencies and its actions (possibly none). */
  record Node(String name, List<String> dependsOn, List<Action> actions, Location origin) {}

  /** The waves, and a problem per dependency cycle (whose services get no actions). */
  record Result(List<Wave> waves, List<Problem> problems) {}

  private WaveOrder() {}

  /** Orders into waves the nodes of {@code g}, given in the graph's (name) order. */
  static Result order(DependencyGraph g, List<Node> sorted) {
    int n = sorted.size();
    List<Problem> problems = new ArrayList<>();
    if (g.cyclic() > 0) {
      List<String> cycle = g.cycle();
      Node first = sorted.get(g.names.indexOf(cycle.get(0)));
      problems.add(
          Problem.at(
              first.origin(),
              "spec.dependsOn",
              "dependency cycle: "
                  + String.join(" → ", cycle)
                  + "; "
                  + g.cyclic()
                  + " service(s) in or behind it get no actions"));
    }
    boolean[] teardown = new boolean[n];
    boolean[] bringUp = new boolean[n];
    for (int t = 0; t < g.ordered; t++) {
      int i = g.topo[t];
      List<Action> actions = sorted.get(i).actions();
      if (!actions.isEmpty()) {
        boolean onlyTeardown = actions.stream().allMatch(WaveOrder::isTeardown);
        teardown[i] = onlyTeardown;
        bringUp[i] = !onlyTeardown;
      }
    }
    int[] upLevel = new int[n];
    for (int t = 0; t < g.ordered; t++) {
      int i = g.topo[t];
      for (int d : g.deps[i]) {
        upLevel[i] = Math.max(upLevel[i], upLevel[d] + (bringUp[d] ? 1 : 0));
      }
    }
    int[] downLevel = new int[n];
    for (int t = g.ordered - 1; t >= 0; t--) {
      int i = g.topo[t];
      for (int d : g.deps[i]) {
        downLevel[d] = Math.max(downLevel[d], downLevel[i] + (teardown[i] ? 1 : 0));
      }
    }
    // Wave key: teardown levels first, then bring-up levels; services by name within a wave.
    TreeMap<Long, List<Action>> byKey = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      if (teardown[i] || bringUp[i]) {
        long key = teardown[i] ? downLevel[i] : (long) n + upLevel[i];
        byKey.computeIfAbsent(key, k -> new ArrayList<>()).addAll(sorted.get(i).actions());
      }
    }
    List<Wave> waves = new ArrayList<>(byKey.size());
    for (List<Action> actions : byKey.values()) {
      waves.add(new Wave(waves.size() + 1, actions));
    }
    return new Result(waves, problems);
  }

  /** Whether an action takes something down rather than bringing it up. */
  static boolean isTeardown(Action a) {
    return switch (a) {
      case Action.Stop s -> true;
      case Action.Undeploy u -> true;
      case Action.ReleaseAddress r -> true;
      case Action.AllocateAddress x -> false;
      case Action.Deploy x -> false;
      case Action.Start x -> false;
      case Action.Restart x -> false;
      case Action.Rollback x -> false;
    };
  }
}
