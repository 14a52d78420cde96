package io.svcreg.ha;

import static io.svcreg.store.Fixtures.data;
import static io.svcreg.store.Fixtures.installed;
import static io.svcreg.store.Fixtures.lease;
import static io.svcreg.store.Fixtures.network;
import static io.svcreg.store.Fixtures.service;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.svcreg.Waits;
import io.svcreg.core.ObservedState;
import io.svcreg.core.SvcregException;
import io.svcreg.core.rollout.Intent;
import io.svcreg.store.Event;
import io.svcreg.store.EventsSince;
import io.svcreg.store.ReplicatedState;
import io.svcreg.store.ReplicationRefused;
import io.svcreg.store.Store;
import io.svcreg.store.StoreFenced;
import io.svcreg.store.StoreOptions;
import io.svcreg.store.Transaction;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Stores of several members kept in step through a real three-member etcd cluster: the leader's
 * commits go through an {@link EtcdReplicator} fenced by its {@link Leadership}, the others apply
 * them with an {@link EtcdFollower}.
 */
class EtcdReplicationIT extends EtcdTestBase {

  private static final Duration TTL = Duration.ofSeconds(10);
  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  private static final Duration CONVERGED = Duration.ofSeconds(20);

  /** A controller of the group: its own etcd client and store, following the log once asked. */
  private final class Member {
    final String name;
    final Client client;
    final Store store;
    EtcdFollower follower;
    Leadership leadership;

    Member(String name) {
      this.name = name;
      this.client = cluster.client();
      closing.add(client);
      this.store = Store.open(tmp.resolve(name), StoreOptions.defaults(), InstantSource.system());
      closing.add(store);
    }

    /** Starts applying the log to the store. */
    Member follow() {
      follower = EtcdFollower.start(client, store, TIMEOUT);
      closing.add(follower);
      return this;
    }

    /** Stops applying the log. */
    void stopFollowing() {
      follower.close();
    }

    /** Campaigns, and once leading, catches up and replicates its commits. */
    Member lead() {
      campaign();
      Waits.atMost(Duration.ofSeconds(20)).until(() -> leadership.fence().isPresent());
      if (follower != null) {
        follower.catchUp(TIMEOUT);
      }
      replicate();
      return this;
    }

    void campaign() {
      leadership = Leadership.start(client, "http://" + name + ":7070", TTL, role -> {});
      closing.add(leadership);
    }

    void replicate() {
      store.replicateTo(EtcdReplicator.of(client, leadership::fence, store, TIMEOUT));
    }

    /** Waits until the store has applied {@code revision}. */
    void awaitRevision(long revision) {
      assertThat(follower.awaitRevision(revision, Waits.scaled(CONVERGED)))
          .as(
              "%s reached revision %d (it is at %d, %s)",
              name, revision, store.lastRevision(), follower.error())
          .isTrue();
    }
  }

  private static Transaction registered(String name, String address) {
    return new Transaction()
        .putService(service(name))
        .addLease(lease("local", address, name))
        .event(Event.SERVICE_REGISTERED, "Service/" + name, data(name));
  }

  private static List<Event> journal(Store store, long since) {
    return ((EventsSince.Events) store.eventsSince(since)).events();
  }

  /** The state both stores must agree on, their revisions apart. */
  private static void assertSameState(Store follower, Store leader) {
    ObservedState f = follower.observed();
    ObservedState l = leader.observed();
    assertThat(f.services()).isEqualTo(l.services());
    assertThat(f.networks()).isEqualTo(l.networks());
    assertThat(f.leases()).isEqualTo(l.leases());
    assertThat(follower.inventory()).isEqualTo(leader.inventory());
    assertThat(follower.intent("web")).isEqualTo(leader.intent("web"));
    assertThat(follower.meta("sourceRevision")).isEqualTo(leader.meta("sourceRevision"));
  }

