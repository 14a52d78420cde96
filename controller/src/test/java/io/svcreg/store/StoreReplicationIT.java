package io.svcreg.store;

import static io.svcreg.store.Fixtures.data;
import static io.svcreg.store.Fixtures.installed;
import static io.svcreg.store.Fixtures.lease;
import static io.svcreg.store.Fixtures.network;
import static io.svcreg.store.Fixtures.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.svcreg.Waits;
import io.svcreg.core.ObservedState;
import io.svcreg.core.SvcregException;
import io.svcreg.core.rollout.Intent;
import io.svcreg.schema.Phase;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stores in front of a replicated log: a leader that replicates its commits, followers that apply
 * them.
 */
class StoreReplicationIT {

  @TempDir Path tmp;

  private final Fixtures.TestClock clock = new Fixtures.TestClock();

  /**
   * A replicated log as etcd keeps one: each write takes a revision 3 above the one before (writes
   * of other keys come between). It can be told to refuse, or to hold writes until released.
   */
  private static final class Log implements Replicator {
    final List<List<Transaction>> batches = new CopyOnWriteArrayList<>();
    final List<Long> revisions = new CopyOnWriteArrayList<>();
    final AtomicInteger calls = new AtomicInteger();
    volatile RuntimeException refusal;
    volatile CountDownLatch hold = new CountDownLatch(0);
    volatile long revision;

    @Override
    public long replicate(List<Transaction> batch) {
      calls.incrementAndGet();
      try {
        hold.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StoreFenced("interrupted");
      }
      if (refusal != null) {
        throw refusal;
      }
      revision += 3;
      batches.add(List.copyOf(batch));
      revisions.add(revision);
      return revision;
    }

    /** Applies every batch written so far to {@code follower}, as read back from the log. */
    void replay(Store follower) {
      for (int i = 0; i < batches.size(); i++) {
        String json = TransactionCodec.toJson(Transaction.merge(batches.get(i)));
        follower.applyReplicated(TransactionCodec.fromJson(json), revisions.get(i));
      }
    }
  }

  private final Log log = new Log();

  private Store open(String name) {
    return Fixtures.open(tmp.resolve(name), clock);
  }

  private Store leader(String name) {
    Store store = open(name);
    store.replicateTo(log);
    return store;
  }

  private static Transaction registered(String name) {
    return new Transaction()
        .putService(service(name))
        .event(Event.SERVICE_REGISTERED, "Service/" + name, data(name))
        .event(Event.SERVICE_STATE_CHANGED, "Service/" + name, data(name));
  }

  private static List<Long> revisions(EventsSince since) {
    return ((EventsSince.Events) since).events().stream().map(Event::revision).toList();
  }

  @Test
  void commit_replicated_eventsTakeTheRevisionTheLogGave() {
    try (Store store = leader("leader")) {
      assertThat(store.commit(registered("web")))
          .extracting(Event::revision)
          .containsExactly(3L, 3L);
      // a commit without events still takes the log's revision
      assertThat(store.commit(new Transaction().putMeta("k", "v"))).isEmpty();
      assertThat(store.lastRevision()).isEqualTo(6);
      assertThat(store.observed().revision()).isEqualTo(6);
      assertThat(store.commit(registered("api"))).extracting(Event::revision).containsOnly(9L);

      assertThat(revisions(store.eventsSince(0))).containsExactly(3L, 3L, 9L, 9L);
      assertThat(revisions(store.eventsSince(3))).containsExactly(9L, 9L);
      assertThat(revisions(store.eventsSince(4))).containsExactly(9L, 9L);
      assertThat(revisions(store.eventsSince(6))).containsExactly(9L, 9L);
      assertThat(revisions(store.eventsSince(9))).isEmpty();
      assertThat(store.eventsSince(10)).isEqualTo(new EventsSince.Expired(3));
      assertThat(log.batches)
          .allSatisfy(b -> assertThat(b.getFirst().time()).contains(Fixtures.T0));
    }
  }

  @Test
  void commit_refusedByTheReplicator_changesNothingAndCallsNoListener() {
    try (Store store = leader("leader")) {
      store.commit(registered("web").addLease(lease("local", "127.1.0.2", "web")));
      ObservedState before = store.observed();
      EventsSince journal = store.eventsSince(0);
      long bytes = store.storedBytes();
      List<List<Event>> heard = new ArrayList<>();
      store.addCommitListener(heard::add);
      StoreFenced deposed = new StoreFenced("this member no longer leads");
      log.refusal = deposed;

      assertThatThrownBy(
              () ->
                  store.commit(
                      registered("api")
                          .addLease(lease("local", "127.1.0.3", "api"))
                          .removeService("web")))
          .isSameAs(deposed);

      assertThat(store.observed()).isEqualTo(before);
      assertThat(store.lastRevision()).isEqualTo(3);
      assertThat(store.eventsSince(0)).isEqualTo(journal);
      assertThat(store.storedBytes()).isEqualTo(bytes);
      assertThat(heard).isEmpty();

      // fenced is not in doubt: once the log takes writes again, so does the store
      log.refusal = null;
      assertThat(store.commit(registered("api"))).extracting(Event::revision).containsOnly(6L);
      assertThat(heard).hasSize(1);
    }
    try (Store store = open("leader")) {
      assertThat(store.observed().services()).containsExactly(service("api"), service("web"));
      assertThat(store.lastRevision()).isEqualTo(6);
    }
  }

