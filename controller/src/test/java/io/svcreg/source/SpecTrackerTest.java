package io.svcreg.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.schema.Cidr;
import io.svcreg.schema.Location;
import io.svcreg.schema.Metadata;
import io.svcreg.schema.Network;
import io.svcreg.schema.NetworkSpec;
import io.svcreg.schema.NetworkType;
import io.svcreg.schema.Problem;
import io.svcreg.schema.Resource;
import io.svcreg.schema.ResourceKey;
import io.svcreg.schema.SpecSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SpecTrackerTest {

  private static final ResourceKey A = ResourceKey.network("a");
  private static final ResourceKey B = ResourceKey.network("b");
  private static final Problem BROKEN = new Problem("b.yaml", 3, 7, "spec.type", "bad type");

  private final SpecTracker tracker = new SpecTracker();

  private static Network net(String name, String subnet) {
    return net(name, subnet, 1, Map.of());
  }

  private static Network net(String name, String subnet, int line, Map<String, String> labels) {
    return Network.of(
        new Metadata(name, labels, Map.of()),
        new NetworkSpec(NetworkType.LAN, Cidr.of(subnet), List.of(), List.of(), Optional.empty()),
        new Location(name + ".yaml", line, 1));
  }

  private static SpecSet set(List<Resource> valid, Set<ResourceKey> held, List<Problem> problems) {
    return new SpecSet(valid, held, true, problems, List.of());
  }

  private static SpecSet set(Resource... valid) {
    return set(List.of(valid), Set.of(), List.of());
  }

  private SpecUpdate next(SpecSet s) {
    return tracker.next(s, Optional.empty()).orElseThrow();
  }

  @Test
  void next_firstReading_addsValidAndHoldsInvalid() {
    SpecUpdate u = next(set(List.of(net("a", "10.0.0.0/24")), Set.of(B), List.of(BROKEN)));

    assertThat(u.changes())
        .containsExactly(Map.entry(A, KeyChange.ADDED), Map.entry(B, KeyChange.HELD));
    assertThat(u.newProblems()).containsExactly(BROKEN);
    assertThat(u.lastGood()).containsOnlyKeys(A);
  }

  @Test
  void next_emptyFirstReading_isStillPublished() {
    assertThat(tracker.next(set(), Optional.empty())).isPresent();
  }

  @Test
  void next_sameContent_nothing() {
    next(set(net("a", "10.0.0.0/24")));

    assertThat(tracker.next(set(net("a", "10.0.0.0/24")), Optional.empty())).isEmpty();
  }

  @Test
  void next_resourceMovedToAnotherLine_nothing() {
    next(set(net("a", "10.0.0.0/24", 1, Map.of())));

    assertThat(tracker.next(set(net("a", "10.0.0.0/24", 40, Map.of())), Optional.empty()))
        .isEmpty();
  }

  @Test
  void next_specChanged_changedAndLastGoodUpdated() {
    next(set(net("a", "10.0.0.0/24"), net("b", "10.1.0.0/24")));

    SpecUpdate u = next(set(net("a", "10.0.9.0/24"), net("b", "10.1.0.0/24")));

    assertThat(u.changes()).containsExactly(Map.entry(A, KeyChange.CHANGED));
    assertThat(u.lastGood().get(A).specHash()).isEqualTo(net("a", "10.0.9.0/24").specHash());
  }

  @Test
  void next_labelChanged_changed() {
    next(set(net("a", "10.0.0.0/24")));

    SpecUpdate u = next(set(net("a", "10.0.0.0/24", 1, Map.of("tier", "db"))));

    assertThat(u.changes()).containsExactly(Map.entry(A, KeyChange.CHANGED));
  }

  @Test
  void next_validBecomesHeld_heldWithLastGoodInEffective() {
    Network good = net("a", "10.0.0.0/24");
    next(set(good));

    SpecUpdate u = next(set(List.of(), Set.of(A), List.of(BROKEN)));

    assertThat(u.changes()).containsExactly(Map.entry(A, KeyChange.HELD));
    assertThat(u.newProblems()).containsExactly(BROKEN);
    assertThat(u.lastGood()).containsEntry(A, good);
    assertThat(u.effective().resources()).containsExactly(good);
    assertThat(u.effective().held()).isEmpty();
    assertThat(u.specs().held()).containsExactly(A);
  }

  @Test
  void next_heldAgainWithOtherProblem_reportsOnlyTheProblem() {
    next(set(net("a", "10.0.0.0/24")));
    next(set(List.of(), Set.of(A), List.of(BROKEN)));
    Problem other = new Problem("a.yaml", 4, 3, "spec.subnet", "bad subnet");

    SpecUpdate u = next(set(List.of(), Set.of(A), List.of(other)));

    assertThat(u.changes()).isEmpty();
    assertThat(u.newProblems()).containsExactly(other);
  }

  @Test
  void next_heldFixedWithSameSpec_released() {
    next(set(net("a", "10.0.0.0/24")));
    next(set(List.of(), Set.of(A), List.of(BROKEN)));

    SpecUpdate u = next(set(net("a", "10.0.0.0/24")));

    assertThat(u.changes()).containsExactly(Map.entry(A, KeyChange.RELEASED));
    assertThat(u.newProblems()).isEmpty();
    assertThat(u.specs().problems()).isEmpty();
  }

  @Test
  void next_heldFixedWithOtherSpec_changed() {
    next(set(net("a", "10.0.0.0/24")));
    next(set(List.of(), Set.of(A), List.of(BROKEN)));

    SpecUpdate u = next(set(net("a", "10.0.5.0/24")));

    assertThat(u.changes()).containsExactly(Map.entry(A, KeyChange.CHANGED));
  }

  @Test
  void next_neverValidThenValid_added() {
    next(set(List.of(), Set.of(A), List.of(BROKEN)));

    SpecUpdate u = next(set(net("a", "10.0.0.0/24")));

    assertThat(u.changes()).containsExactly(Map.entry(A, KeyChange.ADDED));
  }

  @Test
  void next_missingFromCompleteSet_removedAndForgotten() {
    next(set(net("a", "10.0.0.0/24"), net("b", "10.1.0.0/24")));

    SpecUpdate u = next(set(net("b", "10.1.0.0/24")));

    assertThat(u.changes()).containsExactly(Map.entry(A, KeyChange.REMOVED));
    assertThat(u.lastGood()).containsOnlyKeys(B);
  }

  @Test
  void next_heldKeyMissingFromCompleteSet_removed() {
    next(set(List.of(), Set.of(A), List.of(BROKEN)));

    SpecUpdate u = next(set());

    assertThat(u.changes()).containsExactly(Map.entry(A, KeyChange.REMOVED));
  }

  @Test
  void next_missingFromIncompleteSet_keptUntilComplete() {
    Network a = net("a", "10.0.0.0/24");
    next(set(a, net("b", "10.1.0.0/24")));
    Problem unreadable = new Problem("a.yaml", 0, 0, "", "not valid UTF-8 text");

    SpecUpdate kept =
        next(
            new SpecSet(
                List.of(net("b", "10.1.0.0/24")), Set.of(), false, List.of(unreadable), List.of()));

    assertThat(kept.changes()).containsExactly(Map.entry(A, KeyChange.HELD));
    assertThat(kept.kept()).containsExactly(A);
    assertThat(kept.lastGood()).containsKey(A);
    assertThat(kept.effective().resources()).contains(a);

    Optional<SpecUpdate> stillKept =
        tracker.next(
            new SpecSet(
                List.of(net("b", "10.1.0.0/24")), Set.of(), false, List.of(unreadable), List.of()),
            Optional.empty());
    assertThat(stillKept).isEmpty();

    SpecUpdate removed = next(set(net("b", "10.1.0.0/24")));
    assertThat(removed.changes()).containsExactly(Map.entry(A, KeyChange.REMOVED));
    assertThat(removed.kept()).isEmpty();
  }

  @Test
  void next_keptKeyReturns_released() {
    next(set(net("a", "10.0.0.0/24")));
    next(new SpecSet(List.of(), Set.of(), false, List.of(BROKEN), List.of()));

    SpecUpdate u = next(set(net("a", "10.0.0.0/24")));

    assertThat(u.changes()).containsExactly(Map.entry(A, KeyChange.RELEASED));
  }

  @Test
  void next_onlyRevisionChanged_updateWithoutChanges() {
    tracker.next(set(net("a", "10.0.0.0/24")), Optional.of("c1"));

    Optional<SpecUpdate> u = tracker.next(set(net("a", "10.0.0.0/24")), Optional.of("c2"));

    assertThat(u).isPresent();
    assertThat(u.get().changes()).isEmpty();
    assertThat(u.get().sourceRevision()).contains("c2");
  }

  @Test
  void next_problemFixedWithoutKeyChange_updateWithoutNewProblems() {
    next(set(List.of(net("a", "10.0.0.0/24")), Set.of(), List.of(BROKEN)));

    SpecUpdate u = next(set(net("a", "10.0.0.0/24")));

    assertThat(u.changes()).isEmpty();
    assertThat(u.newProblems()).isEmpty();
    assertThat(u.specs().problems()).isEmpty();
  }
}