  private Optional<KeyValue> etcd(Client client, String key) throws Exception {
    List<KeyValue> kvs =
        client.getKVClient().get(ByteSequence.from(key, UTF_8)).get(10, TimeUnit.SECONDS).getKvs();
    return kvs.stream().findFirst();
  }

  @Test
  void replicate_leaderCommits_followerHasTheSameStateAndJournalAtEtcdRevisions() throws Exception {
    Member leader = new Member("a").lead();
    Member follower = new Member("b").follow();

    leader.store.commit(
        registered("web", "127.1.0.2")
            .putNetwork(network("local"))
            .putInventory(installed("web", "1.0.0"))
            .putMeta("sourceRevision", "r1"));
    List<Event> api = leader.store.commit(registered("api", "127.1.0.3"));
    leader.store.commit(
        new Transaction()
            .putIntent(
                Intent.none("web").withHeld(Optional.of(Instant.parse("2026-03-01T12:00:00Z"))))
            .removeService("api")
            .removeLease(lease("local", "127.1.0.3", "api"))
            .event(Event.SERVICE_REMOVED, "Service/api", data("api")));
    long last = leader.store.lastRevision();
    follower.awaitRevision(last);

    assertThat(follower.store.observed()).isEqualTo(leader.store.observed());
    assertSameState(follower.store, leader.store);
    assertThat(follower.store.leases("web")).containsExactly(lease("local", "127.1.0.2", "web"));
    assertThat(journal(follower.store, 0)).isEqualTo(journal(leader.store, 0));
    // the revisions are etcd's: the log's last put is the last commit
    assertThat(etcd(leader.client, "/svcreg/log").orElseThrow().getModRevision()).isEqualTo(last);
    assertThat(api.getFirst().revision())
        .isEqualTo(journal(follower.store, 0).get(1).revision())
        .isLessThan(last);
    assertThat(etcd(leader.client, "/svcreg/state/leases/local/127.1.0.3")).isEmpty();
    assertThat(etcd(leader.client, "/svcreg/state/services/web")).isPresent();
    // each member keeps its own identity
    assertThat(follower.store.controllerId()).isNotEqualTo(leader.store.controllerId());
  }

  @Test
  void replicate_batchesUpToEtcdsLimitOfOperations_beyondRefusedBeforeAnythingIsWritten()
      throws Exception {
    Member leader = new Member("a").lead();
    Member follower = new Member("b").follow();
    // the log, and a service and a lease each: 1 + 2 * 63 operations, nested in the fence's
    leader.store.commit(services(0, 63));
    follower.awaitRevision(leader.store.lastRevision());
    assertThat(follower.store.observed()).isEqualTo(leader.store.observed());
    assertThat(follower.store.observed().leases()).hasSize(63);
    long log = etcd(leader.client, "/svcreg/log").orElseThrow().getModRevision();

    assertThatThrownBy(() -> leader.store.commit(services(63, 64)))
        .isInstanceOf(ReplicationRefused.class)
        .hasMessageContaining("--max-txn-ops");
    assertThat(etcd(leader.client, "/svcreg/log").orElseThrow().getModRevision()).isEqualTo(log);
    assertThat(etcd(leader.client, "/svcreg/state/services/svc-63")).isEmpty();
    assertThat(leader.store.observed().services()).hasSize(63);
    // nothing was written anywhere: the store goes on taking commits
    leader.store.commit(services(63, 1));
    follower.awaitRevision(leader.store.lastRevision());
    assertThat(follower.store.observed()).isEqualTo(leader.store.observed());
  }

  /** A transaction that registers {@code n} services from {@code first} on, each with a lease. */
  private static Transaction services(int first, int n) {
    Transaction tx = new Transaction();
    for (int i = first; i < first + n; i++) {
      tx.putService(service("svc-" + i)).addLease(lease("local", "127.1.2." + (i + 1), "svc-" + i));
    }
    return tx;
  }