  @Test
  void commit_replicationInDoubt_refusesCommitsUntilGivenAReplicatorAgain() {
    try (Store store = leader("leader")) {
      store.commit(registered("web"));
      log.refusal = new SvcregException("etcd did not answer");

      assertThatThrownBy(() -> store.commit(registered("api")))
          .isInstanceOf(SvcregException.class)
          .hasMessageStartingWith(
              "commit refused, nothing was written here: its replication failed and may or may"
                  + " not have happened (etcd did not answer)");
      log.refusal = null;
      assertThatThrownBy(() -> store.commit(registered("api")))
          .hasMessageContaining("takes no commits until it is given a replicator again");
      assertThat(log.calls).hasValue(2);

      // the member catches up from the log, where the write in doubt did happen
      store.applyReplicated(registered("api"), 6);
      assertThat(log.calls).hasValue(2);
      log.revision = 6;
      store.replicateTo(log);
      assertThat(store.commit(registered("db"))).extracting(Event::revision).containsOnly(9L);
      assertThat(store.observed().services()).hasSize(3);
    }
  }

  @Test
  void commit_replicatorRevisionNotAboveTheLast_refused() {
    try (Store store = leader("leader")) {
      store.applyReplicated(registered("web"), 10);
      assertThat(log.calls).hasValue(0);

      assertThatThrownBy(() -> store.commit(registered("api")))
          .isInstanceOf(SvcregException.class)
          .hasMessageStartingWith(
              "commit refused, nothing was written here: the replicator gave revision 3, not"
                  + " above the last one, 10");
      assertThat(store.service("api")).isEmpty();
      assertThat(store.lastRevision()).isEqualTo(10);
    }
  }

  @Test
  void commit_concurrentTransactions_replicatedOncePerBatchAndHeardInOneCall() throws Exception {
    int writers = 8;
    try (Store store = leader("leader")) {
      List<List<Event>> heard = new CopyOnWriteArrayList<>();
      store.addCommitListener(heard::add);
      log.hold = new CountDownLatch(1);
      Thread first = Thread.ofPlatform().start(() -> store.commit(registered("first")));
      Waits.atMost(Duration.ofSeconds(10)).until(() -> log.calls.get() == 1);
      List<Thread> threads = new ArrayList<>();
      List<List<Event>> events = new CopyOnWriteArrayList<>();
      for (int i = 0; i < writers; i++) {
        String name = "svc-" + i;
        threads.add(Thread.ofPlatform().start(() -> events.add(store.commit(registered(name)))));
      }
      // every writer waits behind the one the log holds: they are written as one batch
      Waits.atMost(Duration.ofSeconds(10)).until(() -> store.waitingCommits() == writers);
      log.hold.countDown();
      first.join();
      for (Thread t : threads) {
        t.join();
      }

      assertThat(log.calls).hasValue(2);
      assertThat(log.batches).extracting(List::size).containsExactly(1, writers);
      assertThat(events).hasSize(writers).allSatisfy(e -> assertThat(e).hasSize(2));
      assertThat(events.stream().flatMap(List::stream).map(Event::revision)).containsOnly(6L);
      assertThat(store.observed().services()).hasSize(writers + 1);
      assertThat(store.lastRevision()).isEqualTo(6);
      // the events of one revision reach a listener together (the API sends them as one message)
      assertThat(heard).extracting(List::size).containsExactly(2, 2 * writers);
    }
  }

