package io.svcreg.store;

import static io.svcreg.store.Fixtures.installed;
import static io.svcreg.store.Fixtures.lease;
import static io.svcreg.store.Fixtures.network;
import static io.svcreg.store.Fixtures.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.svcreg.core.SvcregException;
import io.svcreg.core.rollout.Intent;
import io.svcreg.core.rollout.Ledger;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TransactionCodecTest {

  private static final Instant T = Instant.parse("2026-12-01T10:00:00Z");

  /** A transaction with every kind of op and a few events. */
  private static Transaction everything() {
    Ledger ledger = Fixtures.ledger("web", T);
    RegistryEntry entry =
        new RegistryEntry(
            "billing",
            "4242",
            List.of(new RegistryEntry.Api("rest", List.of("billing.v1"), "10.0.0.7", 8443, "http")),
            30_000,
            T);
    return new Transaction()
        .putService(service("web"))
        .removeService("old")
        .putNetwork(network("local"))
        .removeNetwork("gone")
        .addLease(lease("local", "127.1.0.2", "web"))
        .removeLease(lease("local", "127.1.0.9", "old"))
        .putInventory(installed("web", "1.0.0"))
        .removeInventory(installed("old", "0.9.0"))
        .putRegistryEntry(entry)
        .removeRegistryEntry("legacy")
        .putIntent(Intent.none("web").withHeld(Optional.of(T)).withRestart(true))
        .removeIntent("old")
        .putLedger(ledger)
        .removeLedger("old")
        .putMeta("sourceRevision", "abc123")
        .removeMeta("topology")
        .event(Event.SERVICE_REGISTERED, "Service/web", Map.of("name", "web", "n", 1.10))
        .event(Event.SERVICE_REMOVED, "Service/old", Map.of())
        .event(Event.SPEC_ERROR, "", Map.of("message", "line 3: \"x\" ü"));
  }

  @Test
  void roundTrip_everyOpKind_sameOpsAndEventsInOrder() {
    Transaction tx = everything();
    assertThat(tx.ops().stream().map(Object::getClass).toList())
        .containsExactlyInAnyOrder(Transaction.Op.class.getPermittedSubclasses());

    Transaction back = TransactionCodec.fromJson(TransactionCodec.toJson(tx.at(T)));

    assertThat(back.ops()).isEqualTo(tx.ops());
    assertThat(back.events()).isEqualTo(tx.events());
    assertThat(back.time()).contains(T);
    assertThat(TransactionCodec.toJson(back)).isEqualTo(TransactionCodec.toJson(tx.at(T)));
  }

  @Test
  void toJson_namesOpsByKindAndKeepsEventDataAsWritten() {
    Transaction tx =
        new Transaction()
            .removeService("web")
            .putMeta("k", "v")
            .event(Event.SPEC_ERROR, "", Map.of("a", 1));

    assertThat(TransactionCodec.toJson(tx))
        .isEqualTo(
            "{\"ops\":[{\"op\":\"removeService\",\"name\":\"web\"},"
                + "{\"op\":\"putMeta\",\"key\":\"k\",\"value\":\"v\"}],"
                + "\"events\":[{\"type\":\"spec_error\",\"key\":\"\",\"dataJson\":\"{\\\"a\\\":1}\"}]}");
  }

  @Test
  void roundTrip_emptyTransaction_isEmpty() {
    assertThat(TransactionCodec.fromJson(TransactionCodec.toJson(new Transaction())).isEmpty())
        .isTrue();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          {"ops":[                                   | line 1, column 9: Unexpected end-of-input
          []                                         | the document is not a JSON object
          {"ops":[],"events":[],"extra":1}           | unknown field 'extra'
          {"events":[]}                              | 'ops' is missing or not an array
          {"ops":[1],"events":[]}                    | ops[0] is not a JSON object
          {"ops":[{"name":"web"}],"events":[]}       | ops[0]: 'op' is missing or not a string
          {"ops":[{"op":"putFoo"}],"events":[]}      | ops[0]: unknown op 'putFoo'
          {"ops":[{"op":"removeService"}],"events":[]} | ops[0] (removeService): 'name' is missing
          {"ops":[{"op":"removeService","name":"a","x":1}],"events":[]} | ops[0] (removeService): at x: unknown field 'x'
          {"ops":[{"op":"addLease","lease":{"network":"n","address":"nope","service":"s"}}],"events":[]} | ops[0] (addLease): at lease.address:
          {"ops":[{"op":"addLease","lease":{"address":"10.0.0.1","service":"s"}}],"events":[]} | ops[0]: a required field is missing or null
          {"ops":[],"events":[{"type":"spec_error","key":""}]} | events[0]: 'dataJson' is missing
          {"ops":[],"events":[{"type":"exploded","key":"","dataJson":"{}"}]} | events[0]: unknown event type: exploded
          {"ops":[],"events":[{"type":"spec_error","key":"","dataJson":"[1]"}]} | events[0]: 'dataJson' is not a JSON object
          {"ops":[],"events":[{"type":"spec_error","key":"","dataJson":"{"}]} | events[0]: 'dataJson' is not JSON:
          {"ops":[],"events":[],"time":"yesterday"}  | 'time' is not an instant like 2026-03-01T12:00:00Z: "yesterday"
          """)
  void fromJson_malformed_saysWhatIsWrongInPlainWords(String json, String what) {
    assertThatThrownBy(() -> TransactionCodec.fromJson(json))
        .isInstanceOf(SvcregException.class)
        .hasMessageStartingWith("malformed transaction document: " + what)
        .message()
        .doesNotContain("com.fasterxml", "io.svcreg", "Exception");
  }
}