  @Test
  void replicate_addressLeasedTwice_secondRefusedAndWrittenNowhere() throws Exception {
    Member a = new Member("a").lead();
    a.store.commit(registered("web", "127.1.0.2"));

    // the same store refuses by itself
    assertThatThrownBy(() -> a.store.commit(registered("api", "127.1.0.2")))
        .isInstanceOf(SvcregException.class)
        .hasMessageContaining("127.1.0.2");

    // a member whose store missed the first lease leads next: etcd refuses
    Member b = new Member("b");
    a.leadership.close();
    b.lead();
    long log = etcd(b.client, "/svcreg/log").orElseThrow().getModRevision();
    ObservedState before = b.store.observed();
    assertThatThrownBy(() -> b.store.commit(registered("api", "127.1.0.2")))
        .isInstanceOf(ReplicationRefused.class)
        .isNotInstanceOf(StoreFenced.class)
        .hasMessageContaining("address 127.1.0.2 in network local is held by service web");

    assertThat(etcd(b.client, "/svcreg/log").orElseThrow().getModRevision()).isEqualTo(log);
    assertThat(etcd(b.client, "/svcreg/state/leases/local/127.1.0.2").orElseThrow().getValue())
        .isEqualTo(ByteSequence.from(ReplicatedState.value(lease("local", "127.1.0.2", "web"))));
    assertThat(etcd(b.client, "/svcreg/state/services/api")).isEmpty();
    assertThat(b.store.observed()).isEqualTo(before);
    assertThat(a.store.service("api")).isEmpty();
    assertThat(a.store.leases("web")).containsExactly(lease("local", "127.1.0.2", "web"));
  }

  @Test
  void replicate_leaderDeposed_refusedWithStoreFencedAndTheNewLeaderGoesOn() throws Exception {
    Member a = new Member("a").follow().lead();
    Member b = new Member("b").follow();
    Member c = new Member("c").follow();
    a.store.commit(registered("web", "127.1.0.2"));
    b.campaign();
    // b's key is older than the one a campaigns with once it lost its lease: b leads next
    Waits.atMost(Duration.ofSeconds(20)).until(() -> b.leadership.role() instanceof Role.Following);

    // a's lease is revoked behind its back
    Fence fence = a.leadership.fence().orElseThrow();
    long lease = etcd(c.client, fence.key()).orElseThrow().getLease();
    c.client.getLeaseClient().revoke(lease).get(10, TimeUnit.SECONDS);
    ObservedState before = a.store.observed();
    List<Event> journal = journal(a.store, 0);
    assertThatThrownBy(() -> a.store.commit(registered("api", "127.1.0.3")))
        .isInstanceOf(StoreFenced.class)
        .hasMessageContaining("lead");
    assertThat(a.store.observed()).isEqualTo(before);
    assertThat(journal(a.store, 0)).isEqualTo(journal);

    Waits.atMost(Duration.ofSeconds(20)).until(() -> b.leadership.fence().isPresent());
    b.follower.catchUp(TIMEOUT);
    b.replicate();
    b.store.commit(registered("api", "127.1.0.3"));
    c.awaitRevision(b.store.lastRevision());
    a.awaitRevision(b.store.lastRevision());
    assertThat(c.store.observed()).isEqualTo(b.store.observed());
    assertThat(a.store.observed()).isEqualTo(b.store.observed());
    assertThat(c.store.service("api")).isPresent();
  }

  @Test
  void follow_restarted_resumesFromItsOwnRevision() {
    Member leader = new Member("a").lead();
    Member follower = new Member("b").follow();
    leader.store.commit(registered("web", "127.1.0.2"));
    leader.store.commit(registered("api", "127.1.0.3"));
    follower.awaitRevision(leader.store.lastRevision());
    follower.stopFollowing();

    leader.store.commit(registered("db", "127.1.0.4"));
    leader.store.commit(new Transaction().putMeta("sourceRevision", "r2"));
    leader.store.commit(registered("mq", "127.1.0.5"));
    follower.follow().awaitRevision(leader.store.lastRevision());

    assertThat(journal(follower.store, 0)).isEqualTo(journal(leader.store, 0)).hasSize(4);
    assertThat(follower.store.observed()).isEqualTo(leader.store.observed());
    assertSameState(follower.store, leader.store);
  }

