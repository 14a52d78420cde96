package io.svcreg.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Services and their {@code dependsOn} edges, indexed by name order, with a topological order
 * (dependencies first). Names a node depends on that are not nodes are ignored. Nodes in or behind
 * a cycle are left out of the order.
 */
final class DependencyGraph {

  final List<String> names;
  final int[][] deps;
  final int[][] dependents;
  final int[] topo;
  final int ordered;
  private final int[] pending;

  /** A graph of {@code names} (sorted, distinct) whose i-th node depends on {@code deps.get(i)}. */
  DependencyGraph(List<String> names, List<List<String>> dependsOn) {
    this.names = names;
    int n = names.size();
    Map<String, Integer> index = new HashMap<>(n * 2);
    for (int i = 0; i < n; i++) {
      index.put(names.get(i), i);
    }
    deps = new int[n][];
    int[] dependentCount = new int[n];
    for (int i = 0; i < n; i++) {
      List<String> ds = dependsOn.get(i);
      int[] d = new int[ds.size()];
      int k = 0;
      for (String name : ds) {
        Integer j = index.get(name);
        if (j != null && j != i) {
          d[k++] = j;
          dependentCount[j]++;
        }
      }
      deps[i] = k == d.length ? d : Arrays.copyOf(d, k);
    }
    dependents = new int[n][];
    for (int i = 0; i < n; i++) {
      dependents[i] = new int[dependentCount[i]];
    }
    int[] fill = new int[n];
    for (int i = 0; i < n; i++) {
      for (int d : deps[i]) {
        dependents[d][fill[d]++] = i;
      }
    }
    pending = new int[n];
    topo = new int[n];
    int head = 0;
    int tail = 0;
    for (int i = 0; i < n; i++) {
      pending[i] = deps[i].length;
      if (pending[i] == 0) {
        topo[tail++] = i;
      }
    }
    while (head < tail) {
      int i = topo[head++];
      for (int x : dependents[i]) {
        if (--pending[x] == 0) {
          topo[tail++] = x;
        }
      }
    }
    ordered = tail;
  }

  /** Whether node {@code i} is in or behind a cycle. */
  boolean inCycle(int i) {
    return pending[i] > 0;
  }

  /** How many nodes are in or behind a cycle. */
  int cyclic() {
    return names.size() - ordered;
  }

  /** Each node's longest chain of dependencies (0: depends on nothing); cyclic nodes get max. */
  int[] depths() {
    int[] depth = new int[names.size()];
    for (int t = 0; t < ordered; t++) {
      int i = topo[t];
      for (int d : deps[i]) {
        depth[i] = Math.max(depth[i], depth[d] + 1);
      }
    }
    for (int i = 0; i < depth.length; i++) {
      if (inCycle(i)) {
        depth[i] = Integer.MAX_VALUE;
      }
    }
    return depth;
  }

  /** One cycle, as the names along it with the first repeated at the end. */
  List<String> cycle() {
    int start = 0;
    while (!inCycle(start)) {
      start++;
    }
    List<Integer> path = new ArrayList<>();
    int[] seenAt = new int[names.size()];
    Arrays.fill(seenAt, -1);
    int cur = start;
    while (seenAt[cur] < 0) {
      seenAt[cur] = path.size();
      path.add(cur);
      int next = -1;
      for (int d : deps[cur]) {
        if (inCycle(d)) {
          next = d;
          break;
        }
      }
      cur = next;
    }
    List<String> out = new ArrayList<>();
    for (int i : path.subList(seenAt[cur], path.size())) {
      out.add(names.get(i));
    }
    out.add(names.get(cur));
    return out;
  }
}
