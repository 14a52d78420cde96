package io.svcreg.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class TarjanTest {

  @Test
  void components_longChainWithoutCycle_hasNoneAndNeedsNoRecursion() {
    int n = 1_000_000;
    int[][] adj = new int[n][];
    for (int i = 0; i < n; i++) {
      adj[i] = i + 1 < n ? new int[] {i + 1} : new int[0];
    }

    assertThat(Tarjan.components(adj)).isEmpty();
  }

  @Test
  void components_longCycle_isOneComponent() {
    int n = 100_000;
    int[][] adj = new int[n][];
    for (int i = 0; i < n; i++) {
      adj[i] = new int[] {(i + 1) % n};
    }

    List<int[]> c = Tarjan.components(adj);

    assertThat(c).hasSize(1);
    assertThat(c.get(0)).hasSize(n);
  }

  @Test
  void components_twoCyclesJoinedByAnEdge_areSeparate() {
    int[][] adj = {{1}, {0, 2}, {3}, {2}, {}};

    List<int[]> c = Tarjan.components(adj);

    assertThat(c).hasSize(2);
    assertThat(c.get(0)).containsExactlyInAnyOrder(2, 3);
    assertThat(c.get(1)).containsExactlyInAnyOrder(0, 1);
  }
}