  @Test
  void follow_logCompactedPastItsRevision_rebuildsFromTheState() throws Exception {
    Member leader = new Member("a").lead();
    Member follower = new Member("b").follow();
    leader.store.commit(registered("web", "127.1.0.2").putNetwork(network("local")));
    leader.store.commit(registered("api", "127.1.0.3").putInventory(installed("api", "1.0.0")));
    follower.awaitRevision(leader.store.lastRevision());
    long seen = follower.store.lastRevision();
    follower.stopFollowing();

    leader.store.commit(
        new Transaction()
            .removeService("api")
            .removeLease(lease("local", "127.1.0.3", "api"))
            .removeInventory(installed("api", "1.0.0"))
            .addLease(lease("local", "127.1.0.3", "web"))
            .putInventory(installed("web", "2.0.0"))
            .putMeta("sourceRevision", "r3"));
    leader.store.commit(registered("db", "127.1.0.4"));
    long compacted = leader.store.lastRevision();
    leader.client.getKVClient().compact(compacted).get(10, TimeUnit.SECONDS);

    follower.follow().awaitRevision(compacted);
    assertSameState(follower.store, leader.store);
    assertThat(follower.store.service("api")).isEmpty();
    assertThat(follower.store.leases("web"))
        .containsExactlyInAnyOrder(
            lease("local", "127.1.0.2", "web"), lease("local", "127.1.0.3", "web"));
    // the journal has a gap: a client at an earlier revision lists again
    assertThat(follower.store.eventsSince(seen)).isInstanceOf(EventsSince.Expired.class);
    assertThat(follower.store.controllerId()).isNotEqualTo(leader.store.controllerId());

    leader.store.commit(registered("mq", "127.1.0.5"));
    follower.awaitRevision(leader.store.lastRevision());
    assertThat(follower.store.observed()).isEqualTo(leader.store.observed());
    assertThat(journal(follower.store, follower.store.lastRevision() - 1))
        .isEqualTo(journal(leader.store, follower.store.lastRevision() - 1));
  }

  @Test
  void replicate_raftLeaderKilledDuringCommits_commitsResumeAndTheFollowerConverges() {
    Member leader = new Member("a").follow().lead();
    Member follower = new Member("b").follow();
    int committed = 0;
    int failed = 0;
    boolean killed = false;
    long until = System.nanoTime() + Waits.scaled(Duration.ofSeconds(60)).toNanos();
    while (committed < 30) {
      assertThat(System.nanoTime()).as("30 commits within a minute").isLessThan(until);
      if (committed == 10 && !killed) {
        cluster.kill(cluster.leader());
        killed = true;
      }
      try {
        leader.store.commit(registered("svc-" + committed, "127.1.1." + (committed + 1)));
        committed++;
      } catch (StoreFenced e) {
        throw e;
      } catch (SvcregException e) {
        failed++;
        // what may have been written is in the log: the store applies it before it commits again
        try {
          leader.follower.catchUp(TIMEOUT);
          leader.replicate();
        } catch (SvcregException notYet) {
          // etcd still elects its leader
        }
      }
    }
    follower.awaitRevision(leader.store.lastRevision());

    assertThat(killed).isTrue();
    assertThat(follower.store.observed()).isEqualTo(leader.store.observed());
    assertThat(follower.store.observed().services()).hasSize(30);
    assertThat(journal(follower.store, 0)).isEqualTo(journal(leader.store, 0));
    assertThat(failed).as("commits refused while etcd elected its leader").isLessThan(30);
  }
}
