package io.svcreg.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class TransactionTest {

  @Test
  void event_mapData_isWrittenAsCompactJsonWithSortedKeys() {
    Transaction tx =
        new Transaction()
            .event(
                Event.RECONCILE_DIFF,
                "Service/web",
                new TreeMap<>(Map.of("field", "spec.version", "old", "1.0", "new", "1.1")));

    assertThat(tx.events())
        .containsExactly(
            new Transaction.NewEvent(
                "reconcile_diff",
                "Service/web",
                "{\"field\":\"spec.version\",\"new\":\"1.1\",\"old\":\"1.0\"}"));
  }

  @Test
  void event_unknownType_isRejected() {
    assertThatThrownBy(() -> new Transaction().event("service_exploded", "", Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("unknown event type: service_exploded");
  }

  @Test
  void event_dataNotAnObject_isRejected() {
    assertThatThrownBy(
            () ->
                new Transaction()
                    .event(Event.SPEC_ERROR, "", JsonNodeFactory.instance.arrayNode().add(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("event data must be a JSON object: [1]");
  }

  @Test
  void isEmpty_untilSomethingIsAdded() {
    assertThat(new Transaction().isEmpty()).isTrue();
    assertThat(new Transaction().putMeta("k", "v").isEmpty()).isFalse();
    assertThat(new Transaction().event(Event.SPEC_ERROR, "", Map.of()).isEmpty()).isFalse();
  }

  @Test
  void ops_keepTheOrderTheyWereAdded() {
    Transaction tx =
        new Transaction()
            .removeService("a")
            .putMeta("k", "v")
            .removeMeta("k")
            .removeNetwork("n")
            .putInventory(Fixtures.installed("a", "1"));

    assertThat(tx.ops())
        .isEqualTo(
            List.of(
                new Transaction.RemoveService("a"),
                new Transaction.PutMeta("k", "v"),
                new Transaction.RemoveMeta("k"),
                new Transaction.RemoveNetwork("n"),
                new Transaction.PutInventory(Fixtures.installed("a", "1"))));
  }

  @Test
  void merge_batch_opsAndEventsInOrderAtTheTimeOfTheFirst() {
    Instant t = Instant.parse("2026-03-01T12:00:00Z");
    Transaction a = new Transaction().removeService("a").event(Event.SPEC_ERROR, "", Map.of());
    Transaction b = new Transaction().putMeta("k", "v").event(Event.SERVICE_REMOVED, "", Map.of());

    Transaction merged = Transaction.merge(List.of(a.at(t), b.at(t.plusSeconds(1))));

    assertThat(merged.ops())
        .containsExactly(new Transaction.RemoveService("a"), new Transaction.PutMeta("k", "v"));
    assertThat(merged.events())
        .extracting(Transaction.NewEvent::type)
        .containsExactly(Event.SPEC_ERROR, Event.SERVICE_REMOVED);
    assertThat(merged.time()).contains(t);
    assertThat(Transaction.merge(List.of(a, b)).time()).isEmpty();
  }

  @Test
  void types_areTheWebSocketEventNames() {
    assertThat(Event.TYPES)
        .containsExactlyInAnyOrder(
            "registry_loaded",
            "service_registered",
            "service_updated",
            "service_removed",
            "service_state_changed",
            "endpoint_updated",
            "deployment_progress",
            "health_check_result",
            "network_topology_changed",
            "reconcile_diff",
            "spec_error");
  }
}
