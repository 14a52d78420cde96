package io.svcreg.schema;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Cycles of a graph given as adjacency arrays: strongly connected components (iterative Tarjan).
 */
final class Tarjan {

  private Tarjan() {}

  /** The components with more than one vertex; each lists its vertices. */
  static List<int[]> components(int[][] adj) {
    int n = adj.length;
    int[] index = new int[n];
    int[] low = new int[n];
    boolean[] onStack = new boolean[n];
    int[] stack = new int[n];
    int sp = 0;
    int[] callV = new int[n];
    int[] callE = new int[n];
    Arrays.fill(index, -1);
    int counter = 0;
    List<int[]> out = new ArrayList<>();
    for (int root = 0; root < n; root++) {
      if (index[root] != -1) {
        continue;
      }
      int depth = 0;
      callV[0] = root;
      callE[0] = 0;
      index[root] = low[root] = counter++;
      stack[sp++] = root;
      onStack[root] = true;
      while (depth >= 0) {
        int v = callV[depth];
        if (callE[depth] < adj[v].length) {
          int w = adj[v][callE[depth]++];
          if (index[w] == -1) {
            index[w] = low[w] = counter++;
            stack[sp++] = w;
            onStack[w] = true;
            depth++;
            callV[depth] = w;
            callE[depth] = 0;
          } else if (onStack[w]) {
            low[v] = Math.min(low[v], index[w]);
          }
          continue;
        }
        if (low[v] == index[v]) {
          int start = sp;
          do {
            start--;
            onStack[stack[start]] = false;
          } while (stack[start] != v);
          if (sp - start > 1) {
            out.add(Arrays.copyOfRange(stack, start, sp));
          }
          sp = start;
        }
        depth--;
        if (depth >= 0) {
          int parent = callV[depth];
          low[parent] = Math.min(low[parent], low[v]);
        }
      }
    }
    return out;
  }
}
