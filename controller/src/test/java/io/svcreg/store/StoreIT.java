package io.svcreg.store;

import static io.svcreg.store.Fixtures.data;
import static io.svcreg.store.Fixtures.installed;
import static io.svcreg.store.Fixtures.lease;
import static io.svcreg.store.Fixtures.network;
import static io.svcreg.store.Fixtures.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.svcreg.core.ObservedState;
import io.svcreg.core.SvcregException;
import io.svcreg.core.rollout.Intent;
import io.svcreg.core.rollout.Ledger;
import io.svcreg.schema.Phase;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreIT {

  @TempDir Path tmp;

  private final Fixtures.TestClock clock = new Fixtures.TestClock();

  private Path dir() {
    return tmp.resolve("store");
  }

  @Test
  void open_newDirectory_isEmpty() {
    try (Store store = Fixtures.open(dir(), clock)) {
      assertThat(store.observed()).isEqualTo(ObservedState.EMPTY);
      assertThat(store.lastRevision()).isZero();
      assertThat(store.inventory()).isEmpty();
      assertThat(store.eventsSince(0)).isEqualTo(new EventsSince.Events(List.of()));
      assertThat(store.meta("topology")).isEmpty();
      assertThat(store.recoveryNotice()).isEmpty();
    }
  }

  @Test
  void controllerId_newStore_randomAndKeptForTheStoresLife() {
    String id;
    try (Store store = Fixtures.open(dir(), clock)) {
      id = store.controllerId();
      assertThat(UUID.fromString(id)).as("a random UUID").isNotNull();
      assertThat(store.lastRevision()).as("no event").isZero();
    }
    try (Store again = Fixtures.open(dir(), clock)) {
      assertThat(again.controllerId()).isEqualTo(id);
    }
    try (Store other = Fixtures.open(tmp.resolve("other"), clock)) {
      assertThat(other.controllerId()).as("another store's").isNotEqualTo(id);
    }
  }

  @Test
  void controllerId_storeWrittenWithoutOne_getsOneWhenOpened() {
    try (Store store = Fixtures.open(dir(), clock)) {
      store.commit(new Transaction().removeMeta(Store.CONTROLLER_ID_META));
      assertThat(store.meta(Store.CONTROLLER_ID_META)).isEmpty();
    }
    try (Store store = Fixtures.open(dir(), clock)) {
      assertThat(store.meta(Store.CONTROLLER_ID_META)).contains(store.controllerId());
    }
  }

  @Test
  void commitListener_concurrentCommits_seesEveryEventOnceInRevisionOrder() throws Exception {
    try (Store store = Fixtures.open(dir(), clock)) {
      List<Long> seen = new ArrayList<>();
      java.util.function.Consumer<List<Event>> listener =
          events -> events.forEach(e -> seen.add(e.revision()));
      store.addCommitListener(listener);
      store.commit(new Transaction().putMeta("k", "v"));
      List<Thread> writers = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        writers.add(
            Thread.ofPlatform()
                .start(
                    () -> {
                      for (int i = 0; i < 25; i++) {
                        store.commit(
                            new Transaction()
                                .event("service_updated", "Service/a", java.util.Map.of())
                                .event("service_updated", "Service/b", java.util.Map.of()));
                      }
                    }));
      }
      for (Thread w : writers) {
        w.join();
      }
      assertThat(seen).isEqualTo(LongStream.rangeClosed(1, 200).boxed().toList());
      store.removeCommitListener(listener);
      store.commit(new Transaction().event("service_updated", "Service/a", java.util.Map.of()));
      assertThat(seen).hasSize(200);
    }
  }

  @Test
  void commit_everyKindOfChange_readsShowIt() {
    try (Store store = Fixtures.open(dir(), clock)) {
      List<Event> events =
          store.commit(
              new Transaction()
                  .putNetwork(network("local"))
                  .putService(service("web"))
                  .addLease(lease("local", "127.1.0.2", "web"))
                  .putInventory(installed("web", "1.0.0"))
                  .putMeta("sourceRevision", "abc123")
                  .event(Event.SERVICE_REGISTERED, "Service/web", data("web"))
                  .event(
                      Event.NETWORK_TOPOLOGY_CHANGED,
                      "",
                      JsonNodeFactory.instance.objectNode().put("attached", true)));

      assertThat(events)
          .containsExactly(
              new Event(1, Fixtures.T0, "service_registered", "Service/web", "{\"name\":\"web\"}"),
              new Event(2, Fixtures.T0, "network_topology_changed", "", "{\"attached\":true}"));
      ObservedState state = store.observed();
      assertThat(state.revision()).isEqualTo(2);
      assertThat(state.networks()).containsExactly(network("local"));
      assertThat(state.services()).containsExactly(service("web"));
      assertThat(state.leases()).containsExactly(lease("local", "127.1.0.2", "web"));
      assertThat(store.service("web")).contains(service("web"));
      assertThat(store.service("api")).isEmpty();
      assertThat(store.inventory()).containsExactly(installed("web", "1.0.0"));
      assertThat(store.meta("sourceRevision")).contains("abc123");
      assertThat(store.lastRevision()).isEqualTo(2);
      assertThat(store.eventsSince(0)).isEqualTo(new EventsSince.Events(events));
      assertThat(store.eventsSince(1)).isEqualTo(new EventsSince.Events(events.subList(1, 2)));

      clock.advance(Duration.ofSeconds(5));
      List<Event> removed =
          store.commit(
              new Transaction()
                  .removeLease(lease("local", "127.1.0.2", "web"))
                  .removeService("web")
                  .removeNetwork("local")
                  .removeInventory(installed("web", "1.0.0"))
                  .removeMeta("sourceRevision")
                  .event(Event.SERVICE_REMOVED, "Service/web", data("web")));

      assertThat(removed)
          .containsExactly(
              new Event(
                  3,
                  Fixtures.T0.plusSeconds(5),
                  "service_removed",
                  "Service/web",
                  "{\"name\":\"web\"}"));
      assertThat(store.observed()).isEqualTo(new ObservedState(3, List.of(), List.of(), List.of()));
      assertThat(store.inventory()).isEmpty();
      assertThat(store.meta("sourceRevision")).isEmpty();
    }
  }

  @Test
  void commit_replacedService_readsTheNewOne() {
    try (Store store = Fixtures.open(dir(), clock)) {
      store.commit(new Transaction().putService(service("web", Phase.DEPLOYING)));
      store.commit(new Transaction().putService(service("web", Phase.RUNNING)));

      assertThat(store.service("web")).contains(service("web", Phase.RUNNING));
      assertThat(store.observed().services()).containsExactly(service("web", Phase.RUNNING));
    }
  }

  @Test
  void reopen_afterCommits_keepsEverything() {
    ObservedState state;
    List<InventoryEntry> inventory;
    EventsSince events;
    try (Store store = Fixtures.open(dir(), clock)) {
      for (int i = 0; i < 20; i++) {
        String name = "svc-" + i;
        store.commit(
            new Transaction()
                .putService(service(name))
                .addLease(lease("local", "127.1.0." + (i + 2), name))
                .putInventory(installed(name, "1.0." + i))
                .event(Event.SERVICE_REGISTERED, "Service/" + name, data(name)));
        clock.advance(Duration.ofMillis(1500));
      }
      store.commit(
          new Transaction()
              .putNetwork(network("local"))
              .removeService("svc-3")
              .removeLease(lease("local", "127.1.0.5", "svc-3"))
              .putMeta("topology", "{\"local\":true}"));
      state = store.observed();
      inventory = store.inventory();
      events = store.eventsSince(0);
    }

    try (Store store = Fixtures.open(dir(), clock)) {
      assertThat(store.observed()).isEqualTo(state);
      assertThat(store.observed().services()).hasSize(19);
      assertThat(store.inventory()).isEqualTo(inventory).hasSize(20);
      assertThat(store.eventsSince(0)).isEqualTo(events);
      assertThat(store.lastRevision()).isEqualTo(20);
      assertThat(store.meta("topology")).contains("{\"local\":true}");
    }
  }

  @Test
  void commit_acrossReopens_revisionsStrictlyIncreaseWithoutGaps() {
    List<Long> revisions = new ArrayList<>();
    for (int session = 0; session < 4; session++) {
      try (Store store = Fixtures.open(dir(), clock)) {
        for (int i = 0; i < 5; i++) {
          Transaction tx = new Transaction();
          for (int e = 0; e <= i % 3; e++) {
            tx.event(Event.RECONCILE_DIFF, "Service/web", data("web"));
          }
          store.commit(tx).forEach(ev -> revisions.add(ev.revision()));
        }
        // a commit without events changes state but not the revision
        long before = store.lastRevision();
        store.commit(new Transaction().putMeta("session", "" + session));
        assertThat(store.lastRevision()).isEqualTo(before);
      }
    }

    // 1 + 2 + 3 + 1 + 2 events per session
    assertThat(revisions).isEqualTo(LongStream.rangeClosed(1, 36).boxed().toList());
    try (Store store = Fixtures.open(dir(), clock)) {
      EventsSince.Events all = (EventsSince.Events) store.eventsSince(0);
      assertThat(all.events()).extracting(Event::revision).isEqualTo(revisions);
    }
  }

  @Test
  void eventsSince_beyondRetention_dropsOldestAndSaysExpired() {
    StoreOptions options = StoreOptions.defaults().withRetainedEvents(10);
    try (Store store = Store.open(dir(), options, clock)) {
      for (int i = 0; i < 25; i++) {
        store.commit(new Transaction().event(Event.SPEC_ERROR, "", data("e" + i)));
      }
      assertRetained(store);
    }
    try (Store store = Store.open(dir(), options, clock)) {
      assertRetained(store);
      List<Event> next = store.commit(new Transaction().event(Event.SPEC_ERROR, "", data("more")));
      assertThat(next).extracting(Event::revision).containsExactly(26L);
    }
  }

  private static void assertRetained(Store store) {
    EventsSince.Expired expired = (EventsSince.Expired) store.eventsSince(0);
    long oldest = expired.oldestRetained();
    // whole segments are dropped: at least 10 events are retained, fewer than 10 + a segment
    assertThat(25 - oldest + 1).isBetween(10L, 11L);
    EventsSince.Events retained = (EventsSince.Events) store.eventsSince(oldest - 1);
    assertThat(retained.events())
        .extracting(Event::revision)
        .isEqualTo(LongStream.rangeClosed(oldest, 25).boxed().toList());
    assertThat(store.eventsSince(oldest - 2)).isEqualTo(new EventsSince.Expired(oldest));
    assertThat(store.eventsSince(25)).isEqualTo(new EventsSince.Events(List.of()));
    assertThat(store.eventsSince(26)).isEqualTo(new EventsSince.Expired(oldest));
  }

  @Test
  void commit_addressLeasedToAnotherService_refusedAndNothingWritten() {
    try (Store store = Fixtures.open(dir(), clock)) {
      store.commit(
          new Transaction()
              .putService(service("web"))
              .addLease(lease("local", "127.1.0.2", "web"))
              .event(Event.SERVICE_REGISTERED, "Service/web", data("web")));
      ObservedState before = store.observed();
      long bytes = store.storedBytes();

      assertThatThrownBy(
              () ->
                  store.commit(
                      new Transaction()
                          .putService(service("api"))
                          .addLease(lease("local", "127.1.0.2", "api"))
                          .event(Event.SERVICE_REGISTERED, "Service/api", data("api"))))
          .isInstanceOf(SvcregException.class)
          .hasMessage(
              "commit refused, nothing was written: address 127.1.0.2 in network local is leased"
                  + " to service web, it cannot also be leased to api");
      assertThatThrownBy(
              () ->
                  store.commit(
                      new Transaction()
                          .addLease(lease("other", "10.0.0.1", "a"))
                          .addLease(lease("other", "10.0.0.1", "b"))))
          .hasMessageContaining("address 10.0.0.1 in network other is leased to service a");
      assertThatThrownBy(
              () -> store.commit(new Transaction().removeLease(lease("local", "127.1.0.2", "api"))))
          .hasMessageContaining("is leased to service web, not to api");

      assertThat(store.observed()).isEqualTo(before);
      assertThat(store.lastRevision()).isEqualTo(1);
      assertThat(store.storedBytes()).isEqualTo(bytes);
    }
    try (Store store = Fixtures.open(dir(), clock)) {
      assertThat(store.observed().services()).containsExactly(service("web"));
      assertThat(store.lastRevision()).isEqualTo(1);
    }
  }

  @Test
  void commit_sameAddressInAnotherNetworkOrSameService_accepted() {
    try (Store store = Fixtures.open(dir(), clock)) {
      store.commit(new Transaction().addLease(lease("a", "10.0.0.1", "web")));
      store.commit(
          new Transaction()
              .addLease(lease("a", "10.0.0.1", "web"))
              .addLease(lease("b", "10.0.0.1", "api")));

      assertThat(store.observed().leases())
          .containsExactly(lease("a", "10.0.0.1", "web"), lease("b", "10.0.0.1", "api"));
    }
  }

  @Test
  void commit_releasedAddress_canBeLeasedAgainInOneTransaction() {
    try (Store store = Fixtures.open(dir(), clock)) {
      store.commit(new Transaction().addLease(lease("a", "10.0.0.1", "web")));
      store.commit(
          new Transaction()
              .removeLease(lease("a", "10.0.0.1", "web"))
              .addLease(lease("a", "10.0.0.1", "api")));

      assertThat(store.observed().leases()).containsExactly(lease("a", "10.0.0.1", "api"));
    }
  }

  @Test
  void commit_installPathRecordedForAnother_refusedAndNothingWritten() {
    try (Store store = Fixtures.open(dir(), clock)) {
      store.commit(new Transaction().putInventory(installed("web", "1.0.0")));
      InventoryEntry clash =
          new InventoryEntry("api", "local", "2.0.0", "/opt/web-1.0.0", Fixtures.T0);
      long bytes = store.storedBytes();

      assertThatThrownBy(
              () -> store.commit(new Transaction().putService(service("api")).putInventory(clash)))
          .isInstanceOf(SvcregException.class)
          .hasMessage(
              "commit refused, nothing was written: install path /opt/web-1.0.0 on node local is"
                  + " recorded for service web version 1.0.0, it cannot also be recorded for"
                  + " service api version 2.0.0");
      assertThatThrownBy(() -> store.commit(new Transaction().removeInventory(clash)))
          .hasMessageContaining("recorded for service web version 1.0.0");

      assertThat(store.service("api")).isEmpty();
      assertThat(store.inventory()).containsExactly(installed("web", "1.0.0"));
      assertThat(store.storedBytes()).isEqualTo(bytes);
    }
  }

  @Test
  void commit_sameInstallAgain_refreshesIt() {
    try (Store store = Fixtures.open(dir(), clock)) {
      store.commit(new Transaction().putInventory(installed("web", "1.0.0")));
      InventoryEntry again =
          new InventoryEntry("web", "local", "1.0.0", "/opt/web-1.0.0", Fixtures.T0.plusSeconds(9));
      store.commit(new Transaction().putInventory(again).putInventory(installed("web", "1.1.0")));

      assertThat(store.inventory()).containsExactly(again, installed("web", "1.1.0"));
    }
  }

  @Test
  void commit_nothingChanged_writesNothing() {
    try (Store store = Fixtures.open(dir(), clock)) {
      store.commit(
          new Transaction()
              .putService(service("web"))
              .addLease(lease("local", "127.1.0.2", "web"))
              .putMeta("k", "v"));
      long bytes = store.storedBytes();

      assertThat(store.commit(new Transaction())).isEmpty();
      assertThat(
              store.commit(
                  new Transaction()
                      .putService(service("web"))
                      .addLease(lease("local", "127.1.0.2", "web"))
                      .putMeta("k", "v")
                      .removeService("nope")
                      .removeInventory(installed("nope", "1"))))
          .isEmpty();
      assertThat(store.storedBytes()).isEqualTo(bytes);
    }
  }

  @Test
  void reopen_manyServicesAndInstalls_keepsEveryOne() {
    // above the count from which a start decodes on two threads
    ObservedState state;
    List<InventoryEntry> inventory;
    try (Store store = Fixtures.open(dir(), clock)) {
      for (int from = 0; from < 5000; from += 1000) {
        Transaction tx = new Transaction();
        for (int i = from; i < from + 1000; i++) {
          tx.putService(service("svc-" + i)).putInventory(installed("svc-" + i, "1.0." + i));
        }
        store.commit(tx.event(Event.SERVICE_REGISTERED, "", data("" + from)));
      }
      state = store.observed();
      inventory = store.inventory();
    }

    try (Store store = Fixtures.open(dir(), clock)) {
      assertThat(store.observed().services()).hasSize(5000);
      assertThat(store.observed()).isEqualTo(state);
      assertThat(store.inventory()).hasSize(5000).isEqualTo(inventory);
      assertThat(store.service("svc-4999")).contains(service("svc-4999"));
    }
  }

  @Test
  void commit_inLargeStore_storesOnlyWhatChanged() {
    try (Store store = Fixtures.open(dir(), clock)) {
      for (int from = 0; from < 3000; from += 500) {
        Transaction tx = new Transaction();
        for (int i = from; i < from + 500; i++) {
          tx.putService(service("svc-" + i)).event(Event.SERVICE_REGISTERED, "", data("" + i));
        }
        store.commit(tx);
      }
      int oneService = service("svc-1").toString().length();

      long b0 = store.storedBytes();
      store.commit(new Transaction().putService(service("svc-1", Phase.STOPPED)));
      long update = store.storedBytes() - b0;
      store.commit(new Transaction().event(Event.SPEC_ERROR, "", data("x")));
      long append = store.storedBytes() - b0 - update;
      store.commit(new Transaction().putService(service("new-one")));
      long add = store.storedBytes() - b0 - update - append;

      // the whole index of 3000 services is about 3000 x 8 bytes of references alone
      assertThat(update).isLessThan(oneService * 2L);
      assertThat(append).isLessThan(3_000);
      assertThat(add).isLessThan(oneService * 2L + 3_000);
    }
  }

  @Test
  void housekeeping_afterChurn_movesLiveDataAndKeepsEverything() throws Exception {
    ObservedState state;
    try (Store store = Fixtures.open(dir(), clock)) {
      // about 330 KB per commit: the first 8 MB data file fills and is then mostly garbage
      for (int round = 0; round < 32; round++) {
        Transaction tx = new Transaction();
        for (int i = 0; i < 500; i++) {
          tx.putService(service("svc-" + i, round % 2 == 0 ? Phase.RUNNING : Phase.STOPPED));
        }
        store.commit(tx.event(Event.RECONCILE_DIFF, "", data("round " + round)));
      }
      store.housekeep();
      state = store.observed();
      store.commit(new Transaction().putService(service("after")));
    }
    try (Store store = Fixtures.open(dir(), clock)) {
      assertThat(store.observed().services()).hasSize(501);
      assertThat(store.service("svc-7")).isEqualTo(state.service("svc-7"));
      assertThat(store.lastRevision()).isEqualTo(32);
    }
    try (var files = java.nio.file.Files.list(dir().resolve("channel_0"))) {
      // the first data file was emptied into the head file and deleted
      assertThat(files.map(p -> p.getFileName().toString())).doesNotContain("channel_0_1.dat");
    }
  }

  @Test
  void observed_duringCommits_seesOnlyWholeTransactions() throws Exception {
    try (Store store = Fixtures.open(dir(), clock)) {
      AtomicBoolean done = new AtomicBoolean();
      ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
      List<Thread> readers = new ArrayList<>();
      for (int r = 0; r < 2; r++) {
        readers.add(
            Thread.ofPlatform()
                .start(
                    () -> {
                      while (!done.get()) {
                        ObservedState s = store.observed();
                        if (s.services().size() != s.leases().size()
                            || s.revision() != s.services().size()) {
                          problems.add(
                              "revision "
                                  + s.revision()
                                  + ", "
                                  + s.services().size()
                                  + " services, "
                                  + s.leases().size()
                                  + " leases");
                        }
                        store.service("svc-0");
                        store.eventsSince(0);
                      }
                    }));
      }
      for (int i = 0; i < 60; i++) {
        String name = "svc-" + i;
        store.commit(
            new Transaction()
                .putService(service(name))
                .addLease(lease("local", "127.1.0." + (i + 2), name))
                .event(Event.SERVICE_REGISTERED, "Service/" + name, data(name)));
      }
      done.set(true);
      for (Thread t : readers) {
        t.join();
      }

      assertThat(problems).isEmpty();
      assertThat(store.observed().services()).hasSize(60);
    }
  }

  @Test
  void open_storeAlreadyOpen_failsWithMessage() {
    try (Store store = Fixtures.open(dir(), clock)) {
      assertThatThrownBy(() -> Fixtures.open(dir(), clock))
          .isInstanceOf(SvcregException.class)
          .hasMessage(
              "store "
                  + store.directory()
                  + " is in use by another svcreg process (it holds the lock "
                  + store.directory()
                  + ".lock)");
    }
    try (Store again = Fixtures.open(dir(), clock)) {
      assertThat(again.lastRevision()).isZero();
    }
  }

  @Test
  void commit_afterClose_fails() {
    Store store = Fixtures.open(dir(), clock);
    store.close();
    store.close();

    assertThatThrownBy(() -> store.commit(new Transaction().putMeta("k", "v")))
        .isInstanceOf(SvcregException.class)
        .hasMessageEndingWith(" is closed");
  }

  @Test
  void intentsAndLedgers_committedAndReopened_readBackTyped() {
    Instant t = Instant.parse("2026-12-01T10:00:00Z");
    Intent held = Intent.none("web").withHeld(Optional.of(t)).withRestart(true);
    Ledger ledger = Fixtures.ledger("web", t);
    try (Store store = Fixtures.open(dir(), clock)) {
      store.commit(new Transaction().putIntent(held).putLedger(ledger));
      assertThat(store.intent("web")).contains(held);
      assertThat(store.ledger("web")).contains(ledger);
    }
    try (Store store = Fixtures.open(dir(), clock)) {
      assertThat(store.intent("web")).contains(held);
      assertThat(store.ledger("web")).contains(ledger);
      store.commit(new Transaction().removeIntent("web").removeLedger("web"));
      assertThat(store.intent("web")).isEmpty();
      assertThat(store.ledger("web")).isEmpty();
    }
  }

  @Test
  void open_storeWithOperatorMetaOfAnOlderRelease_turnsItIntoTypedEntries() {
    Instant t = Instant.parse("2026-12-01T10:00:00Z");
    try (Store store = Fixtures.open(dir(), clock)) {
      store.commit(
          new Transaction()
              .putService(service("web", Phase.RUNNING))
              .putMeta("hold/web", t.toString())
              .putMeta("command/api", "reset deploy")
              .putMeta("process/web", "4242 " + t));
    }
    try (Store store = Fixtures.open(dir(), clock)) {
      assertThat(store.meta("hold/web")).isEmpty();
      assertThat(store.meta("command/api")).isEmpty();
      assertThat(store.meta("process/web")).isEmpty();
      assertThat(store.intent("web")).contains(Intent.none("web").withHeld(Optional.of(t)));
      assertThat(store.intent("api"))
          .contains(Intent.none("api").withReset(true).withRedeploy(true));
      assertThat(store.ledger("web").flatMap(Ledger::process))
          .hasValueSatisfying(
              p -> {
                assertThat(p.pid()).isEqualTo(4242);
                assertThat(p.startTime()).isEqualTo(t);
                assertThat(p.confirmed()).isTrue();
              });
    }
  }

  @Test
  void indexes_leasesAndInventory_followCommits() {
    try (Store store = Fixtures.open(dir(), clock)) {
      store.commit(
          new Transaction()
              .addLease(lease("lan", "10.0.0.2", "api"))
              .addLease(lease("lan", "10.0.0.3", "web"))
              .addLease(lease("wg", "10.9.0.2", "web"))
              .putInventory(
                  new InventoryEntry("web", "n1", "1.0.0", "/opt/web-1.0.0", Instant.EPOCH))
              .putInventory(
                  new InventoryEntry("web", "n1", "2.0.0", "/opt/web-2.0.0", Instant.EPOCH)));
      assertThat(store.leaseCount("lan")).isEqualTo(2);
      assertThat(store.leaseCount("wg")).isEqualTo(1);
      assertThat(store.leases("web")).hasSize(2);
      assertThat(store.inventory("web"))
          .extracting(InventoryEntry::version)
          .containsExactly("1.0.0", "2.0.0");

      store.commit(
          new Transaction()
              .removeLease(lease("lan", "10.0.0.3", "web"))
              .removeInventory(
                  new InventoryEntry("web", "n1", "1.0.0", "/opt/web-1.0.0", Instant.EPOCH)));

      assertThat(store.leaseCount("lan")).isEqualTo(1);
      assertThat(store.leases("web")).containsExactly(lease("wg", "10.9.0.2", "web"));
      assertThat(store.inventory("web"))
          .extracting(InventoryEntry::version)
          .containsExactly("2.0.0");
      assertThat(store.leases("nobody")).isEmpty();
      assertThat(store.leaseCount("nowhere")).isZero();
    }
  }

  @Test
  void commit_concurrentTransactionsOneRefused_othersWrittenAndTheRefusedOneAlone()
      throws Exception {
    int writers = 16;
    try (Store store = Fixtures.open(dir(), clock)) {
      store.commit(new Transaction().addLease(lease("lan", "10.0.0.2", "api")));
      ConcurrentLinkedQueue<Throwable> refused = new ConcurrentLinkedQueue<>();
      List<Thread> threads = new ArrayList<>();
      CountDownLatch go = new CountDownLatch(1);
      for (int i = 0; i < writers; i++) {
        int n = i;
        threads.add(
            Thread.ofVirtual()
                .start(
                    () -> {
                      try {
                        go.await();
                        Transaction tx =
                            n == 7
                                // the address api holds: refused, and only this one
                                ? new Transaction()
                                    .addLease(lease("lan", "10.0.0.2", "svc-7"))
                                    .putService(service("svc-7", Phase.RUNNING))
                                : new Transaction()
                                    .addLease(lease("lan", "10.0.1." + n, "svc-" + n))
                                    .putService(service("svc-" + n, Phase.RUNNING))
                                    .event("service_registered", "Service/svc-" + n, Map.of());
                        store.commit(tx);
                      } catch (SvcregException e) {
                        refused.add(e);
                      } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                      }
                    }));
      }
      go.countDown();
      for (Thread t : threads) {
        t.join();
      }
      assertThat(refused).hasSize(1);
      assertThat(refused.peek()).hasMessageContaining("is leased to service api");
      assertThat(store.service("svc-7")).isEmpty();
      assertThat(store.observed().services()).hasSize(writers - 1);
      assertThat(store.lastRevision()).isEqualTo(writers - 1);
    }
    try (Store store = Fixtures.open(dir(), clock)) {
      assertThat(store.observed().services()).hasSize(writers - 1);
      assertThat(store.eventsSince(0))
          .isInstanceOfSatisfying(
              EventsSince.Events.class, e -> assertThat(e.events()).hasSize(writers - 1));
    }
  }
}