  @Test
  void applyReplicated_onAFollower_reproducesTheLeader() {
    try (Store leader = leader("leader");
        Store follower = open("follower")) {
      leader.commit(
          registered("web")
              .putNetwork(network("local"))
              .addLease(lease("local", "127.1.0.2", "web"))
              .putInventory(installed("web", "1.0.0")));
      leader.commit(registered("api").addLease(lease("local", "127.1.0.3", "api")));
      leader.commit(
          new Transaction()
              .putIntent(Intent.none("web").withRestart(true))
              .putLedger(Fixtures.ledger("web", Fixtures.T0))
              .putMeta("sourceRevision", "abc123"));
      clock.advance(Duration.ofMinutes(1));
      leader.commit(
          new Transaction()
              .putService(service("api", Phase.STOPPED))
              .removeLease(lease("local", "127.1.0.3", "api"))
              .event(Event.SERVICE_UPDATED, "Service/api", data("api")));
      clock.advance(Duration.ofHours(1));
      List<List<Event>> heard = new ArrayList<>();
      Consumer<List<Event>> listener = heard::add;
      follower.addCommitListener(listener);

      log.replay(follower);

      assertThat(follower.observed()).isEqualTo(leader.observed());
      assertThat(follower.lastRevision()).isEqualTo(12);
      assertThat(follower.eventsSince(0)).isEqualTo(leader.eventsSince(0));
      assertThat(follower.leases("web")).isEqualTo(leader.leases("web"));
      assertThat(follower.leaseCount("local")).isEqualTo(1);
      assertThat(follower.inventory()).isEqualTo(leader.inventory());
      assertThat(follower.intent("web")).isEqualTo(leader.intent("web")).isPresent();
      assertThat(follower.ledger("web")).isEqualTo(leader.ledger("web")).isPresent();
      assertThat(follower.meta("sourceRevision")).contains("abc123");
      assertThat(heard).extracting(List::size).containsExactly(2, 2, 1);
      assertThat(revisions(follower.eventsSince(4))).containsExactly(6L, 6L, 12L);
      assertThat(revisions(follower.eventsSince(9))).containsExactly(12L);

      // the log delivers again what was applied: ignored
      assertThat(follower.applyReplicated(registered("web"), 3)).isEmpty();
      assertThat(follower.applyReplicated(new Transaction().removeService("web"), 12)).isEmpty();
      assertThat(follower.observed()).isEqualTo(leader.observed());
      assertThat(heard).hasSize(3);

      // what a commit would refuse is refused, and changes nothing
      assertThatThrownBy(
              () ->
                  follower.applyReplicated(
                      registered("db").addLease(lease("local", "127.1.0.2", "db")), 15))
          .isInstanceOf(SvcregException.class)
          .hasMessageContaining("is leased to service web");
      assertThat(follower.observed()).isEqualTo(leader.observed());
      assertThat(follower.eventsSince(0)).isEqualTo(leader.eventsSince(0));
    }
    try (Store leader = open("leader");
        Store follower = open("follower")) {
      assertThat(follower.observed()).isEqualTo(leader.observed());
      assertThat(follower.eventsSince(0)).isEqualTo(leader.eventsSince(0));
    }
  }

  @Test
  void reopen_replicatedStore_keepsGapsAndSharedRevisions() {
    EventsSince journal;
    try (Store store = leader("leader")) {
      store.commit(registered("web"));
      store.commit(new Transaction().putMeta("k", "v"));
      store.commit(registered("api"));
      store.commit(new Transaction().putMeta("k", "w"));
      journal = store.eventsSince(0);
    }
    try (Store store = open("leader")) {
      assertThat(store.lastRevision()).isEqualTo(12);
      assertThat(store.eventsSince(0)).isEqualTo(journal);
      assertThat(revisions(journal)).containsExactly(3L, 3L, 9L, 9L);
      assertThat(revisions(store.eventsSince(4))).containsExactly(9L, 9L);
      assertThat(store.eventsSince(12)).isEqualTo(new EventsSince.Events(List.of()));
      store.replicateTo(log);
      assertThat(store.commit(registered("db"))).extracting(Event::revision).containsOnly(15L);
    }
  }

  @Test
  void eventsSince_retentionDroppedEventsWithGaps_expiredBeforeTheDropped() {
    // one event per journal segment: events are dropped one at a time, at least 4 are retained
    StoreOptions options = StoreOptions.defaults().withRetainedEvents(4);
    try (Store store = Store.open(tmp.resolve("leader"), options, clock)) {
      store.replicateTo(log);
      for (String name : List.of("a", "b", "c", "d", "e")) {
        store.commit(registered(name).event(Event.SERVICE_UPDATED, "Service/" + name, data(name)));
      }
      assertRetained(store);
    }
    try (Store store = Store.open(tmp.resolve("leader"), options, clock)) {
      assertRetained(store);
    }
  }

  /**
   * Of the events at 3, 6, 9, 12 and 15 (three each), one at 12 and the three at 15 are left: the
   * oldest revision named is 15, the first whose events are all there, so that a client that lists
   * from it (since 14) is not told again that it is too old.
   */
  private static void assertRetained(Store store) {
    assertThat(store.eventsSince(0)).isEqualTo(new EventsSince.Expired(15));
    assertThat(store.eventsSince(11)).isEqualTo(new EventsSince.Expired(15));
    for (long after : List.of(12L, 13L, 14L)) {
      assertThat(revisions(store.eventsSince(after))).containsExactly(15L, 15L, 15L);
    }
    assertThat(store.eventsSince(15)).isEqualTo(new EventsSince.Events(List.of()));
    assertThat(store.eventsSince(16)).isEqualTo(new EventsSince.Expired(15));
  }

  @Test
  void applyReplicated_leaderTime_keptOnTheFollower() {
    Instant committed = clock.instant();
    try (Store follower = open("follower")) {
      Transaction tx = registered("web").at(committed);
      clock.advance(Duration.ofDays(1));

      List<Event> events = follower.applyReplicated(tx, 7);

      assertThat(events).extracting(Event::time).containsOnly(committed);
      assertThat(events).extracting(Event::revision).containsOnly(7L);
      assertThat(follower.observed().services()).containsExactly(service("web"));
      assertThat(follower.lastRevision()).isEqualTo(7);
    }
  }
}
